// AWS_MAX_ATTEMPTS / max_attempts and AWS_RETRY_MODE / retry_mode, read as the AWS CLI
// documents them ("Configuration and credential file settings", "AWS CLI retries"): the
// environment variable first, then the selected profile; max_attempts counts the first
// attempt; the modes are legacy, standard and adaptive. A bad value is a configuration error
// (exit 2) that names where it was set.
#include <gtest/gtest.h>

#include <cstdlib>

#include "aws/credentials.h"
#include "aws/http_service.h"
#include "aws/retry.h"
#include "aws/retry_config.h"
#include "base/error.h"

namespace cu::aws {
namespace {

Environment env_of(std::map<std::string, std::string, std::less<>> vars) {
  return Environment{std::move(vars)};
}

constexpr const char* kConfig =
    "[default]\n"
    "region = eu-west-1\n"
    "max_attempts = 4\n"
    "retry_mode = adaptive\n"
    "[profile dev]\n"
    "max_attempts = 9\n"
    "[profile bad]\n"
    "region = eu-west-1\n"
    "max_attempts = three\n"
    "[profile badmode]\n"
    "retry_mode = fast\n";

SharedConfig config(const std::string& profile = "default") {
  return SharedConfig::parse(kConfig, "", profile, "/path/to/.aws/config",
                             "/path/to/.aws/credentials");
}

// Runs `f`, which must throw cu::Error; returns it.
template <typename F>
Error thrown_by(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no cu::Error thrown";
  return Error(ErrorKind::kOther, "", "", "");
}

TEST(AwsRetryConfig, NothingSetKeepsTheDefault) {
  RetrySettings s = retry_settings(env_of({}), SharedConfig::parse("", "", "default"));
  EXPECT_FALSE(s.max_attempts);
  EXPECT_EQ(s.mode, RetryMode::kStandard);
  EXPECT_TRUE(s.mode_origin.empty());
  RetryPolicy p;
  p.max_attempts = s.max_attempts;
  EXPECT_EQ(p.attempts(), 6);
}

TEST(AwsRetryConfig, EnvironmentVariable) {
  RetrySettings s =
      retry_settings(env_of({{"AWS_MAX_ATTEMPTS", "2"}}), SharedConfig::parse("", "", "default"));
  EXPECT_EQ(s.max_attempts, 2);
  EXPECT_EQ(s.max_attempts_origin, "AWS_MAX_ATTEMPTS");
}

TEST(AwsRetryConfig, ProfileValueWithItsLine) {
  RetrySettings s = retry_settings(env_of({}), config());
  EXPECT_EQ(s.max_attempts, 4);
  EXPECT_EQ(s.max_attempts_origin, "/path/to/.aws/config:3");
  EXPECT_EQ(s.mode, RetryMode::kAdaptive);
  EXPECT_EQ(s.mode_origin, "/path/to/.aws/config:4");
}

TEST(AwsRetryConfig, SelectedProfileOnly) {
  RetrySettings s = retry_settings(env_of({}), config("dev"));
  EXPECT_EQ(s.max_attempts, 9);
  // [default]'s retry_mode does not leak into [profile dev].
  EXPECT_EQ(s.mode, RetryMode::kStandard);
  EXPECT_TRUE(s.mode_origin.empty());
}

TEST(AwsRetryConfig, EnvironmentWinsOverProfile) {
  RetrySettings s =
      retry_settings(env_of({{"AWS_MAX_ATTEMPTS", "1"}, {"AWS_RETRY_MODE", "legacy"}}), config());
  EXPECT_EQ(s.max_attempts, 1);
  EXPECT_EQ(s.max_attempts_origin, "AWS_MAX_ATTEMPTS");
  EXPECT_EQ(s.mode, RetryMode::kLegacy);
  EXPECT_EQ(s.mode_origin, "AWS_RETRY_MODE");
  // An empty variable is unset, as in the SDKs: the profile's value applies.
  EXPECT_EQ(retry_settings(env_of({{"AWS_MAX_ATTEMPTS", ""}}), config()).max_attempts, 4);
  // A good variable hides a bad profile value, which is never read.
  EXPECT_EQ(retry_settings(env_of({{"AWS_MAX_ATTEMPTS", "3"}}), config("bad")).max_attempts, 3);
}

TEST(AwsRetryConfig, ThreeModesAccepted) {
  for (auto [text, mode] :
       {std::pair{"standard", RetryMode::kStandard}, std::pair{"legacy", RetryMode::kLegacy},
        std::pair{"adaptive", RetryMode::kAdaptive}}) {
    RetrySettings s = retry_settings(env_of({{"AWS_RETRY_MODE", text}}), config("dev"));
    EXPECT_EQ(s.mode, mode) << text;
    EXPECT_STREQ(retry_mode_name(s.mode), text);
  }
}

TEST(AwsRetryConfig, PositiveIntegersOnly) {
  EXPECT_EQ(parse_max_attempts("1"), 1);
  EXPECT_EQ(parse_max_attempts("10"), 10);
  EXPECT_EQ(parse_max_attempts("007"), 7);
  for (const char* bad :
       {"0", "-1", "+3", " 3", "3 ", "3.0", "1e2", "three", "", "0x10", "99999999999999999999"}) {
    EXPECT_FALSE(parse_max_attempts(bad)) << '"' << bad << '"';
  }
}

TEST(AwsRetryConfig, BadVariableIsAConfigurationError) {
  for (const char* bad : {"0", "-2", "abc", "2.5"}) {
    Error e = thrown_by([&] { retry_settings(env_of({{"AWS_MAX_ATTEMPTS", bad}}), config()); });
    EXPECT_EQ(e.exit_code(), 2) << bad;
    EXPECT_EQ(e.resource(), "AWS_MAX_ATTEMPTS");
    std::string what = e.what();
    EXPECT_NE(what.find(std::string("AWS_MAX_ATTEMPTS is \"") + bad + "\""), std::string::npos)
        << what;
    EXPECT_NE(what.find("positive integer"), std::string::npos) << what;
  }
}

TEST(AwsRetryConfig, BadProfileValueNamesFileAndLine) {
  Error e = thrown_by([&] { retry_settings(env_of({}), config("bad")); });
  EXPECT_EQ(e.exit_code(), 2);
  EXPECT_EQ(e.resource(), "/path/to/.aws/config:9");
  std::string what = e.what();
  EXPECT_NE(what.find("max_attempts at /path/to/.aws/config:9 is \"three\""), std::string::npos)
      << what;

  Error m = thrown_by([&] { retry_settings(env_of({}), config("badmode")); });
  EXPECT_EQ(m.exit_code(), 2);
  EXPECT_EQ(m.resource(), "/path/to/.aws/config:11");
  EXPECT_NE(std::string(m.what()).find("standard, legacy or adaptive"), std::string::npos)
      << m.what();
  Error v = thrown_by([&] {
    retry_settings(env_of({{"AWS_RETRY_MODE", "Standard"}}), config("dev"));
  });
  EXPECT_EQ(v.resource(), "AWS_RETRY_MODE");
}

TEST(AwsRetryConfig, AttemptsBoundTheBackoff) {
  // max_attempts = 2: one retry, then the budget is spent.
  RetryEnv env;
  std::chrono::steady_clock::time_point t{};
  env.now = [&] { return t; };
  env.uniform01 = [] { return 0.5; };
  env.sleep = [](std::chrono::milliseconds) {};
  RetryPolicy p;
  p.max_attempts = retry_settings(env_of({{"AWS_MAX_ATTEMPTS", "2"}}), config()).max_attempts;
  Backoff b(p, env);
  EXPECT_TRUE(b.next_delay(1, false));
  EXPECT_FALSE(b.next_delay(2, false));
  p.max_attempts = 1;
  EXPECT_FALSE(Backoff(p, env).next_delay(1, false));
}

// The process's settings reach every ServiceClient whose policy leaves max_attempts unset,
// and a bad value stops the first client from being made. The only test here that reads the
// process environment (configured_retry_settings() keeps the first good answer).
TEST(AwsRetryConfig, ServiceClientsTakeTheProcessSettings) {
  ::setenv("AWS_CONFIG_FILE", "/nonexistent/crossunload-test-config", 1);
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/crossunload-test-credentials", 1);
  ServiceEndpoint ep{"sts", "us-east-1", "http://127.0.0.1:9"};
  auto creds = static_credentials(Credentials{"AKIDEXAMPLE", "secret", "", {}, "test"});

  ::setenv("AWS_MAX_ATTEMPTS", "zero", 1);
  Error e = thrown_by([&] { ServiceClient c(ep, creds); });
  EXPECT_EQ(e.exit_code(), 2);
  EXPECT_EQ(e.resource(), "AWS_MAX_ATTEMPTS");

  ::setenv("AWS_MAX_ATTEMPTS", "2", 1);
  EXPECT_EQ(ServiceClient(ep, creds).retry_policy().attempts(), 2);
  RetryPolicy explicit_policy;
  explicit_policy.max_attempts = 5;  // a policy set in code wins, as client config does in the SDKs
  EXPECT_EQ(ServiceClient(ep, creds, explicit_policy).retry_policy().attempts(), 5);
  EXPECT_EQ(ServiceClient(ep, creds, RetryPolicy::none()).retry_policy().attempts(), 1);
  ::unsetenv("AWS_MAX_ATTEMPTS");
}

}  // namespace
}  // namespace cu::aws
