#pragma once
// Checks, before anything touches a database, that the text given as --query is one
// query that returns rows (SELECT, WITH, VALUES or TABLE, possibly inside parentheses
// and after comments), and returns it ready to be wrapped in `COPY ( … ) TO STDOUT`:
// trailing semicolons and comments removed. Anything else is a usage error (exit 2).
//
//   std::string q = cu::pg::checked_select("  -- daily\n select * from sales;");
//   // q == "select * from sales"

#include <string>
#include <string_view>

namespace cu::pg {

// Throws cu::Error(kUsage, "check query", "--query", …) when `sql` is empty, does not
// start with SELECT/WITH/VALUES/TABLE, holds more than one statement, or has an
// unterminated quote or comment.
std::string checked_select(std::string_view sql);

}  // namespace cu::pg
