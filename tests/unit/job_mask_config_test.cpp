// The `mask`, `mask_policy` and `mask_salt` keys: a TOML table, a JSON object and repeated `--mask
// col=rule` flags give the same rules; bad rules and salts are usage errors (exit 2) that never
// show the salt; the salt is registered as a secret as soon as it is read. A mask policy file keeps
// its rules in order, one per pattern; each mistake in it is a usage error naming the file and the
// rule.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/redact.h"
#include "error_of.h"
#include "job/config.h"
#include "job/config_flags.h"
#include "job/job_steps.h"

namespace {

using namespace cu::job;
using cu::unload::MaskRule;

constexpr const char* kBase =
    "query = 'select 1'\nto = 'out/x_'\nsource = 'host=127.0.0.1 dbname=x'\n";

std::map<std::string, std::string> rules_of(const JobConfig& j) {
  std::map<std::string, std::string> out;
  for (const auto& [col, rule] : j.mask) {
    out[col] = cu::unload::to_string(rule);
  }
  return out;
}

std::map<std::string, std::string> want_rules() {
  return {
      {"email", "hash"}, {"phone", "null"}, {"firstname", "keep:1"}, {"last, name", "redact:a,b"}};
}

TEST(JobMaskConfig, TomlTableJsonObjectAndFlagsAgree) {
  JobConfig t = build(parse_toml(std::string(kBase) + R"(
mask_salt = "pepper-and-salt"
[mask]
email = "hash"
phone = "null"
firstname = "keep:1"
"last, name" = "redact:a,b"
)",
                                 "job.toml"));
  EXPECT_EQ(rules_of(t), want_rules());
  EXPECT_EQ(t.mask_salt, "pepper-and-salt");

  JobConfig j = build(parse_json(R"({"query": "select 1", "to": "out/x_",
    "source": "host=127.0.0.1 dbname=x",
    "mask": {"email": "hash", "phone": "null", "firstname": "keep:1", "last, name": "redact:a,b"}})"));
  EXPECT_EQ(rules_of(j), want_rules());
  EXPECT_EQ(j.mask_salt, std::nullopt);

  CLI::App app;
  auto* cmd = app.add_subcommand("run");
  ConfigFlags flags(*cmd);
  app.parse(
      "run --mask email=hash --mask phone=null --mask firstname=keep:1 "
      "--mask 'last, name=redact:a,b'",
      false);
  Values v = parse_toml(std::string(kBase) + "[mask]\nuserid = 'hash'\n", "job.toml");
  overlay(v, flags.values());  // the flags' rules replace the file's
  EXPECT_EQ(rules_of(build(v)), want_rules());
}

TEST(JobMaskConfig, OneStringHoldsCommaSeparatedItems) {
  JobConfig j =
      build(parse_toml(std::string(kBase) + "mask = 'email=hash, phone = null'\n", "job.toml"));
  EXPECT_EQ(rules_of(j),
            (std::map<std::string, std::string>{{"email", "hash"}, {"phone", "null"}}));
}

std::string error_of(const std::string& toml) {
  auto e = cu_test::thrown_by([&] { build(parse_toml(std::string(kBase) + toml, "job.toml")); });
  if (!e) {
    ADD_FAILURE() << "accepted: " << toml;
    return "";
  }
  EXPECT_EQ(e->exit_code(), 2) << e->what();
  return e->what();
}

TEST(JobMaskConfig, BadRulesAndSaltsAreUsageErrors) {
  EXPECT_EQ(error_of("[mask]\nemail = 'sha1'\n"),
            "configure mask.email: 'sha1' is not a mask rule; hint: one of: null | redact | "
            "redact:TEXT | hash | keep:N | email | shift:N | digits:N");
  EXPECT_NE(error_of("[mask]\nemail = 'keep:-1'\n").find("keep:N needs N from 1"),
            std::string::npos);
  EXPECT_NE(error_of("[mask]\nemail = 1\n").find("'mask.email' must be a string"),
            std::string::npos);
  EXPECT_NE(error_of("mask = 'email'\n").find("'email' is not name=value"), std::string::npos);
  EXPECT_NE(error_of("mask = ['email=hash', 'email=null']\n").find("masked twice"),
            std::string::npos);
  for (const char* salt : {"abc12", "has a space", "back\\slash"}) {
    std::string msg = error_of(fmt::format("mask_salt = '{}'\n", salt));
    EXPECT_NE(msg.find("mask_salt must be 8 to 256"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("abc12"), std::string::npos) << msg;
  }
}

TEST(JobMaskConfig, SaltIsRegisteredAsASecret) {
  build(parse_toml(std::string(kBase) + "mask_salt = 'nobody-may-see-this-salt'\n", "job.toml"));
  EXPECT_EQ(cu::redact("x nobody-may-see-this-salt y"), "x *** y");
}

std::vector<std::pair<std::string, std::string>> policy_of(const std::string& toml) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : parse_mask_policy(toml, "pii.toml")) {
    out.emplace_back(p.pattern, cu::unload::to_string(p.rule));
  }
  return out;
}

TEST(JobMaskPolicy, RulesKeepTheirOrderOnePerPattern) {
  EXPECT_EQ(policy_of(R"(
# the first matching pattern decides
[[rule]]
columns = ["email", "*_email"]
mask = "email"

[[rule]]
columns = "*phone*"
mask = "digits:4"

[[rule]]
columns = ["*_at", "dob"]
mask = "shift:30"
)"),
            (std::vector<std::pair<std::string, std::string>>{{"email", "email"},
                                                              {"*_email", "email"},
                                                              {"*phone*", "digits:4"},
                                                              {"*_at", "shift:30"},
                                                              {"dob", "shift:30"}}));
}

std::string policy_error(const std::string& toml) {
  auto e = cu_test::thrown_by([&] { parse_mask_policy(toml, "pii.toml"); });
  if (!e) {
    ADD_FAILURE() << "accepted: " << toml;
    return "";
  }
  EXPECT_EQ(e->exit_code(), 2) << e->what();
  return e->what();
}

TEST(JobMaskPolicy, MistakesNameTheFileAndTheRule) {
  EXPECT_EQ(policy_error(""),
            "configure pii.toml: the mask policy has no [[rule]]; hint: each [[rule]] holds "
            "columns = [\"pattern\", …] and mask = \"rule\"");
  EXPECT_NE(policy_error("[[rules]]\ncolumns = ['a']\nmask = 'hash'\n")
                .find("configure pii.toml: 'rules' is not a key of a mask policy"),
            std::string::npos);
  EXPECT_NE(policy_error("rule = 'x'\n").find("'rule' is not a key of a mask policy"),
            std::string::npos);
  const std::string first = "[[rule]]\ncolumns = ['a']\nmask = 'hash'\n";
  EXPECT_EQ(policy_error(first + "[[rule]]\ncolumns = ['b']\nmask = 'sha1'\n"),
            "configure pii.toml rule 2: 'sha1' is not a mask rule; hint: one of: null | redact | "
            "redact:TEXT | hash | keep:N | email | shift:N | digits:N");
  EXPECT_NE(policy_error(first + "[[rule]]\ncolumns = ['b']\nmask = 'shift:0'\n")
                .find("pii.toml rule 2: 'shift:0' is not a mask rule: shift:N needs N from 1"),
            std::string::npos);
  EXPECT_NE(
      policy_error("[[rule]]\ncolumns = ['a']\n").find("pii.toml rule 1: the rule has no mask"),
      std::string::npos);
  EXPECT_NE(
      policy_error("[[rule]]\nmask = 'hash'\n").find("pii.toml rule 1: the rule has no columns"),
      std::string::npos);
  EXPECT_NE(policy_error("[[rule]]\ncolumns = []\nmask = 'hash'\n").find("has no columns"),
            std::string::npos);
  EXPECT_NE(
      policy_error("[[rule]]\ncolumns = ['']\nmask = 'hash'\n").find("a column pattern is empty"),
      std::string::npos);
  EXPECT_NE(
      policy_error("[[rule]]\ncolumns = [1]\nmask = 'hash'\n").find("columns must hold strings"),
      std::string::npos);
  EXPECT_NE(policy_error("[[rule]]\ncolumns = ['a']\nmask = 'hash'\nwhere = 'x'\n")
                .find("'where' is not a key of a [[rule]]"),
            std::string::npos);
  EXPECT_NE(policy_error("[[rule]\n").find("pii.toml:1:"), std::string::npos);
}

TEST(JobMaskPolicy, TheKeyNamesAFileReadAfterBuild) {
  JobConfig j = build(parse_toml(std::string(kBase) + "mask_policy = 'pii.toml'\n", "job.toml"));
  EXPECT_EQ(j.mask_policy, "pii.toml");
  EXPECT_TRUE(j.mask_policy_rules.empty());
  EXPECT_FALSE(masks_columns(j));
  EXPECT_NE(error_of("mask_policy = ''\n").find("mask_policy is empty"), std::string::npos);

  j.mask_policy = "/nonexistent/pii.toml";
  auto e = cu_test::thrown_by([&] { load_mask_policy(j); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->exit_code(), 2);
  EXPECT_NE(std::string(e->what()).find("/nonexistent/pii.toml: cannot read the mask_policy file"),
            std::string::npos)
      << e->what();
}

TEST(JobMaskDialect, TheServerDecidesTheDigest) {
  using cu::pg::ServerInfo;
  using cu::pg::ServerKind;
  auto digest = [](ServerKind kind, int num) {
    return std::string(cu::unload::digest_name(mask_dialect(ServerInfo{kind, "", num})));
  };
  // Redshift reports server_version 8.0.2 but has sha2.
  EXPECT_EQ(digest(ServerKind::kRedshift, 80002), "sha256");
  EXPECT_EQ(digest(ServerKind::kPostgres, 150004), "sha256");
  EXPECT_EQ(digest(ServerKind::kPostgres, 110000), "sha256");
  EXPECT_EQ(digest(ServerKind::kPostgres, 100023), "md5");
  EXPECT_FALSE(mask_dialect(ServerInfo{ServerKind::kPostgres, "", 150004}).redshift);
  EXPECT_TRUE(mask_dialect(ServerInfo{ServerKind::kRedshift, "", 80002}).redshift);
}

}  // namespace
