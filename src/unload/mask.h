#pragma once
// Column masking: rewrites a query so that chosen columns leave the database already
// masked. The masking is plain SQL around the user's query, so it runs in the source
// database before any row leaves it, whichever side writes the files (Redshift's UNLOAD
// in server mode, our COPY in client mode):
//
//   MaskRules rules = {{"email", parse_mask_rule("hash", "mask.email")}};
//   std::string sql = mask_select("select * from users", columns, rules, salt,
//                                 MaskDialect::redshift());
//   // select "userid", sha2('<salt>' || cast("email" as varchar(65535)), 256) as "email"
//   // from (
//   // select * from users
//   // ) as cu_masked
//
// Column order and names stay those of the query's result (`columns`, as the database
// describes them). The SQL is written for the database that runs it (MaskDialect): the
// digest behind `hash`, `email` and `shift` is SHA-256 where the database has it (Redshift's
// sha2, PostgreSQL 11 and later's sha256) and md5 only on an older PostgreSQL; SHA-256 of
// the same salted text gives the same hex digits on Redshift and PostgreSQL. Literals hold
// no backslashes, which both read alike.

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
    kHash,    // hex digest of salt || value: equal inputs stay equal (joins work)
    kKeep,    // the first `n` characters, then '***'
    kEmail,   // digest of salt || the part before the last '@', then '@' and the domain as is
    kShift,   // a date or timestamp moved by whole days, -n..n, chosen by the value's digest
    kDigits,  // the value's digits 0-9, all but the last `n` as '*'; other characters dropped
  };
  Kind kind = Kind::kNull;
  std::string text = "***";  // kRedact's constant
  int n = 0;                 // kKeep: characters 1..1000; kDigits: digits 1..1000;
                             // kShift: days 1..36500
  friend bool operator==(const MaskRule&, const MaskRule&) = default;
};
// Every rule but null and redact keeps NULL as NULL.

// Column name (as the result names it, case-sensitive) -> rule.
using MaskRules = std::map<std::string, MaskRule>;

// "null" | "redact" | "redact:TEXT" | "hash" | "keep:N" | "email" | "shift:N" | "digits:N".
// Throws cu::Error(kUsage, "configure", `resource`, …) for anything else (a TEXT holding a
// backslash, or a control character, is refused: Redshift and PostgreSQL read such literals
// differently).
MaskRule parse_mask_rule(std::string_view text, std::string_view resource);

// True for the rules whose output depends on the salt: hash, email, shift.
bool uses_salt(const MaskRule& rule);

// The rule as the user writes it ("keep:1", "redact:n/a"), for reports and plans.
std::string to_string(const MaskRule& rule);

// Throws cu::Error(kUsage, "configure", "mask_salt", …) unless `salt` is 8 to 256 printable
// ASCII characters without a backslash. The message never contains the salt.
void check_mask_salt(std::string_view salt);

// "name" with embedded double quotes doubled.
std::string quote_identifier(std::string_view name);

// A mask policy: column-name patterns and their rules, in the order the policy file gives
// them. A pattern is matched against the whole column name, ASCII letters in either case
// alike; `*` stands for any run of characters (none included), `?` for one character.
struct MaskPolicyRule {
  std::string pattern;
  MaskRule rule;
  friend bool operator==(const MaskPolicyRule&, const MaskPolicyRule&) = default;
};
using MaskPolicy = std::vector<MaskPolicyRule>;

// True when `name` matches the policy pattern `pattern` (see MaskPolicyRule).
bool matches_pattern(std::string_view pattern, std::string_view name);

// The rule of each masked column of the result: the column's entry in `rules` (the job's
// explicit `mask`), else the first policy rule whose pattern matches the column's name.
// Entries of `rules` naming no column of the result are kept, for mask_select to refuse.
MaskRules resolve_mask(const std::vector<ResultColumn>& columns, const MaskRules& rules,
                       const MaskPolicy& policy);

// The database that runs the masking SQL: Redshift, or PostgreSQL of a server_version_num
// (150004 for 15.4). The one place that picks the SQL for each: digest_name() and
// mask_select().
struct MaskDialect {
  bool redshift = true;
  int server_version_num = 0;  // PostgreSQL's; unused on Redshift
  static constexpr MaskDialect redshift_cluster() noexcept { return {true, 0}; }
  static constexpr MaskDialect postgres(int server_version_num) noexcept {
    return {false, server_version_num};
  }
};

// "sha256" (Redshift; PostgreSQL 11 and later) or "md5" (older PostgreSQL): the digest the
// hash, email and shift rules use on `dialect`, for reports.
std::string_view digest_name(const MaskDialect& dialect);

// The masked query: `select <col or masked expression> as <col>, … from (<select>) as
// cu_masked`, written for `dialect`. Throws cu::Error(kUsage, "mask", <column>, …) when a
// rule names a column the result does not have, when a masked column's name is not unique
// in the result, when `null` is asked for a column whose type has no name (`oid 1234`), or
// when `shift` is asked for a column that is not a date or timestamp.
std::string mask_select(std::string_view select, const std::vector<ResultColumn>& columns,
                        const MaskRules& rules, std::string_view salt, const MaskDialect& dialect);

}  // namespace cu::unload
