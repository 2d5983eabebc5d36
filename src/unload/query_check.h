#pragma once
// What a query text is, read once with the one SQL lexer (sql_lexer.h): its first keyword,
// whether another statement follows a `;`, whether it changes data, whether its outermost
// SELECT has a LIMIT. validate() states Redshift's rules for an UNLOAD's query with it, and
// checked_select() checks a job's --query before anything touches a database.
//
//   std::string q = cu::unload::checked_select("  -- daily\n select * from sales;",
//                                              cu::unload::sql::Dialect::kRedshift);
//   // q == "  -- daily\n select * from sales"
//
// Redshift has no data-modifying WITH (`with d as (delete … returning *) select * from d`);
// PostgreSQL runs one even inside COPY. Both checks refuse it, and a WITH whose main
// statement is INSERT, UPDATE, DELETE or MERGE.

#include <optional>
#include <string>
#include <string_view>

#include "unload/sql_lexer.h"

namespace cu::unload {

struct QueryShape {
  // The first token after comments and opening parentheses (a word lower-cased); empty
  // when there is none.
  std::string first;
  bool first_is_word = false;
  bool several_statements = false;  // another statement follows a `;`
  // "insert", "update", "delete" or "merge" when a WITH holds or leads to such a statement.
  std::string modifying;
  bool outer_limit = false;  // LIMIT outside all parentheses
  // End of the last token before trailing `;`s and comments.
  size_t end = 0;
  // An unterminated quote or comment (kind kError), if any; the rest is then not read.
  std::optional<sql::Token> error;
};

QueryShape query_shape(std::string_view sql, sql::Dialect dialect);

// The dialect a job's query is read in: known once the job knows where the query runs
// (Redshift: server mode; PostgreSQL: client mode); before that (mode auto, not yet
// connected) nullopt: the text passes when it passes in one of the two readings, and it is
// checked again, in the reading that applies, where it runs (the gateway, the engine).
using QueryDialect = std::optional<sql::Dialect>;

// Returns `sql` without trailing semicolons and comments, ready to be wrapped in
// `COPY ( … ) TO STDOUT`. Throws cu::Error(kUsage, "check query", "--query", …) when it is
// empty, does not start with SELECT/WITH/VALUES/TABLE (possibly in parentheses), holds more
// than one statement, changes data, or has an unterminated quote or comment.
std::string checked_select(std::string_view sql, QueryDialect dialect);

// Redshift's rules for the query of an UNLOAD (validate() calls it): one SELECT or WITH …
// SELECT that changes nothing, without a LIMIT in its outermost SELECT. Throws
// cu::Error(kUsage, "validate UNLOAD", "SELECT" or "LIMIT", …).
void check_unload_select(std::string_view select, QueryDialect dialect);

}  // namespace cu::unload
