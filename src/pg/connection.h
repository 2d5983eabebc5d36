#pragma once
// pg::Connection — one libpq session to PostgreSQL or Redshift, owned for its lifetime.
// It accepts what users already have: a libpq conninfo string ("host=db port=5432
// dbname=tickit user=etl") or a URL ("postgresql://etl@db:5432/tickit"); the password may
// come from the URL, PGPASSWORD or PGPASSFILE, and is registered with cu::register_secret
// as soon as it is known, so no message can echo it. Errors name host:port/db, never the
// conninfo itself.
//
//   pg::Target target = pg::parse_target(conninfo);      // kUsage when malformed
//   pg::Connection conn(target);                          // kAccess / kSource on failure
//   if (conn.server().kind == pg::ServerKind::kRedshift) …
//   std::vector<pg::Column> cols = conn.describe(query);  // result shape, no rows read

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

struct pg_conn;

namespace cu::pg {

// Where a conninfo points, for messages and --dry-run. Holds no password.
struct Target {
  std::string conninfo;  // as given (may hold a password: never print it)
  std::string host;      // after libpq's defaults (PGHOST…); a socket folder for local sockets
  std::string port;
  std::string dbname;
  std::string user;
  bool password_in_conninfo = false;

  // "host:port/dbname" — the resource named in every error of this connection.
  std::string describe() const;
};

// Parses a conninfo string or postgresql:// URL without connecting. Throws kUsage naming
// what is wrong (but never echoing the string, which may hold a password). Registers any
// password it holds, and PGPASSWORD, as secrets.
Target parse_target(std::string_view conninfo);

enum class ServerKind { kPostgres, kRedshift };

struct ServerInfo {
  ServerKind kind = ServerKind::kPostgres;
  std::string version;  // select version()
  int version_num = 0;  // the server_version it reports, as a number: 150004 for 15.4
};

// Redshift answers version() with "PostgreSQL 8.0.2 on …, Redshift 1.0.<build>" (spec 8.2).
ServerKind detect_server(std::string_view version_string);

// A result column, known before the first row is read.
struct Column {
  std::string name;
  uint32_t type_oid = 0;  // pg_type oid (25 text, 23 int4, …)
  int type_modifier = -1;
};

// The exit-code kind of a libpq connection failure: kAccess for authentication (wrong
// password, missing password, pg_hba rejection, unknown role), kSource otherwise.
ErrorKind classify_connect_failure(std::string_view libpq_message);

// Collapses libpq's multi-line messages ("…failed: …\n\tIs the server running…") into one.
std::string one_line(std::string_view message);

// What a failure says when the server closed the connection without sending a reason
// (no ErrorResponse before the socket closed). PostgreSQL usually sends none when it ends a
// backend that is blocked writing rows to a client slower than the query (the usual state
// of a long unload when pg_terminate_backend or a fast shutdown comes), so the reason is only
// in the server's log.
inline constexpr std::string_view kLostWithoutReason =
    "the server closed the connection unexpectedly and sent no reason (PostgreSQL sends none "
    "when it ends a session that is blocked sending rows, e.g. pg_terminate_backend or a "
    "shutdown; the server's log says why)";

// True when libpq's message says the connection was lost and holds no message of the
// server's (a "FATAL:" or "ERROR:" line libpq read before the socket closed).
bool lost_without_reason(std::string_view libpq_message);

class Connection {
 public:
  // Connects (connect timeout 10 s unless the conninfo sets one; application_name
  // "crossunload" unless set), then reads version() and sets the session up for unloading:
  // UTF8, ISO dates, UTC, read-only transactions (PostgreSQL only).
  explicit Connection(const Target& target);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const ServerInfo& server() const { return server_; }
  const Target& target() const { return target_; }

  // Runs a statement that returns no rows we need; throws kSource/kAccess with `step`.
  void execute(const std::string& sql, std::string_view step);

  // The value in the first row and column of `sql`'s result ("select pg_last_unload_count()"):
  // std::nullopt when there is no row or the value is NULL. Throws like execute().
  std::optional<std::string> query_value(const std::string& sql, std::string_view step);

  // Every value of the first row of `sql`'s result, as text (nullopt for NULL); empty when
  // there is no row. Throws like execute().
  std::vector<std::optional<std::string>> query_row(const std::string& sql, std::string_view step);

  // Column names and types of a query's result, by preparing it (the unnamed statement)
  // without executing it. Also proves that `query` is one statement.
  std::vector<Column> describe(const std::string& query);

  pg_conn* raw() { return conn_; }

  // Throws the cu::Error for the libpq result `res` (a failed command), kind by SQLSTATE.
  [[noreturn]] void throw_result_error(const void* pg_result, std::string_view step) const;

 private:
  Target target_;
  ServerInfo server_;
  pg_conn* conn_ = nullptr;
};

}  // namespace cu::pg
