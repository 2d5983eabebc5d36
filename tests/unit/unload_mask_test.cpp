// mask_select(): the SQL that masks columns inside the source database. Expected texts are
// written out by hand from the rules in docs/job.md (null → typed NULL, redact → constant,
// hash → md5(salt || value), keep:N → left(value, N) || '***').
#include <gtest/gtest.h>

#include <functional>

#include "base/error.h"
#include "error_of.h"
#include "unload/mask.h"

namespace {

using cu::unload::mask_select;
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
                        "s4lt-s4lt"),
            "select cast('***' as varchar(65535)) as \"userid\", "
            "left(cast(\"firstname\" as varchar(65535)), 1) || '***' as \"firstname\", "
            "md5('s4lt-s4lt' || cast(\"email\" as varchar(65535))) as \"email\", "
            "cast(null as character(14)) as \"phone\" from (\nselect * from users\n) as cu_masked");
}

TEST(Mask, UnmaskedColumnsKeepOrderAndNames) {
  EXPECT_EQ(
      mask_select("select 1", users(), rules({{"email", "redact:n/a"}}), "saltsalt"),
      "select \"userid\", \"firstname\", cast('n/a' as varchar(65535)) as \"email\", \"phone\" "
      "from (\nselect 1\n) as cu_masked");
}

TEST(Mask, QuotesIdentifiersAndLiterals) {
  std::vector<ResultColumn> cols = {{"say \"hi\"", "text"}, {"Mixed Case", "integer"}};
  EXPECT_EQ(mask_select("select x", cols,
                        rules({{"say \"hi\"", "redact:it's"}, {"Mixed Case", "hash"}}), "o'salt-1"),
            "select cast('it''s' as varchar(65535)) as \"say \"\"hi\"\"\", "
            "md5('o''salt-1' || cast(\"Mixed Case\" as varchar(65535))) as \"Mixed Case\" "
            "from (\nselect x\n) as cu_masked");
}

TEST(Mask, TrailingCommentOfTheQueryCannotSwallowTheParenthesis) {
  EXPECT_EQ(
      mask_select("select * from users -- all", users(), rules({{"email", "null"}}), "saltsalt"),
      "select \"userid\", \"firstname\", cast(null as character varying(100)) as \"email\", "
      "\"phone\" from (\nselect * from users -- all\n) as cu_masked");
}

TEST(Mask, UnknownColumnIsAUsageError) {
  auto [code, msg] = error_of([] {
    mask_select("select 1", users(), rules({{"Email", "hash"}}), "saltsalt");
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
    mask_select("select 1", cols, rules({{"e", "hash"}}), "saltsalt");
  });
  EXPECT_EQ(code, 2);
  EXPECT_NE(msg.find("more than one column named 'id'"), std::string::npos) << msg;
}

TEST(Mask, NullOfAnUnnamedTypeIsRefused) {
  std::vector<ResultColumn> cols = {{"g", "oid 3000"}};
  EXPECT_EQ(error_of([&] {
              mask_select("select 1", cols, rules({{"g", "null"}}), "saltsalt");
            }).first,
            2);
}

TEST(Mask, ParseRules) {
  EXPECT_EQ(parse_mask_rule("keep:3", "m").keep, 3);
  EXPECT_EQ(parse_mask_rule("redact:", "m").text, "");
  EXPECT_EQ(cu::unload::to_string(parse_mask_rule("redact", "m")), "redact");
  EXPECT_EQ(cu::unload::to_string(parse_mask_rule("redact:x, y", "m")), "redact:x, y");
  EXPECT_EQ(cu::unload::to_string(parse_mask_rule("keep:12", "m")), "keep:12");
  for (const char* badrule :
       {"Hash", "keep:0", "keep:", "keep:x", "keep:1001", "md5", "", "redact:a\\b", "nul"}) {
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
