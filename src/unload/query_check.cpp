#include "unload/query_check.h"

#include <fmt/format.h>

#include <vector>

#include "base/error.h"

namespace cu::unload {
namespace {

using sql::Token;
using sql::TokenKind;

// "delete" when `t` is a keyword that starts a data-modifying statement, else "".
std::string_view modifying_keyword(const Token& t) {
  for (std::string_view kw : {"insert", "update", "delete", "merge"}) {
    if (t.is_word(kw)) {
      return kw;
    }
  }
  return {};
}

// Index just after the parenthesis that closes the one at st[j].
size_t skip_parens(const std::vector<Token>& st, size_t j) {
  int depth = 0;
  do {
    if (st[j].is_symbol('(')) {
      ++depth;
    } else if (st[j].is_symbol(')')) {
      --depth;
    }
    ++j;
  } while (j < st.size() && depth > 0);
  return j;
}

// The data-modifying statement a WITH holds or leads to, or "". `first` indexes the first
// keyword of the statement `st`.
std::string modifying_statement(const std::vector<Token>& st, size_t first) {
  const size_t n = st.size();
  // A CTE body anywhere: `AS [NOT] [MATERIALIZED] ( [(…] <insert|update|delete|merge>`.
  for (size_t k = 0; k < n; ++k) {
    if (!st[k].is_word("as")) {
      continue;
    }
    size_t j = k + 1;
    if (j < n && st[j].is_word("not")) {
      ++j;
    }
    if (j < n && st[j].is_word("materialized")) {
      ++j;
    }
    if (j >= n || !st[j].is_symbol('(')) {
      continue;
    }
    while (j < n && st[j].is_symbol('(')) {
      ++j;
    }
    if (j < n && !modifying_keyword(st[j]).empty()) {
      return std::string(modifying_keyword(st[j]));
    }
  }
  // The main statement after a top-level `WITH [RECURSIVE] name [(cols)] AS (…), …`.
  if (first >= n || !st[first].is_word("with")) {
    return {};
  }
  size_t j = first + 1;
  if (j < n && st[j].is_word("recursive")) {
    ++j;
  }
  for (;;) {
    bool body = false;
    while (j < n && !body) {
      if (st[j].is_symbol('(')) {
        body = st[j - 1].is_word("as") || st[j - 1].is_word("materialized");
        j = skip_parens(st, j);
      } else {
        ++j;
      }
    }
    if (j < n && st[j].is_symbol(',')) {
      ++j;
      continue;
    }
    break;
  }
  // Between the last body and the main statement PostgreSQL allows SEARCH / CYCLE clauses.
  for (; j < n && !st[j].is_symbol('('); ++j) {
    if (!modifying_keyword(st[j]).empty()) {
      return std::string(modifying_keyword(st[j]));
    }
    if (st[j].is_word("select") || st[j].is_word("values") || st[j].is_word("table")) {
      break;
    }
  }
  return {};
}

// Runs check(d) in the reading `dialect` names, or (nullopt) in Redshift's and then
// PostgreSQL's, returning the first result that does not throw; when none passes, the
// first reading's error is thrown.
template <typename Check>
auto in_reading(QueryDialect dialect, Check check) {
  if (dialect) {
    return check(*dialect);
  }
  try {
    return check(sql::Dialect::kRedshift);
  } catch (const Error& redshift_error) {
    try {
      return check(sql::Dialect::kPostgres);
    } catch (const Error&) {
      throw redshift_error;
    }
  }
}

std::string position(const Token& t) { return fmt::format("at position {}", t.pos + 1); }

}  // namespace

QueryShape query_shape(std::string_view text, sql::Dialect dialect) {
  QueryShape shape;
  std::vector<Token> toks = sql::tokenize(text, dialect);
  if (toks.back().kind == TokenKind::kError) {
    shape.error = toks.back();
  }
  toks.pop_back();  // kEnd or kError
  size_t n = 0;
  while (n < toks.size() && !toks[n].is_symbol(';')) {
    ++n;
  }
  for (size_t k = n; k < toks.size(); ++k) {
    if (!toks[k].is_symbol(';')) {
      shape.several_statements = true;
      break;
    }
  }
  toks.resize(n);  // the first statement
  if (n == 0) {
    return shape;
  }
  shape.end = toks[n - 1].end();
  size_t first = 0;
  while (first < n && toks[first].is_symbol('(')) {
    ++first;
  }
  if (first < n) {
    shape.first_is_word = toks[first].kind == TokenKind::kWord;
    shape.first = std::string(toks[first].text);
    if (shape.first_is_word) {
      for (char& c : shape.first) {
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      }
    }
  }
  int depth = 0;
  for (const Token& t : toks) {
    if (t.is_symbol('(')) {
      ++depth;
    } else if (t.is_symbol(')')) {
      --depth;
    } else if (depth <= 0 && t.is_word("limit")) {
      shape.outer_limit = true;
    }
  }
  shape.modifying = modifying_statement(toks, first);
  return shape;
}

std::string checked_select(std::string_view text, QueryDialect dialect) {
  return in_reading(dialect, [text](sql::Dialect d) {
    auto reject = [](const std::string& message) {
      return Error(ErrorKind::kUsage, "check query", "--query", message)
          .with_hint("give one SELECT (or WITH … SELECT, VALUES, TABLE) statement");
    };
    QueryShape shape = query_shape(text, d);
    if (shape.error) {
      throw reject(fmt::format("{} {}", sql::describe(shape.error->error), position(*shape.error)));
    }
    if (shape.first.empty()) {
      throw reject("the query is empty");
    }
    const std::string& w = shape.first;
    if (!shape.first_is_word || (w != "select" && w != "with" && w != "values" && w != "table")) {
      throw reject(fmt::format(
          "only a query that returns rows can be unloaded, not a statement starting with \"{}\"",
          w.substr(0, 40)));
    }
    if (shape.several_statements) {
      throw reject("the query holds more than one statement");
    }
    if (!shape.modifying.empty()) {
      throw reject(fmt::format("the query changes data: {} inside WITH", shape.modifying))
          .with_hint("Redshift has no data-modifying WITH; unload a query that only reads");
    }
    return std::string(text.substr(0, shape.end));
  });
}

void check_unload_select(std::string_view select, QueryDialect dialect) {
  in_reading(dialect, [select](sql::Dialect d) {
    auto reject = [](const std::string& option, const std::string& message,
                     const std::string& hint) {
      return Error(ErrorKind::kUsage, "validate UNLOAD", option, message).with_hint(hint);
    };
    const char* kSelectHint = "UNLOAD ('select …') — the query must be a SELECT (or WITH … SELECT)";
    QueryShape shape = query_shape(select, d);
    if (shape.error) {
      throw reject("SELECT",
                   fmt::format("{} {} of the query", sql::describe(shape.error->error),
                               position(*shape.error)),
                   kSelectHint);
    }
    if (shape.first.empty()) {
      throw reject("SELECT", "the query is empty", kSelectHint);
    }
    if (shape.first != "select" && shape.first != "with") {
      throw reject(
          "SELECT",
          fmt::format("UNLOAD takes a SELECT query, not \"{}\"", shape.first.substr(0, 40)),
          kSelectHint);
    }
    if (shape.several_statements) {
      throw reject("SELECT", "the query holds more than one statement", kSelectHint);
    }
    if (!shape.modifying.empty()) {
      throw reject("SELECT", fmt::format("the query changes data: {} inside WITH", shape.modifying),
                   "Redshift has no data-modifying WITH; unload a query that only reads");
    }
    if (shape.outer_limit) {
      throw reject(
          "LIMIT", "LIMIT is not allowed in the outermost SELECT of an UNLOAD",
          "use a subquery: select * from t where id in (select id from t order by id limit 10)");
    }
    return 0;
  });
}

}  // namespace cu::unload
