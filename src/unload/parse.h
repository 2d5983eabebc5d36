#pragma once
// parse(sql): reads one UNLOAD statement, as Redshift would accept it, into an UnloadSpec.
// What the local gateway does with a statement a client sends.
//
//   auto spec = cu::unload::parse(
//       "unload ('select * from venue where venuestate=\\'NV\\'') to 's3://b/v_' "
//       "iam_role default format as csv maxfilesize 64mb parallel off;");
//
// A real tokenizer: keywords in any case, options in any order (optionally separated by
// commas, docs/redshift-unload.md#open-1), the optional words `FORMAT [AS]`, `DELIMITER [AS]`,
// `NULL [AS]`, `MAXFILESIZE [AS] 256 MB` / `64MB`, `PARALLEL [ON|TRUE|OFF|FALSE]`, `[WITH]
// CREDENTIALS [AS]`, `--` and nested `/* */` comments, a trailing `;`. Quoted arguments are read as
// Redshift string literals (docs/redshift-unload.md#s2.4): `''` and `\'` are a quote, `\\` a
// backslash, `\b \f \n \r \t` control characters, `\` + 1–3 octal digits that byte, any
// other `\c` c.
//
// Errors are cu::Error(kUsage, "parse UNLOAD", "", "<message> at position N") where N is
// the 1-based byte offset in `sql`, using PostgreSQL/Redshift wording ("syntax error at or
// near \"X\"") where there is one. parse() checks syntax and what UnloadSpec cannot hold
// (an option given twice, two authorization methods); the rules between options are
// validate()'s. Secret values it reads are passed to cu::register_secret.

#include <string_view>

#include "unload/unload_spec.h"

namespace cu::unload {

UnloadSpec parse(std::string_view sql);

}  // namespace cu::unload
