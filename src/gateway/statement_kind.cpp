#include "gateway/statement_kind.h"

#include <fmt/format.h>

#include <cctype>
#include <initializer_list>
#include <vector>

#include "base/version.h"
#include "unload/sql_lexer.h"

namespace cu::gateway {
namespace {

using unload::sql::Token;
using unload::sql::TokenKind;

// The statement's tokens from its second on, without trailing `;`s, match `words` (lower-case
// keywords, or one symbol character each).
bool rest_is(unload::sql::Lexer& lex, std::initializer_list<std::string_view> words) {
  std::vector<Token> rest;
  for (Token t = lex.next(); t.kind != TokenKind::kEnd; t = lex.next()) {
    if (t.kind == TokenKind::kError) {
      return false;
    }
    rest.push_back(t);
  }
  while (!rest.empty() && rest.back().is_symbol(';')) {
    rest.pop_back();
  }
  if (rest.size() != words.size()) {
    return false;
  }
  size_t k = 0;
  for (std::string_view w : words) {
    const Token& t = rest[k++];
    bool symbol = w.size() == 1 && !std::isalpha(static_cast<unsigned char>(w[0]));
    if (symbol ? !t.is_symbol(w[0]) : !t.is_word(w)) {
      return false;
    }
  }
  return true;
}

}  // namespace

StatementKind classify(std::string_view sql) {
  // Clients send Redshift SQL; the lexer is the one the UNLOAD parser and checks use.
  unload::sql::Lexer lex(sql, unload::sql::Dialect::kRedshift);
  const Token first = lex.next();
  if (first.is_word("unload")) {
    return StatementKind::kUnload;
  }
  if (!first.is_word("select")) {
    return StatementKind::kPassThrough;
  }
  const Token second = lex.next();
  if (second.is_word("version")) {
    return rest_is(lex, {"(", ")"}) ? StatementKind::kVersion : StatementKind::kPassThrough;
  }
  if (second.is_word("pg_catalog")) {
    return rest_is(lex, {".", "version", "(", ")"}) ? StatementKind::kVersion
                                                    : StatementKind::kPassThrough;
  }
  if (second.is_word("pg_last_unload_count")) {
    return rest_is(lex, {"(", ")"}) ? StatementKind::kLastUnloadCount : StatementKind::kPassThrough;
  }
  return StatementKind::kPassThrough;
}

std::string version_text(std::string_view upstream_version) {
  // server_version looks like "15.20 (Debian 15.20-0+deb12u1)"; keep the number only so the
  // text has no comma before the Redshift suffix (detection looks after the last comma).
  auto number = upstream_version.substr(0, upstream_version.find(' '));
  if (number.empty()) {
    number = "unknown";
  }
  return fmt::format(
      "PostgreSQL 8.0.2 on x86_64-pc-linux-gnu, compiled by crossunload-gateway {} over "
      "PostgreSQL {}, Redshift 1.0.0",
      kVersion, number);
}

}  // namespace cu::gateway
