#include "unload/inner_sql.h"

#include <fmt/format.h>

#include "base/error.h"
#include "unload/sql_lexer.h"
#include "unload/sql_text.h"

namespace cu::unload {

namespace {

[[noreturn]] void fail(size_t pos, const std::string& message) {
  throw Error(ErrorKind::kUsage, "translate query", "",
              fmt::format("{} at position {} of the query", message, pos + 1));
}

}  // namespace

std::string to_postgres_sql(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  size_t copied = 0;  // blanks, comments and other tokens are copied as they are
  sql::Lexer lex(s, sql::Dialect::kRedshift);
  for (sql::Token t = lex.next(); t.kind != sql::TokenKind::kEnd; t = lex.next()) {
    if (t.kind == sql::TokenKind::kError) {
      fail(t.pos, sql::describe(t.error));
    }
    if (t.kind != sql::TokenKind::kString) {
      continue;
    }
    std::string value = sql::value_of(t);
    if (value.find('\0') != std::string::npos) {
      fail(t.pos, "a string literal contains a NUL byte, which PostgreSQL cannot hold");
    }
    out.append(s.substr(copied, t.pos - copied));
    out += e_literal(value);
    copied = t.end();
  }
  out.append(s.substr(copied));
  return out;
}

}  // namespace cu::unload
