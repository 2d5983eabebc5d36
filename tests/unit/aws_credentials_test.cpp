// The credential chain: order of sources, profiles (static keys, role chains through
// source_profile and credential_source, cycles), errors, secret registration, and the
// caching wrapper's refresh ahead of expiry. STS is replaced by a recording AssumeRoleFn (the
// real call is covered by the integration tests against moto); everything else is real.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "aws/credentials.h"
#include "aws/credentials_providers.h"
#include "base/error.h"
#include "base/redact.h"
#include "error_of.h"
#include "temp_dir.h"

using namespace cu::aws;
namespace fs = std::filesystem;
using cu_test::error_of;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {

// A fake STS: records every call; answers temporary credentials named after the role and
// the caller's key, valid for `lifetime` from `now`.
struct FakeSts {
  std::vector<AssumeRoleCall> calls;
  system_clock::time_point now = system_clock::now();
  seconds lifetime{3600};
  std::mutex mu;

  AssumeRoleFn fn() {
    return [this](const AssumeRoleCall& c) {
      std::lock_guard lock(mu);
      calls.push_back(c);
      Credentials out;
      std::string role = c.role_arn.substr(c.role_arn.rfind('/') + 1);
      out.access_key_id = "ASIA" + role + "-from-" + c.source.access_key_id;
      out.secret_access_key = "secret-of-" + role + "-" + std::to_string(calls.size());
      out.session_token = "token-of-" + role + "-" + std::to_string(calls.size());
      out.expiration = now + lifetime;
      return out;
    };
  }
};

ChainOptions options_with(FakeSts& sts) {
  ChainOptions o;
  o.assume_role = sts.fn();
  o.fetch = [](const FetchRequest& r) -> FetchResponse {
    throw std::runtime_error("no network in unit tests: " + r.url);
  };
  return o;
}

Environment home_env(const cu_test::TempDir& home) {
  return Environment{{{"HOME", home.str()}, {"AWS_EC2_METADATA_DISABLED", "true"}}};
}

TEST(AwsCredentials, EnvironmentFirst) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/credentials",
             "[default]\naws_access_key_id = AKIDFILE\n"
             "aws_secret_access_key = file-secret\n");
  Environment env = home_env(home);
  env.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "env-secret-value";
  env.vars["AWS_SESSION_TOKEN"] = "env-session-token";
  FakeSts sts;
  auto p = default_chain(env, options_with(sts));
  Credentials c = p->get();
  EXPECT_EQ(c.access_key_id, "AKIDENV");
  EXPECT_EQ(c.session_token, "env-session-token");
  EXPECT_EQ(p->describe(), "environment");
  EXPECT_EQ(cu::redact("x env-secret-value env-session-token"), "x *** ***");

  // --profile skips the environment.
  ChainOptions o = options_with(sts);
  o.profile = "default";
  EXPECT_EQ(default_chain(env, o)->get().access_key_id, "AKIDFILE");
}

TEST(AwsCredentials, EnvironmentExpiration) {
  Environment env{{{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                   {"AWS_SECRET_ACCESS_KEY", "env-secret-value"},
                   {"AWS_CREDENTIAL_EXPIRATION", "2030-01-02T01:04:05Z"}}};
  Credentials c = default_chain(env)->get();
  ASSERT_TRUE(c.expiration.has_value());
  EXPECT_EQ(system_clock::to_time_t(*c.expiration), 1893546245);
  env.vars["AWS_CREDENTIAL_EXPIRATION"] = "tomorrow";
  cu::ErrorKind kind{};
  EXPECT_NE(error_of([&] { default_chain(env); }, &kind).find("AWS_CREDENTIAL_EXPIRATION"),
            std::string::npos);
  EXPECT_EQ(kind, cu::ErrorKind::kUsage);
}

TEST(AwsCredentials, ExplicitBeatsEverything) {
  Environment env{{{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "s"}}};
  ChainOptions o;
  o.explicit_credentials = Credentials{"AKIDEXPLICIT", "explicit-secret", "", {}, ""};
  auto p = default_chain(env, o);
  EXPECT_EQ(p->get().access_key_id, "AKIDEXPLICIT");
  EXPECT_EQ(p->describe(), "explicit credentials");
}

TEST(AwsCredentials, PartialEnvironmentIsAUsageError) {
  Environment env{{{"AWS_ACCESS_KEY_ID", "AKIDENV"}}};
  cu::ErrorKind kind{};
  EXPECT_NE(error_of([&] { default_chain(env); }, &kind)
                .find("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"),
            std::string::npos);
  EXPECT_EQ(kind, cu::ErrorKind::kUsage);
}

TEST(AwsCredentials, ProfileStaticKeys) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/credentials",
             "[dev]\naws_access_key_id = AKIDDEV\n"
             "aws_secret_access_key = dev-secret-key\n"
             "aws_session_token = dev-session-tok\n");
  Environment env = home_env(home);
  env.vars["AWS_PROFILE"] = "dev";
  FakeSts sts;
  auto p = default_chain(env, options_with(sts));
  Credentials c = p->get();
  EXPECT_EQ(c.access_key_id, "AKIDDEV");
  EXPECT_EQ(c.secret_access_key, "dev-secret-key");
  EXPECT_EQ(c.session_token, "dev-session-tok");
  EXPECT_EQ(p->describe(), "profile dev");
  EXPECT_EQ(cu::redact("dev-secret-key"), "***");
}

TEST(AwsCredentials, MissingNamedProfileIsAUsageError) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config", "[profile other]\nregion = x\n");
  Environment env = home_env(home);
  env.vars["AWS_PROFILE"] = "nope";
  cu::ErrorKind kind{};
  std::string msg = error_of([&] { default_chain(env); }, &kind);
  EXPECT_EQ(kind, cu::ErrorKind::kUsage);
  EXPECT_NE(msg.find("profile nope not found in " + home.str() + "/.aws/config"), std::string::npos)
      << msg;
}

TEST(AwsCredentials, NothingFoundListsWhatWasTried) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config", "[default]\nregion = eu-west-1\n");
  Environment env = home_env(home);
  auto p = default_chain(env);
  cu::ErrorKind kind{};
  std::string msg = error_of([&] { p->get(); }, &kind);
  EXPECT_EQ(kind, cu::ErrorKind::kAccess);
  for (const char* part : {"no AWS credentials found", "environment (AWS_ACCESS_KEY_ID not set)",
                           "profile default (no credentials in", "container credentials",
                           "EC2 instance metadata (AWS_EC2_METADATA_DISABLED)"}) {
    EXPECT_NE(msg.find(part), std::string::npos) << part << " in " << msg;
  }
}

TEST(AwsCredentials, ImdsFailureEndsTheChainWithTheList) {
  cu_test::TempDir home("cu-creds");
  Environment env{{{"HOME", home.str()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://imds"}}};
  ChainOptions o;
  o.fetch = [](const FetchRequest&) -> FetchResponse {
    throw std::runtime_error("connection timed out");
  };
  std::string msg = error_of([&] { default_chain(env, o)->get(); });
  EXPECT_NE(msg.find("shared files (no profile default"), std::string::npos) << msg;
  EXPECT_NE(msg.find("EC2 instance metadata (cannot get a session token: connection timed out)"),
            std::string::npos)
      << msg;
}

TEST(AwsCredentials, RoleProfileWithSourceProfile) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config", R"([profile prod]
role_arn = arn:aws:iam::222222222222:role/SM-Read-Role
source_profile = dev
external_id = x-123
role_session_name = nightly
duration_seconds = 7200
region = eu-west-1
)");
  home.write(".aws/credentials",
             "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev-secret-key\n");
  Environment env = home_env(home);
  env.vars["AWS_PROFILE"] = "prod";
  FakeSts sts;
  auto p = default_chain(env, options_with(sts));
  EXPECT_EQ(p->describe(),
            "assume role arn:aws:iam::222222222222:role/SM-Read-Role via profile dev");
  Credentials c = p->get();
  EXPECT_EQ(c.access_key_id, "ASIASM-Read-Role-from-AKIDDEV");
  ASSERT_EQ(sts.calls.size(), 1u);
  const AssumeRoleCall& call = sts.calls[0];
  EXPECT_EQ(call.role_arn, "arn:aws:iam::222222222222:role/SM-Read-Role");
  EXPECT_EQ(call.external_id, "x-123");
  EXPECT_EQ(call.session_name, "nightly");
  EXPECT_EQ(call.duration_seconds, 7200);
  EXPECT_EQ(call.region, "eu-west-1");
  EXPECT_EQ(call.source.access_key_id, "AKIDDEV");
  EXPECT_EQ(call.source_description, "profile dev");
  // Cached: a second get() does not call STS again; the secret is registered.
  p->get();
  EXPECT_EQ(sts.calls.size(), 1u);
  EXPECT_EQ(cu::redact(c.secret_access_key), "***");
  // AWS_REGION beats the profile's region for the STS call.
  env.vars["AWS_REGION"] = "us-west-2";
  FakeSts sts2;
  default_chain(env, options_with(sts2))->get();
  EXPECT_EQ(sts2.calls.at(0).region, "us-west-2");
}

TEST(AwsCredentials, RoleChainThroughThreeProfiles) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config", R"([profile c]
role_arn = arn:aws:iam::333333333333:role/C
source_profile = b
[profile b]
role_arn = arn:aws:iam::222222222222:role/B
source_profile = a
[profile a]
role_arn = arn:aws:iam::111111111111:role/A
source_profile = base
[profile base]
aws_access_key_id = AKIDBASE
aws_secret_access_key = base-secret
)");
  Environment env = home_env(home);
  FakeSts sts;
  ChainOptions o = options_with(sts);
  o.profile = "c";
  auto p = default_chain(env, o);
  EXPECT_EQ(p->describe(),
            "assume role arn:aws:iam::333333333333:role/C via assume role "
            "arn:aws:iam::222222222222:role/B via assume role arn:aws:iam::111111111111:role/A "
            "via profile base");
  Credentials c = p->get();
  ASSERT_EQ(sts.calls.size(), 3u);
  EXPECT_EQ(sts.calls[0].role_arn, "arn:aws:iam::111111111111:role/A");
  EXPECT_EQ(sts.calls[0].source.access_key_id, "AKIDBASE");
  EXPECT_EQ(sts.calls[1].source.access_key_id, "ASIAA-from-AKIDBASE");
  EXPECT_EQ(sts.calls[2].source.access_key_id, "ASIAB-from-ASIAA-from-AKIDBASE");
  EXPECT_EQ(c.access_key_id, "ASIAC-from-ASIAB-from-ASIAA-from-AKIDBASE");
}

TEST(AwsCredentials, SourceProfileStaticKeysBeatItsOwnRole) {
  // botocore's rule: a source profile with keys provides those keys, even if it has a
  // role_arn of its own (that role is only assumed when the profile itself is selected).
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config", R"([profile top]
role_arn = arn:aws:iam::2:role/Top
source_profile = mid
[profile mid]
role_arn = arn:aws:iam::1:role/Mid
source_profile = base
aws_access_key_id = AKIDMID
aws_secret_access_key = mid-secret
)");
  FakeSts sts;
  ChainOptions o = options_with(sts);
  o.profile = "top";
  default_chain(home_env(home), o)->get();
  ASSERT_EQ(sts.calls.size(), 1u);
  EXPECT_EQ(sts.calls[0].source.access_key_id, "AKIDMID");
  // Selected directly, mid assumes its role (role_arn wins over its keys); with
  // source_profile naming itself, its own keys are the source.
  home.write(".aws/config",
             "[profile self]\nrole_arn = arn:aws:iam::1:role/Self\n"
             "source_profile = self\naws_access_key_id = AKIDSELF\n"
             "aws_secret_access_key = self-secret\n");
  FakeSts sts2;
  ChainOptions o2 = options_with(sts2);
  o2.profile = "self";
  EXPECT_EQ(default_chain(home_env(home), o2)->get().access_key_id, "ASIASelf-from-AKIDSELF");
}

TEST(AwsCredentials, SourceProfileCycleIsDetected) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config", R"([profile a]
role_arn = arn:aws:iam::1:role/A
source_profile = b
[profile b]
role_arn = arn:aws:iam::1:role/B
source_profile = c
[profile c]
role_arn = arn:aws:iam::1:role/C
source_profile = a
)");
  FakeSts sts;
  ChainOptions o = options_with(sts);
  o.profile = "a";
  cu::ErrorKind kind{};
  std::string msg = error_of([&] { default_chain(home_env(home), o); }, &kind);
  EXPECT_EQ(kind, cu::ErrorKind::kUsage);
  EXPECT_NE(msg.find("source_profile cycle: a -> b -> c -> a"), std::string::npos) << msg;
  EXPECT_TRUE(sts.calls.empty());
}

TEST(AwsCredentials, RoleProfileErrors) {
  struct Case {
    const char* config;
    const char* expected;
  } cases[] = {
      {"[profile p]\nrole_arn = arn:aws:iam::1:role/R\n",
       "role_arn needs source_profile or credential_source"},
      {"[profile p]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = ghost\n",
       "source_profile ghost of profile p not found"},
      {"[profile p]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = s\n"
       "credential_source = Environment\n[profile "
       "s]\naws_access_key_id=A\naws_secret_access_key=B\n",
       "both source_profile and credential_source"},
      {"[profile p]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = Laptop\n",
       "credential_source Laptop is not one of"},
      {"[profile p]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = Environment\n",
       "credential_source Environment, but AWS_ACCESS_KEY_ID is not set"},
      {"[profile p]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = s\n"
       "duration_seconds = 60\n[profile s]\naws_access_key_id=A\naws_secret_access_key=B\n",
       "duration_seconds 60 is not a number of seconds from 900 to 43200"},
      {"[profile p]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = s\n[profile s]\nregion=x\n",
       "profile s (source_profile of p) has no credentials"},
      {"[profile p]\nsso_session = corp\nsso_account_id = 1\n", "(SSO) profiles are not supported"},
      {"[profile p]\nrole_arn = arn:aws:iam::1:role/R\nweb_identity_token_file = /t\n",
       "web_identity_token_file"},
      {"[profile p]\naws_access_key_id = AKIDONLY\n", "has aws_access_key_id but no"},
  };
  for (const auto& c : cases) {
    cu_test::TempDir home("cu-creds");
    home.write(".aws/config", c.config);
    FakeSts sts;
    ChainOptions o = options_with(sts);
    o.profile = "p";
    cu::ErrorKind kind{};
    std::string msg = error_of([&] { default_chain(home_env(home), o)->get(); }, &kind);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << c.config << "\n=> " << msg;
    EXPECT_EQ(kind, cu::ErrorKind::kUsage) << msg;
  }
}

TEST(AwsCredentials, CredentialSourceEnvironment) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config",
             "[profile p]\nrole_arn = arn:aws:iam::1:role/R\n"
             "credential_source = Environment\n");
  Environment env = home_env(home);
  env.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  env.vars["AWS_PROFILE"] = "p";
  FakeSts sts;
  // Environment keys are the chain's first step: without --profile they are used directly.
  EXPECT_EQ(default_chain(env, options_with(sts))->get().access_key_id, "AKIDENV");
  ChainOptions o = options_with(sts);
  o.profile = "p";
  EXPECT_EQ(default_chain(env, o)->get().access_key_id, "ASIAR-from-AKIDENV");
}

TEST(AwsCredentials, CredentialSourceContainer) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config",
             "[profile p]\nrole_arn = arn:aws:iam::1:role/R\n"
             "credential_source = EcsContainer\n");
  Environment env = home_env(home);
  env.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/creds";
  FakeSts sts;
  ChainOptions o = options_with(sts);
  o.profile = "p";
  std::vector<std::string> urls;
  o.fetch = [&](const FetchRequest& r) {
    urls.push_back(r.url);
    return FetchResponse{200, R"({"AccessKeyId":"ASIACONT","SecretAccessKey":"cont-secret",
      "Token":"cont-token","Expiration":"2099-01-01T00:00:00Z"})"};
  };
  EXPECT_EQ(default_chain(env, o)->get().access_key_id, "ASIAR-from-ASIACONT");
  EXPECT_EQ(urls, std::vector<std::string>{"http://169.254.170.2/v2/creds"});
}

TEST(AwsCredentials, AssumeRoleFailureIsNotHidden) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config",
             "[default]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = s\n"
             "[profile s]\naws_access_key_id = A\naws_secret_access_key = B\n");
  ChainOptions o;
  o.assume_role = [](const AssumeRoleCall& c) -> Credentials {
    throw cu::Error(cu::ErrorKind::kAccess, "assume role", c.role_arn, "not authorized")
        .with_aws("AccessDenied", "req-1");
  };
  std::string msg = error_of([&] { default_chain(home_env(home), o)->get(); });
  EXPECT_NE(msg.find("assume role arn:aws:iam::1:role/R: not authorized [AccessDenied]"),
            std::string::npos)
      << msg;
}

TEST(AwsCredentials, ProfileWithoutCredentialsFallsThroughToContainer) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config", "[default]\nregion = eu-west-1\n");
  Environment env = home_env(home);
  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/creds";
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "container-auth-token";
  ChainOptions o;
  std::vector<FetchRequest> seen;
  o.fetch = [&](const FetchRequest& r) {
    seen.push_back(r);
    return FetchResponse{200, R"({"AccessKeyId":"ASIAC","SecretAccessKey":"s3cr3t-c",
      "Token":"t0ken-c","Expiration":"2099-01-01T00:00:00Z"})"};
  };
  auto p = default_chain(env, o);
  EXPECT_EQ(p->describe(), "container credentials http://127.0.0.1:9/creds");
  EXPECT_EQ(p->get().session_token, "t0ken-c");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].headers, (std::vector<std::pair<std::string, std::string>>{
                                 {"Authorization", "container-auth-token"}}));
  EXPECT_EQ(cu::redact("container-auth-token"), "***");
}

// A provider whose credentials expire `lifetime` after each fetch, counting fetches.
class CountingProvider : public CredentialsProvider {
 public:
  CountingProvider(std::function<system_clock::time_point()> now, seconds lifetime)
      : now_(std::move(now)), lifetime_(lifetime) {}
  Credentials get() override {
    int n = ++fetches;
    if (fail) throw cu::Error(cu::ErrorKind::kAccess, "fetch", "", "endpoint down");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return Credentials{"AKID" + std::to_string(n), "secret-" + std::to_string(n), "",
                       now_() + lifetime_, "counting"};
  }
  std::string describe() const override { return "counting"; }
  std::atomic<int> fetches{0};
  std::atomic<bool> fail{false};

 private:
  std::function<system_clock::time_point()> now_;
  seconds lifetime_;
};

TEST(AwsCredentialsCache, RefreshesAheadOfExpiry) {
  auto t = system_clock::now();
  auto clock = [&t] { return t; };
  auto inner = std::make_shared<CountingProvider>(clock, seconds(3600));
  auto cached = caching(inner, std::chrono::minutes(5), clock);
  EXPECT_EQ(cached->get().access_key_id, "AKID1");
  t += std::chrono::minutes(54);  // 6 min left: still fresh
  EXPECT_EQ(cached->get().access_key_id, "AKID1");
  t += std::chrono::minutes(2);  // 4 min left: inside the margin, refreshed
  EXPECT_EQ(cached->get().access_key_id, "AKID2");
  EXPECT_EQ(inner->fetches, 2);
  // A failed refresh keeps still-valid credentials...
  t += std::chrono::minutes(56);
  inner->fail = true;
  EXPECT_EQ(cached->get().access_key_id, "AKID2");
  // ...but not expired ones.
  t += std::chrono::minutes(5);
  EXPECT_THROW(cached->get(), cu::Error);
}

TEST(AwsCredentialsCache, LongTermKeysAreFetchedOnce) {
  auto inner = std::make_shared<CountingProvider>(system_clock::now, seconds(0));
  struct LongTerm : CredentialsProvider {
    std::shared_ptr<CountingProvider> c;
    Credentials get() override {
      Credentials x = c->get();
      x.expiration.reset();
      return x;
    }
    std::string describe() const override { return "long"; }
  };
  auto lt = std::make_shared<LongTerm>();
  lt->c = inner;
  auto cached = caching(lt);
  for (int i = 0; i < 5; ++i) cached->get();
  EXPECT_EQ(inner->fetches, 1);
}

TEST(AwsCredentialsCache, ThreadSafeSingleRefresh) {
  auto inner = std::make_shared<CountingProvider>(system_clock::now, seconds(3600));
  auto cached = caching(inner);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j) {
        if (cached->get().access_key_id != "AKID1") ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(inner->fetches, 1);
  EXPECT_EQ(mismatches, 0);
}

TEST(AwsCredentials, RoleCredentialsAreRefreshedThroughTheChain) {
  cu_test::TempDir home("cu-creds");
  home.write(".aws/config",
             "[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n"
             "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = k\n"
             "[profile k]\naws_access_key_id = AKIDK\naws_secret_access_key = k\n");
  FakeSts sts;
  auto t = system_clock::now();
  sts.now = t;
  ChainOptions o = options_with(sts);
  o.profile = "b";
  o.clock = [&t] { return t; };
  auto p = default_chain(home_env(home), o);
  std::string first = p->get().secret_access_key;
  EXPECT_EQ(sts.calls.size(), 2u);
  t += std::chrono::minutes(30);
  EXPECT_EQ(p->get().secret_access_key, first);
  EXPECT_EQ(sts.calls.size(), 2u);
  // 57 minutes in, both hops are within 5 minutes of expiry: both are assumed again, source
  // first.
  t += std::chrono::minutes(27);
  sts.now = t;
  EXPECT_NE(p->get().secret_access_key, first);
  ASSERT_EQ(sts.calls.size(), 4u);
  EXPECT_EQ(sts.calls[2].role_arn, "arn:aws:iam::1:role/A");
  EXPECT_EQ(sts.calls[3].role_arn, "arn:aws:iam::1:role/B");
}

TEST(AwsCredentials, ParseCredentialsJson) {
  Credentials c = parse_credentials_json(
      R"({"AccessKeyId":"A","SecretAccessKey":"json-secret-1","SessionToken":"json-token-1",
          "Expiration":"2030-01-02T03:04:05+02:00"})",
      "test");
  EXPECT_EQ(c.session_token, "json-token-1");
  ASSERT_TRUE(c.expiration.has_value());
  // 03:04:05 at +02:00 is 01:04:05 UTC.
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*c.expiration), 1893546245);
  EXPECT_EQ(cu::redact("json-secret-1 json-token-1"), "*** ***");
  std::string msg = error_of([] {
    parse_credentials_json(R"({"AccessKeyId":"A","SessionToken":"leaky-token-xyz"})", "src");
  });
  EXPECT_NE(msg.find("no \"SecretAccessKey\""), std::string::npos);
  EXPECT_EQ(msg.find("leaky-token-xyz"), std::string::npos);
  EXPECT_NE(error_of([] { parse_credentials_json("not json", "src"); }).find("not a JSON object"),
            std::string::npos);
}

}  // namespace
