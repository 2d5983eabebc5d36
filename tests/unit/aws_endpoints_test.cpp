// Region and endpoint resolution. Expected precedence from the AWS SDKs and Tools Reference
// Guide ("Service-specific endpoints": service variable, [services] section, global
// variable, profile endpoint_url) and the public endpoint names AWS documents.

#include <gtest/gtest.h>

#include "aws/endpoints.h"
#include "base/error.h"

using namespace cu::aws;

namespace {

SharedConfig config(const char* text, const char* profile = "default") {
  return SharedConfig::parse(text, "", profile);
}

TEST(AwsEndpoints, RegionPrecedence) {
  auto cfg = config("[default]\nregion = eu-central-1\n");
  EXPECT_EQ(resolve_region(Environment{}, cfg), "eu-central-1");
  EXPECT_EQ(resolve_region(Environment{{{"AWS_DEFAULT_REGION", "us-west-1"}}}, cfg), "us-west-1");
  EXPECT_EQ(
      resolve_region(
          Environment{{{"AWS_DEFAULT_REGION", "us-west-1"}, {"AWS_REGION", "ap-south-1"}}}, cfg),
      "ap-south-1");
  EXPECT_EQ(resolve_region(Environment{}, config("")), "");
  try {
    require_region(Environment{}, config(""));
    FAIL();
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.kind(), cu::ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("AWS_REGION"), std::string::npos);
  }
}

TEST(AwsEndpoints, DefaultEndpoints) {
  auto cfg = config("");
  Environment env;
  struct Case {
    const char* service;
    const char* region;
    const char* url;
    const char* signing_region;
  } cases[] = {
      {"s3", "eu-west-1", "https://s3.eu-west-1.amazonaws.com", "eu-west-1"},
      {"sts", "eu-west-1", "https://sts.eu-west-1.amazonaws.com", "eu-west-1"},
      {"sts", "", "https://sts.amazonaws.com", "us-east-1"},
      {"secretsmanager", "us-east-2", "https://secretsmanager.us-east-2.amazonaws.com",
       "us-east-2"},
      {"kms", "ap-northeast-1", "https://kms.ap-northeast-1.amazonaws.com", "ap-northeast-1"},
      {"iam", "eu-west-1", "https://iam.amazonaws.com", "us-east-1"},
      {"iam", "cn-northwest-1", "https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1"},
      {"iam", "us-gov-east-1", "https://iam.us-gov.amazonaws.com", "us-gov-west-1"},
      {"cloudformation", "eu-west-3", "https://cloudformation.eu-west-3.amazonaws.com",
       "eu-west-3"},
      {"lambda", "us-west-2", "https://lambda.us-west-2.amazonaws.com", "us-west-2"},
      {"logs", "us-west-2", "https://logs.us-west-2.amazonaws.com", "us-west-2"},
      {"redshift-data", "eu-north-1", "https://redshift-data.eu-north-1.amazonaws.com",
       "eu-north-1"},
      {"s3", "cn-north-1", "https://s3.cn-north-1.amazonaws.com.cn", "cn-north-1"},
      {"sts", "cn-northwest-1", "https://sts.cn-northwest-1.amazonaws.com.cn", "cn-northwest-1"},
  };
  for (const auto& c : cases) {
    ResolvedEndpoint e = resolve_endpoint(c.service, c.region, env, cfg);
    EXPECT_EQ(e.url, c.url) << c.service << " " << c.region;
    EXPECT_EQ(e.region, c.signing_region) << c.service << " " << c.region;
    EXPECT_FALSE(e.configured);
    EXPECT_EQ(e.origin, "default");
  }
  EXPECT_THROW(resolve_endpoint("s3", "", env, cfg), cu::Error);
  EXPECT_THROW(resolve_endpoint("ec2", "eu-west-1", env, cfg), cu::Error);
}

TEST(AwsEndpoints, ServiceNames) {
  for (const char* name : {"secretsmanager", "SECRETS_MANAGER", "secrets_manager"}) {
    ASSERT_NE(find_service(name), nullptr) << name;
    EXPECT_EQ(find_service(name)->signing_name, "secretsmanager");
  }
  EXPECT_EQ(find_service("CLOUDWATCH_LOGS")->signing_name, "logs");
  EXPECT_EQ(find_service("REDSHIFT_DATA")->host_prefix, "redshift-data");
  EXPECT_EQ(find_service("dynamodb"), nullptr);
}

TEST(AwsEndpoints, ConfiguredPrecedence) {
  auto cfg = config(R"([default]
region = eu-west-1
endpoint_url = http://profile-global:1
services = local

[services local]
s3 =
  endpoint_url = http://services-s3:2
)");
  Environment env;
  // The profile's [services] entry for s3 beats its global endpoint_url...
  auto s3 = resolve_endpoint("s3", "eu-west-1", env, cfg);
  EXPECT_EQ(s3.url, "http://services-s3:2");
  EXPECT_TRUE(s3.configured);
  EXPECT_EQ(s3.origin, "[services local] s3.endpoint_url");
  EXPECT_EQ(s3.region, "eu-west-1");
  // ...and services without an entry use the profile's endpoint_url.
  EXPECT_EQ(resolve_endpoint("sts", "eu-west-1", env, cfg).url, "http://profile-global:1");
  // AWS_ENDPOINT_URL beats the profile's endpoint_url but not the [services] entry.
  env.vars["AWS_ENDPOINT_URL"] = "http://env-global:3/";
  EXPECT_EQ(resolve_endpoint("sts", "eu-west-1", env, cfg).url, "http://env-global:3");
  EXPECT_EQ(resolve_endpoint("s3", "eu-west-1", env, cfg).url, "http://services-s3:2");
  // The service variable beats everything.
  env.vars["AWS_ENDPOINT_URL_S3"] = "http://env-s3:4";
  env.vars["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "http://env-sm:5";
  EXPECT_EQ(resolve_endpoint("s3", "eu-west-1", env, cfg).url, "http://env-s3:4");
  EXPECT_EQ(resolve_endpoint("s3", "eu-west-1", env, cfg).origin, "AWS_ENDPOINT_URL_S3");
  EXPECT_EQ(resolve_endpoint("secretsmanager", "eu-west-1", env, cfg).url, "http://env-sm:5");
  // Ignoring configured endpoints brings back AWS's.
  env.vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
  EXPECT_EQ(resolve_endpoint("s3", "eu-west-1", env, cfg).url,
            "https://s3.eu-west-1.amazonaws.com");
}

TEST(AwsEndpoints, EveryServiceVariable) {
  auto cfg = config("");
  for (const char* id : {"S3", "STS", "SECRETS_MANAGER", "KMS", "IAM", "CLOUDFORMATION", "LAMBDA",
                         "CLOUDWATCH_LOGS", "REDSHIFT_DATA"}) {
    Environment env{{{std::string("AWS_ENDPOINT_URL_") + id, "http://127.0.0.1:5000"}}};
    ResolvedEndpoint e = resolve_endpoint(id, "us-east-1", env, cfg);
    EXPECT_EQ(e.url, "http://127.0.0.1:5000") << id;
    EXPECT_EQ(e.signing_name, find_service(id)->signing_name);
  }
}

TEST(AwsEndpoints, ProfileCanIgnoreConfiguredEndpoints) {
  auto cfg =
      config("[default]\nendpoint_url = http://x:1\nignore_configured_endpoint_urls = true\n");
  EXPECT_EQ(resolve_endpoint("kms", "eu-west-1", Environment{}, cfg).url,
            "https://kms.eu-west-1.amazonaws.com");
  // The variable, when set, decides.
  Environment env{{{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"}}};
  EXPECT_EQ(resolve_endpoint("kms", "eu-west-1", env, cfg).url, "http://x:1");
}

TEST(AwsEndpoints, S3AddressingStyle) {
  auto cfg = config("");
  Environment env;
  auto aws = resolve_endpoint("s3", "eu-west-1", env, cfg);
  EXPECT_FALSE(s3_use_path_style(aws, "my-bucket", cfg));
  EXPECT_TRUE(s3_use_path_style(aws, "My_Bucket", cfg));         // not a DNS name
  EXPECT_TRUE(s3_use_path_style(aws, "my.dotted.bucket", cfg));  // TLS wildcard mismatch
  env.vars["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:5000";
  auto moto = resolve_endpoint("s3", "eu-west-1", env, cfg);
  EXPECT_TRUE(s3_use_path_style(moto, "my-bucket", cfg));
  auto forced_virtual = config("[default]\ns3 =\n  addressing_style = virtual\n");
  EXPECT_FALSE(s3_use_path_style(moto, "my-bucket", forced_virtual));
  auto forced_path = config("[default]\ns3 =\n  addressing_style = path\n");
  EXPECT_TRUE(s3_use_path_style(aws, "my-bucket", forced_path));
}

}  // namespace
