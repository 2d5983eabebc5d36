#pragma once
// The inner query of an UNLOAD is Redshift SQL, whose plain string literals treat `\` as an
// escape (spec §2.1: `'it\'s'`, `'\\'` = one backslash, `'\t'` = TAB). PostgreSQL 9.1+
// reads the same literals with standard_conforming_strings on, where `\` is an ordinary
// character, so a query copied verbatim to PostgreSQL can mean something else or not
// parse. to_postgres_sql() rewrites every plain literal into an E'…' literal with the same
// value, which PostgreSQL reads the same way whatever standard_conforming_strings says.
// The gateway and any emulation over PostgreSQL run this on `spec.select` (§8.2).
//
//   to_postgres_sql(R"(select replace(p, '\\', '/') from f where n = 'O\'Neil')")
//     -> R"(select replace(p, E'\\', E'/') from f where n = E'O''Neil')"
//
// Everything else (identifiers, `$$…$$` strings, nested comments) is copied unchanged: the
// text is read with the one SQL lexer (sql_lexer.h), in Redshift's reading, and literal
// values are decoded with its table (spec §2.4), as parse() decodes UNLOAD's own literals.

#include <string>
#include <string_view>

namespace cu::unload {

// Throws cu::Error(kUsage, "translate query", "", …) for an unterminated quote or comment,
// or a literal whose value contains a NUL byte (`\0`), which PostgreSQL text cannot hold.
std::string to_postgres_sql(std::string_view redshift_sql);

}  // namespace cu::unload
