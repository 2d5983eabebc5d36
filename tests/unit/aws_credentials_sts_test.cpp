// Role profiles through the real STS client: default_chain() without an injected
// AssumeRoleFn posts sts:AssumeRole (Query protocol, SigV4) to AWS_ENDPOINT_URL_STS, here a
// loopback server answering with the AssumeRole response shape of the STS API reference.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "aws_credentials_loopback.h"
#include "base/error.h"
#include "base/redact.h"
#include "base/strings.h"

using namespace cu::aws;
namespace fs = std::filesystem;
using cu_test::LoopbackServer;
using cu_test::Reply;
using cu_test::SeenRequest;

namespace {

std::string form_value(const std::string& body, const std::string& key) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string::npos) end = body.size();
    std::string item = body.substr(pos, end - pos);
    if (item.rfind(key + "=", 0) == 0) return cu::percent_decode(item.substr(key.size() + 1));
    pos = end + 1;
  }
  return "<absent>";
}

// Answers AssumeRole with keys named after the role and the caller's access key id (read
// from the Authorization header's Credential=).
Reply fake_sts(const SeenRequest& r) {
  if (r.method != "POST" || form_value(r.body, "Action") != "AssumeRole") return {400, ""};
  const std::string& auth = r.headers.count("authorization") ? r.headers.at("authorization") : "";
  auto cred = auth.find("Credential=");
  if (cred == std::string::npos) return {403, ""};
  std::string caller = auth.substr(cred + 11, auth.find('/', cred) - cred - 11);
  std::string arn = form_value(r.body, "RoleArn");
  std::string role = arn.substr(arn.rfind('/') + 1);
  std::string key = "ASIA" + role + "_" + caller;
  return {200, R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::222222222222:assumed-role/)" +
                   role + R"(/s</Arn>
      <AssumedRoleId>AROEXAMPLE:s</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>)" +
                   key + R"(</AccessKeyId>
      <SecretAccessKey>sts-secret-)" +
                   key + R"(</SecretAccessKey>
      <SessionToken>sts-token-)" +
                   key + R"(</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>)"};
}

class StsRoleProfiles : public testing::Test {
 protected:
  StsRoleProfiles() {
    std::string tmpl = (fs::temp_directory_path() / "cu-sts-XXXXXX").string();
    home_ = mkdtemp(tmpl.data());
    fs::create_directories(home_ / ".aws");
    std::ofstream(home_ / ".aws" / "config") << R"([profile dev]
region = eu-west-1

[profile prod]
role_arn = arn:aws:iam::222222222222:role/SM-Read-Role
source_profile = dev
external_id = x-123
role_session_name = nightly-unload
duration_seconds = 1800

[profile back-to-dev]
role_arn = arn:aws:iam::111111111111:role/Writer
source_profile = prod
region = eu-west-1
)";
    std::ofstream(home_ / ".aws" / "credentials")
        << "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = dev-secret-key-1\n";
  }
  ~StsRoleProfiles() override { fs::remove_all(home_); }

  Environment env(const std::string& profile) const {
    return Environment{{{"HOME", home_.string()},
                        {"AWS_PROFILE", profile},
                        {"AWS_ENDPOINT_URL_STS", server_.url()},
                        {"AWS_EC2_METADATA_DISABLED", "true"}}};
  }

  fs::path home_;
  LoopbackServer server_{fake_sts};
};

TEST_F(StsRoleProfiles, AssumeRoleWithSourceProfileKeys) {
  Environment e = env("prod");
  e.vars["AWS_REGION"] = "eu-west-2";
  Credentials c = default_chain(e)->get();
  EXPECT_EQ(c.access_key_id, "ASIASM-Read-Role_AKIDDEV");
  EXPECT_EQ(c.session_token, "sts-token-ASIASM-Read-Role_AKIDDEV");
  ASSERT_TRUE(c.expiration.has_value());
  EXPECT_EQ(cu::redact(c.secret_access_key), "***");

  auto seen = server_.seen();
  ASSERT_EQ(seen.size(), 1u);
  const SeenRequest& r = seen[0];
  EXPECT_EQ(form_value(r.body, "RoleArn"), "arn:aws:iam::222222222222:role/SM-Read-Role");
  EXPECT_EQ(form_value(r.body, "ExternalId"), "x-123");
  EXPECT_EQ(form_value(r.body, "RoleSessionName"), "nightly-unload");
  EXPECT_EQ(form_value(r.body, "DurationSeconds"), "1800");
  // Signed by dev's keys for STS in the resolved region.
  EXPECT_NE(r.headers.at("authorization").find("Credential=AKIDDEV/"), std::string::npos);
  EXPECT_NE(r.headers.at("authorization").find("/eu-west-2/sts/aws4_request"), std::string::npos)
      << r.headers.at("authorization");
}

TEST_F(StsRoleProfiles, ChainedRoleUsesThePreviousHopsCredentials) {
  Credentials c = default_chain(env("back-to-dev"))->get();
  EXPECT_EQ(c.access_key_id, "ASIAWriter_ASIASM-Read-Role_AKIDDEV");
  auto seen = server_.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[1].headers.at("authorization").find("Credential=ASIASM-Read-Role_AKIDDEV/"),
            std::string::npos);
  // The session token of the first hop is sent with the second call.
  EXPECT_EQ(seen[1].headers.at("x-amz-security-token"), "sts-token-ASIASM-Read-Role_AKIDDEV");
}

TEST_F(StsRoleProfiles, DeniedIsAnAccessError) {
  LoopbackServer denying([](const SeenRequest&) {
    return Reply{403, R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::111111111111:user/dev is not authorized to perform: sts:AssumeRole</Message>
  </Error><RequestId>req-denied-1</RequestId></ErrorResponse>)"};
  });
  Environment e = env("prod");
  e.vars["AWS_ENDPOINT_URL_STS"] = denying.url();
  try {
    default_chain(e)->get();
    FAIL() << "expected an error";
  } catch (const cu::Error& err) {
    EXPECT_EQ(err.kind(), cu::ErrorKind::kAccess);
    EXPECT_EQ(err.aws_code(), "AccessDenied");
    std::string what = err.what();
    EXPECT_NE(what.find("arn:aws:iam::222222222222:role/SM-Read-Role"), std::string::npos) << what;
    EXPECT_EQ(what.find("dev-secret-key-1"), std::string::npos) << what;
  }
}

}  // namespace
