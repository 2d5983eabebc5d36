// mask_select(): the SQL that masks columns inside the source database. Expected texts are
// written out by hand from the rules in docs/job.md (null → typed NULL, redact → constant,
// hash → the hex SHA-256 of salt || value (md5 on PostgreSQL before 11), keep:N →
// left(value, N) || '***', email, shift:N, digits:N), for Redshift and PostgreSQL.
#include <gtest/gtest.h>

#include <functional>

#include "base/error.h"
#include "error_of.h"
#include "unload/mask.h"

namespace {

using cu::unload::mask_select;
using cu::unload::MaskDialect;
using cu::unload::MaskRule;
using cu::unload::MaskRules;
using cu::unload::parse_mask_rule;
using cu::unload::ResultColumn;

std::vector<ResultColumn> users() {
  return {{"userid", "integer"},
          {"firstname", "character varying(30)"},
          {"email", "character varying(100)"},
          {"phone", "character(14)"}};
}

MaskRules rules(std::initializer_list<std::pair<const char*, const char*>> items) {
  MaskRules out;
  for (const auto& [col, rule] : items) {
    out[col] = parse_mask_rule(rule, "mask");
  }
  return out;
}

constexpr MaskDialect kRedshift = MaskDialect::redshift_cluster();
constexpr MaskDialect kPg15 = MaskDialect::postgres(150004);
constexpr MaskDialect kPg10 = MaskDialect::postgres(100023);

// The error's exit code and message, or a failure when nothing was thrown.
std::pair<int, std::string> error_of(const std::function<void()>& fn) {
  std::optional<cu::Error> e = cu_test::thrown_by(fn);
  if (!e) {
    ADD_FAILURE() << "no error";
    return {0, ""};
  }
  return {e->exit_code(), e->what()};
}

TEST(Mask, EachRuleExactly) {
  EXPECT_EQ(mask_select("select * from users", users(),
                        rules({{"phone", "null"},
                               {"firstname", "keep:1"},
                               {"email", "hash"},
                               {"userid", "redact"}}),
                        "s4lt-s4lt", kRedshift),
            "select cast('***' as varchar(65535)) as \"userid\", "
            "left(cast(\"firstname\" as varchar(65535)), 1) || '***' as \"firstname\", "
            "sha2('s4lt-s4lt' || cast(\"email\" as varchar(65535)), 256) as \"email\", "
            "cast(null as character(14)) as \"phone\" from (\nselect * from users\n) as cu_masked");
}

TEST(Mask, UnmaskedColumnsKeepOrderAndNames) {
  EXPECT_EQ(
      mask_select("select 1", users(), rules({{"email", "redact:n/a"}}), "saltsalt", kPg15),
      "select \"userid\", \"firstname\", cast('n/a' as varchar(65535)) as \"email\", \"phone\" "
      "from (\nselect 1\n) as cu_masked");
}

TEST(Mask, QuotesIdentifiersAndLiterals) {
  std::vector<ResultColumn> cols = {{"say \"hi\"", "text"}, {"Mixed Case", "integer"}};
  EXPECT_EQ(
      mask_select("select x", cols, rules({{"say \"hi\"", "redact:it's"}, {"Mixed Case", "hash"}}),
                  "o'salt-1", kPg10),
      "select cast('it''s' as varchar(65535)) as \"say \"\"hi\"\"\", "
      "md5('o''salt-1' || cast(\"Mixed Case\" as varchar(65535))) as \"Mixed Case\" "
      "from (\nselect x\n) as cu_masked");
}

TEST(Mask, TrailingCommentOfTheQueryCannotSwallowTheParenthesis) {
  EXPECT_EQ(mask_select("select * from users -- all", users(), rules({{"email", "null"}}),
                        "saltsalt", kRedshift),
            "select \"userid\", \"firstname\", cast(null as character varying(100)) as \"email\", "
            "\"phone\" from (\nselect * from users -- all\n) as cu_masked");
}

TEST(Mask, UnknownColumnIsAUsageError) {
  auto [code, msg] = error_of([] {
    mask_select("select 1", users(), rules({{"Email", "hash"}}), "saltsalt", kPg15);
  });
  EXPECT_EQ(code, 2);
  EXPECT_EQ(msg,
            "mask Email: mask names column 'Email', which the query's result does not have (it "
            "has: userid, firstname, email, phone); hint: column names are case-sensitive, as the "
            "database names them");
}

TEST(Mask, DuplicateColumnNamesAreRefused) {
  std::vector<ResultColumn> cols = {{"id", "integer"}, {"id", "integer"}, {"e", "text"}};
  auto [code, msg] = error_of([&] {
    mask_select("select 1", cols, rules({{"e", "hash"}}), "saltsalt", kPg15);
  });
  EXPECT_EQ(code, 2);
  EXPECT_NE(msg.find("more than one column named 'id'"), std::string::npos) << msg;
}

TEST(Mask, NullOfAnUnnamedTypeIsRefused) {
  std::vector<ResultColumn> cols = {{"g", "oid 3000"}};
  EXPECT_EQ(error_of([&] {
              mask_select("select 1", cols, rules({{"g", "null"}}), "saltsalt", kPg15);
            }).first,
            2);
}

// One masked column's expression: the select list's only item, without ` as "<name>"`.
std::string expr_of(const ResultColumn& column, const char* rule, const MaskDialect& dialect) {
  std::string sql =
      mask_select("select 1", {column}, rules({{column.name.c_str(), rule}}), "saltsalt", dialect);
  std::string head = "select ";
  std::string tail = " as \"" + column.name + "\" from (\nselect 1\n) as cu_masked";
  EXPECT_TRUE(sql.starts_with(head) && sql.ends_with(tail)) << sql;
  return sql.substr(head.size(), sql.size() - head.size() - tail.size());
}

#define C "cast(\"e\" as varchar(65535))"

TEST(Mask, HashIsSha256WhereTheDatabaseHasIt) {
  ResultColumn e{"e", "text"};
  EXPECT_EQ(expr_of(e, "hash", kRedshift), "sha2('saltsalt' || " C ", 256)");
  EXPECT_EQ(expr_of(e, "hash", kPg15),
            "encode(sha256(convert_to('saltsalt' || " C ", 'UTF8')), 'hex')");
  EXPECT_EQ(expr_of(e, "hash", MaskDialect::postgres(110000)),
            "encode(sha256(convert_to('saltsalt' || " C ", 'UTF8')), 'hex')");
  EXPECT_EQ(expr_of(e, "hash", kPg10), "md5('saltsalt' || " C ")");
  EXPECT_EQ(cu::unload::digest_name(kRedshift), "sha256");
  EXPECT_EQ(cu::unload::digest_name(kPg15), "sha256");
  EXPECT_EQ(cu::unload::digest_name(kPg10), "md5");
}

TEST(Mask, EmailHashesWhatPrecedesTheLastAtAndKeepsTheDomain) {
  ResultColumn e{"e", "character varying(100)"};
  EXPECT_EQ(expr_of(e, "email", kRedshift),
            "sha2('saltsalt' || left(" C ", length(" C ") - strpos(reverse(" C
            "), '@')), 256) "
            "|| right(" C ", strpos(reverse(" C "), '@'))");
  EXPECT_EQ(expr_of(e, "email", kPg15),
            "encode(sha256(convert_to('saltsalt' || left(" C ", length(" C ") - strpos(reverse(" C
            "), '@')), 'UTF8')), 'hex') || right(" C ", strpos(reverse(" C "), '@'))");
  EXPECT_EQ(expr_of(e, "email", kPg10),
            "md5('saltsalt' || left(" C ", length(" C ") - strpos(reverse(" C
            "), '@'))) || "
            "right(" C ", strpos(reverse(" C "), '@'))");
}

TEST(Mask, DigitsKeepsTheLastNDigitsAlike) {
  ResultColumn e{"e", "character(14)"};
  const std::string want = "repeat('*', greatest(length(translate(" C ", translate(" C
                           ", '0123456789', ''), '')) - 4, 0)) || right(translate(" C
                           ", translate(" C ", '0123456789', ''), ''), 4)";
  EXPECT_EQ(expr_of(e, "digits:4", kRedshift), want);
  EXPECT_EQ(expr_of(e, "digits:4", kPg15), want);
}

#undef C
#define RS_DAYS                                                                               \
  "(mod(cast(strtol(left(sha2('saltsalt' || cast(\"e\" as varchar(65535)), 256), 7), 16) as " \
  "integer), 61) - 30)"
#define PG_DAYS                                                                      \
  "(mod(cast(cast('x' || left(encode(sha256(convert_to('saltsalt' || cast(\"e\" as " \
  "varchar(65535)), 'UTF8')), 'hex'), 7) as bit(28)) as integer), 61) - 30)"

TEST(Mask, ShiftMovesDatesAndTimestampsByWholeDays) {
  ResultColumn date{"e", "date"}, ts{"e", "timestamp without time zone"},
      tstz{"e", "timestamp with time zone"};
  EXPECT_EQ(expr_of(date, "shift:30", kRedshift), "cast(dateadd(day, " RS_DAYS ", \"e\") as date)");
  EXPECT_EQ(expr_of(ts, "shift:30", kRedshift), "dateadd(day, " RS_DAYS ", \"e\")");
  EXPECT_EQ(expr_of({"e", "timestamp"}, "shift:30", kRedshift), "dateadd(day, " RS_DAYS ", \"e\")");
  EXPECT_EQ(expr_of(tstz, "shift:30", kRedshift),
            "cast(dateadd(day, " RS_DAYS ", \"e\") as timestamptz)");
  EXPECT_EQ(expr_of({"e", "timestamptz"}, "shift:30", kRedshift),
            "cast(dateadd(day, " RS_DAYS ", \"e\") as timestamptz)");
  EXPECT_EQ(expr_of(date, "shift:30", kPg15), "\"e\" + " PG_DAYS);
  EXPECT_EQ(expr_of(ts, "shift:30", kPg15), "\"e\" + " PG_DAYS " * interval '1 day'");
  EXPECT_EQ(expr_of(tstz, "shift:30", kPg15), "\"e\" + " PG_DAYS " * interval '1 day'");
  EXPECT_EQ(expr_of(date, "shift:1", kPg10),
            "\"e\" + (mod(cast(cast('x' || left(md5('saltsalt' || cast(\"e\" as "
            "varchar(65535))), 7) as bit(28)) as integer), 3) - 1)");
}

#undef RS_DAYS
#undef PG_DAYS

TEST(Mask, ShiftOfAnythingButADateOrTimestampIsRefused) {
  for (const char* type : {"character varying(10)", "integer", "time without time zone", ""}) {
    std::vector<ResultColumn> cols = {{"id", "integer"}, {"created", type}};
    auto [code, msg] = error_of([&] {
      mask_select("select 1", cols, rules({{"created", "shift:7"}}), "saltsalt", kPg15);
    });
    EXPECT_EQ(code, 2) << type;
    EXPECT_TRUE(
        msg.starts_with("mask created: shift:7 moves dates and timestamps; column "
                        "'created' is "))
        << msg;
  }
}

TEST(Mask, PatternsMatchWholeNamesAnyCase) {
  using cu::unload::matches_pattern;
  EXPECT_TRUE(matches_pattern("email", "email"));
  EXPECT_TRUE(matches_pattern("email", "EMail"));
  EXPECT_FALSE(matches_pattern("email", "email2"));
  EXPECT_FALSE(matches_pattern("email", "work_email"));
  EXPECT_TRUE(matches_pattern("*email*", "work_email_2"));
  EXPECT_TRUE(matches_pattern("*email", "email"));
  EXPECT_TRUE(matches_pattern("*_at", "created_at"));
  EXPECT_FALSE(matches_pattern("*_at", "created_ad"));
  EXPECT_TRUE(matches_pattern("phone?", "phone2"));
  EXPECT_FALSE(matches_pattern("phone?", "phone"));
  EXPECT_TRUE(matches_pattern("*", ""));
  EXPECT_TRUE(matches_pattern("a*b*c", "axxbyyc"));
  EXPECT_FALSE(matches_pattern("a*b*c", "axxbyy"));
  EXPECT_TRUE(matches_pattern("*ab", "aab"));
}

TEST(Mask, ExplicitRulesWinOverThePolicyWhoseFirstMatchDecides) {
  cu::unload::MaskPolicy policy = {{"*name", parse_mask_rule("keep:1", "p")},
                                   {"first*", parse_mask_rule("redact", "p")},
                                   {"email", parse_mask_rule("email", "p")},
                                   {"*phone*", parse_mask_rule("digits:4", "p")}};
  MaskRules got = cu::unload::resolve_mask(users(), rules({{"email", "hash"}}), policy);
  std::map<std::string, std::string> as_text;
  for (const auto& [col, rule] : got) {
    as_text[col] = cu::unload::to_string(rule);
  }
  EXPECT_EQ(as_text, (std::map<std::string, std::string>{
                         {"email", "hash"}, {"firstname", "keep:1"}, {"phone", "digits:4"}}));
  // An explicit rule for a column the result lacks stays, for mask_select to refuse.
  EXPECT_TRUE(
      cu::unload::resolve_mask(users(), rules({{"nosuch", "hash"}}), {}).contains("nosuch"));
}

TEST(Mask, ParseRules) {
  EXPECT_EQ(parse_mask_rule("keep:3", "m").n, 3);
  EXPECT_EQ(parse_mask_rule("redact:", "m").text, "");
  EXPECT_EQ(cu::unload::to_string(parse_mask_rule("redact", "m")), "redact");
  EXPECT_EQ(cu::unload::to_string(parse_mask_rule("redact:x, y", "m")), "redact:x, y");
  EXPECT_EQ(cu::unload::to_string(parse_mask_rule("keep:12", "m")), "keep:12");
  EXPECT_EQ(cu::unload::to_string(parse_mask_rule("email", "m")), "email");
  EXPECT_EQ(cu::unload::to_string(parse_mask_rule("shift:365", "m")), "shift:365");
  EXPECT_EQ(cu::unload::to_string(parse_mask_rule("digits:4", "m")), "digits:4");
  EXPECT_EQ(parse_mask_rule("shift:36500", "m").n, 36500);
  for (const char* badrule :
       {"Hash",     "keep:0",      "keep:",     "keep:x",      "keep:1001", "md5",
        "",         "redact:a\\b", "nul",       "email:4",     "Email",     "shift",
        "shift:",   "shift:0",     "shift:-3",  "shift:36501", "shift:1d",  "digits",
        "digits:0", "digits:1001", "digits:+4", "sha256"}) {
    auto [code, msg] = error_of([&] { parse_mask_rule(badrule, "mask.email"); });
    EXPECT_EQ(code, 2) << badrule;
    EXPECT_TRUE(msg.starts_with("configure mask.email: '")) << msg;
  }
}

TEST(Mask, SaltChecksNeverEchoTheSalt) {
  EXPECT_NO_THROW(cu::unload::check_mask_salt("0123456789abcdef"));
  for (const char* salt : {"short", "has space here", "back\\slash1"}) {
    auto [code, msg] = error_of([&] { cu::unload::check_mask_salt(salt); });
    EXPECT_EQ(code, 2);
    EXPECT_EQ(msg.find(salt), std::string::npos) << msg;
  }
}

}  // namespace
