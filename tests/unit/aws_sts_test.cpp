// STS request bodies and responses (examples from the AWS STS API reference).
#include <gtest/gtest.h>

#include "aws/sts.h"
#include "base/redact.h"

namespace cu::aws {
namespace {

constexpr const char* kAssumeRoleResponse =
    R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
  <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==</SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>)";

constexpr const char* kCallerIdentityResponse =
    R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
   <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    <UserId>AKIAI44QH8DHBEXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>)";

TEST(AwsStsTest, ParsesAssumeRole) {
  AssumedRole r = parse_assume_role_response(kAssumeRoleResponse);
  EXPECT_EQ(r.credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(r.credentials.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(r.credentials.session_token.substr(0, 12), "AQoDYXdzEPT/");
  EXPECT_EQ(r.assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/demo/TestAR");
  EXPECT_EQ(r.assumed_role_id, "ARO123EXAMPLE123:TestAR");
  ASSERT_TRUE(r.credentials.expiration);
  // 2019-11-09T13:34:41Z is 1573306481 seconds after the epoch.
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*r.credentials.expiration), 1573306481);
  // The secret parts are redacted from then on.
  EXPECT_EQ(redact("k=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"), "k=***");
}

TEST(AwsStsTest, ParsesCallerIdentity) {
  CallerIdentity id = parse_caller_identity_response(kCallerIdentityResponse);
  EXPECT_EQ(id.account, "123456789012");
  EXPECT_EQ(id.arn, "arn:aws:iam::123456789012:user/Alice");
  EXPECT_EQ(id.user_id, "AKIAI44QH8DHBEXAMPLE");
}

TEST(AwsStsTest, RejectsAnswersWithoutCredentials) {
  EXPECT_THROW(parse_assume_role_response("<AssumeRoleResponse/>"), Error);
  EXPECT_THROW(parse_assume_role_response("not xml"), Error);
}

TEST(AwsStsTest, AssumeRoleForm) {
  AssumeRoleRequest r;
  r.role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role";
  r.session_name = "etl";
  r.external_id = "x+1 y";
  r.duration_seconds = 900;
  r.source_identity = "alice";
  r.tags = {{"team", "data eng"}};
  EXPECT_EQ(assume_role_form(r),
            "Action=AssumeRole&Version=2011-06-15"
            "&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2FSM-Read-Role"
            "&RoleSessionName=etl&ExternalId=x%2B1%20y&DurationSeconds=900"
            "&SourceIdentity=alice&Tags.member.1.Key=team&Tags.member.1.Value=data%20eng");
  AssumeRoleRequest minimal;
  minimal.role_arn = "arn:aws:iam::1:role/r";
  EXPECT_NE(assume_role_form(minimal).find("&RoleSessionName=crossunload-"), std::string::npos);
}

TEST(AwsStsTest, Endpoints) {
  EXPECT_EQ(sts_endpoint("eu-west-1").endpoint, "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(sts_endpoint("cn-north-1").endpoint, "https://sts.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(sts_endpoint("eu-west-1", "http://127.0.0.1:5000").endpoint, "http://127.0.0.1:5000");
  EXPECT_EQ(sts_endpoint("eu-west-1").region, "eu-west-1");
}

TEST(AwsStsTest, AccountOfArn) {
  EXPECT_EQ(account_of_arn("arn:aws:iam::222222222222:role/SM-Read-Role"), "222222222222");
  EXPECT_EQ(account_of_arn("arn:aws:sts::111111111111:assumed-role/R/s"), "111111111111");
  EXPECT_EQ(account_of_arn("not-an-arn"), "");
}

}  // namespace
}  // namespace cu::aws
