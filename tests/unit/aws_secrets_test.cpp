// Secrets Manager responses and the database-secret parser: each bad field named, the
// password never shown.
#include <gtest/gtest.h>

#include "aws/secrets.h"
#include "base/redact.h"
#include "error_of.h"

namespace cu::aws {
namespace {

std::string error_of(const std::string& json) {
  std::optional<Error> e = cu_test::thrown_by([&] { parse_database_secret(json, "prod/db"); });
  if (!e) {
    ADD_FAILURE() << "no error for " << json;
    return "";
  }
  EXPECT_EQ(e->kind(), ErrorKind::kUsage);
  EXPECT_EQ(e->step(), "read secret");
  EXPECT_EQ(e->resource(), "prod/db");
  return e->message();
}

TEST(AwsSecretsTest, RedshiftSecret) {
  // The shape the Redshift console stores (port as a number).
  DatabaseSecret db = parse_database_secret(
      R"({"username":"awsuser","password":"Pa55-word-1","engine":"redshift",)"
      R"("host":"examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com","port":5439,)"
      R"("dbClusterIdentifier":"examplecluster","dbname":"dev"})",
      "s");
  EXPECT_EQ(db.host, "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com");
  EXPECT_EQ(db.port, 5439);
  EXPECT_EQ(db.dbname, "dev");
  EXPECT_EQ(db.username, "awsuser");
  EXPECT_EQ(db.password, "Pa55-word-1");
  EXPECT_EQ(db.engine, "redshift");
  EXPECT_EQ(db.cluster_identifier, "examplecluster");
  EXPECT_EQ(redact("pw Pa55-word-1"), "pw ***");
}

TEST(AwsSecretsTest, RdsSecretWithStringPortAndDatabase) {
  DatabaseSecret db = parse_database_secret(
      R"({"engine":"postgres","host":"db.local","port":"5432","database":"tickit",)"
      R"("username":"etl","password":"xyzzy-1"})",
      "s");
  EXPECT_EQ(db.port, 5432);
  EXPECT_EQ(db.dbname, "tickit");
  EXPECT_EQ(db.cluster_identifier, "");
}

TEST(AwsSecretsTest, EachBadFieldIsNamed) {
  EXPECT_EQ(error_of(R"({"host":"h","port":5439,"dbname":"d","username":"u"})"),
            "not a database secret: field \"password\" is missing");
  EXPECT_EQ(error_of(R"({"port":true,"dbname":"d","username":"u","password":"hunter22"})"),
            "not a database secret: field \"host\" is missing; field \"port\" is a boolean, "
            "expected a number or a string of digits");
  EXPECT_EQ(error_of(R"({"host":"h","port":"54x","dbname":"d","username":"u","password":"p"})"),
            "not a database secret: field \"port\" is \"54x\", expected a port number 1 to 65535");
  EXPECT_EQ(error_of(R"({"host":"h","port":70000,"dbname":"d","username":"u","password":"p"})"),
            "not a database secret: field \"port\" is 70000, expected 1 to 65535");
  EXPECT_EQ(error_of(R"({"host":"h","port":1,"username":["u"],"password":"p"})"),
            "not a database secret: field \"dbname\" is missing; field \"username\" is an array, "
            "expected a string");
  EXPECT_EQ(error_of(R"({"host":"","port":1,"database":"d","username":"u","password":"p"})"),
            "not a database secret: field \"host\" is empty");
  EXPECT_EQ(error_of(R"("just a string")"), "the secret value is a string, not a JSON object");
}

TEST(AwsSecretsTest, ThePasswordIsNeverShown) {
  // Ill-typed password: named, not shown.
  std::string m =
      error_of(R"({"host":"h","port":1,"dbname":"d","username":"u","password":12345678})");
  EXPECT_EQ(m, "not a database secret: field \"password\" is a number, expected a string");
  EXPECT_EQ(m.find("12345678"), std::string::npos);
  // Broken JSON: the parser's own message would quote the text around the error.
  m = error_of(R"({"password":"Sup3r-S3cret","host":"h",)");
  EXPECT_EQ(m.find("Sup3r"), std::string::npos) << m;
  EXPECT_NE(m.find("not valid JSON"), std::string::npos) << m;
  // A valid password with another field wrong is registered before the error is built.
  try {
    parse_database_secret(R"({"password":"An0ther-Secret","port":"x"})", "s");
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("An0ther-Secret"), std::string::npos);
  }
  EXPECT_EQ(redact("An0ther-Secret"), "***");
}

TEST(AwsSecretsTest, GetSecretValueResponse) {
  // From the Secrets Manager API reference (GetSecretValue example).
  SecretValue v = parse_get_secret_value_response(
      R"({"ARN":"arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestSecret-a1b2c3",)"
      R"("CreatedDate":1523477145.713,"Name":"MyTestSecret",)"
      R"("SecretString":"{\"username\":\"david\",\"password\":\"EXAMPLE-PASSWORD\"}",)"
      R"("VersionId":"EXAMPLE1-90ab-cdef-fedc-ba987SECRET1","VersionStages":["AWSPREVIOUS"]})");
  EXPECT_EQ(v.arn, "arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestSecret-a1b2c3");
  EXPECT_EQ(v.name, "MyTestSecret");
  EXPECT_EQ(v.version_id, "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1");
  EXPECT_EQ(v.version_stages, std::vector<std::string>{"AWSPREVIOUS"});
  ASSERT_TRUE(v.string);
  EXPECT_EQ(*v.string, R"({"username":"david","password":"EXAMPLE-PASSWORD"})");
  EXPECT_FALSE(v.binary);

  SecretValue b = parse_get_secret_value_response(
      R"({"ARN":"a","Name":"bin","SecretBinary":"aGVsbG8gd29ybGQ=","VersionId":"v"})");
  ASSERT_TRUE(b.binary);
  EXPECT_EQ(*b.binary, "hello world");
}

TEST(AwsSecretsTest, RequestBody) {
  EXPECT_EQ(get_secret_value_body({.secret_id = "prod/db"}), R"({"SecretId":"prod/db"})");
  EXPECT_EQ(get_secret_value_body({.secret_id = "a", .version_stage = "AWSPREVIOUS"}),
            R"({"SecretId":"a","VersionStage":"AWSPREVIOUS"})");
  EXPECT_EQ(get_secret_value_body({.secret_id = "a", .version_id = "v1"}),
            R"({"SecretId":"a","VersionId":"v1"})");
}

TEST(AwsSecretsTest, Base64) {
  // RFC 4648 section 10 test vectors.
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_THROW(base64_decode("Zm9v!"), std::invalid_argument);
}

}  // namespace
}  // namespace cu::aws
