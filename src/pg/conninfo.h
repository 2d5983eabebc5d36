#pragma once
// libpq connection strings, read and written in one place: a key=value conninfo
// ("host=db port=5432 dbname=tickit user=etl") or a URL ("postgresql://etl@db:5432/tickit").
//
//   pg::register_conninfo_secrets(text);          // first: before anything can echo it
//   pg::ConninfoOptions o = pg::parse_conninfo(text, "configure", "source");
//   o["sslmode"] = "require";
//   std::string c = pg::build_conninfo(o);        // "dbname='tickit' host='db' …"

#include <map>
#include <string>
#include <string_view>

namespace cu::pg {

// The options a conninfo sets (those with a non-empty value), keyword -> value, with
// libpq's own reading: quotes and escapes undone, URL parts %-decoded, "postgresql://"
// options under their keyword names (host, port, dbname, user, password, …).
using ConninfoOptions = std::map<std::string, std::string>;

// Parses `conninfo` as libpq does (PQconninfoParse), without connecting or reading defaults.
// Throws cu::Error(kUsage, step, resource) with libpq's reason, never the string itself (it
// may hold a password). Registers the password it holds as a secret.
ConninfoOptions parse_conninfo(std::string_view conninfo, std::string_view step,
                               std::string_view resource);

// Registers, with cu::register_secret, every password `conninfo` holds, both as written and
// as libpq will use it (unquoted, unescaped, %-decoded): `password=…` in a key=value string
// (quoted or not), and the URL's `user:password@` and `?password=…`. It reads the string
// itself, not through libpq, so that a string libpq rejects (whose error may quote it) has
// its password registered too.
void register_conninfo_secrets(std::string_view conninfo);

// True for a host that does not leave the machine: empty (libpq's default, a local socket),
// a socket folder ("/var/run/postgresql"), localhost, 127.x.x.x or ::1. crossunload asks
// for TLS (sslmode=require) to every other host unless told otherwise.
bool is_local_host(std::string_view host);

// A conninfo value, always single-quoted, with \ and ' backslash-escaped: "'it''s'" is
// written 'it\'s'.
std::string conninfo_value(std::string_view value);

// "key='value' key='value' …", in the map's (alphabetical) order.
std::string build_conninfo(const ConninfoOptions& options);

}  // namespace cu::pg
