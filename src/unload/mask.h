#pragma once
// Column masking: rewrites a query so that chosen columns leave the database already
// masked. The masking is plain SQL around the user's query, so it runs in the source
// database before any row leaves it, whichever side writes the files (Redshift's UNLOAD
// in server mode, our COPY in client mode):
//
//   MaskRules rules = {{"email", parse_mask_rule("hash", "mask.email")}};
//   std::string sql = mask_select("select * from users", columns, rules, salt);
//   // select "userid", md5('<salt>' || cast("email" as varchar)) as "email" from (
//   // select * from users
//   // ) as cu_masked
//
// Column order and names stay those of the query's result (`columns`, as the database
// describes them). The expressions use only what Redshift and PostgreSQL both have (md5,
// left, ||, cast), and literals without backslashes, which both read alike.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "unload/validate.h"

namespace cu::unload {

struct MaskRule {
  enum class Kind {
    kNull,    // cast(null as <type>): the column stays, typed, every value NULL
    kRedact,  // a constant text ('***' unless given)
    kHash,    // md5(salt || value) as text: equal inputs stay equal (joins work); NULL stays
    kKeep,    // the first `keep` characters, then '***'; NULL stays
  };
  Kind kind = Kind::kNull;
  std::string text = "***";  // kRedact's constant
  int keep = 0;              // kKeep's character count, 1..1000
  friend bool operator==(const MaskRule&, const MaskRule&) = default;
};

// Column name (as the result names it, case-sensitive) -> rule.
using MaskRules = std::map<std::string, MaskRule>;

// "null" | "redact" | "redact:TEXT" | "hash" | "keep:N". Throws cu::Error(kUsage,
// "configure", `resource`, …) for anything else (a TEXT holding a backslash, or a control
// character, is refused: Redshift and PostgreSQL read such literals differently).
MaskRule parse_mask_rule(std::string_view text, std::string_view resource);

// The rule as the user writes it ("keep:1", "redact:n/a"), for reports and plans.
std::string to_string(const MaskRule& rule);

// Throws cu::Error(kUsage, "configure", "mask_salt", …) unless `salt` is 8 to 256 printable
// ASCII characters without a backslash. The message never contains the salt.
void check_mask_salt(std::string_view salt);

// "name" with embedded double quotes doubled.
std::string quote_identifier(std::string_view name);

// The masked query: `select <col or masked expression> as <col>, … from (<select>) as
// cu_masked`. Throws cu::Error(kUsage, "mask", <column>, …) when a rule names a column the
// result does not have, when a masked column's name is not unique in the result, or when
// `null` is asked for a column whose type has no name (`oid 1234`).
std::string mask_select(std::string_view select, const std::vector<ResultColumn>& columns,
                        const MaskRules& rules, std::string_view salt);

}  // namespace cu::unload
