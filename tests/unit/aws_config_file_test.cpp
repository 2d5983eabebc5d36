// The shared config/credentials files: grammar, profile naming in each file, precedence
// between the files, and how the environment picks files and profile.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "aws/config_file.h"
#include "base/error.h"
#include "temp_dir.h"

using cu::aws::Environment;
using cu::aws::SharedConfig;
namespace fs = std::filesystem;

namespace {

TEST(AwsConfigFile, ProfilesInEachFile) {
  auto cfg = SharedConfig::parse(R"(
# comment
; other comment
[default]
region = eu-west-1

[profile dev]
region=us-east-2
role_arn = arn:aws:iam::222222222222:role/Read   
source_profile = base

[dev-not-a-profile]
region = ap-south-1
)",
                                 R"(
[base]
aws_access_key_id = AKIDBASE
aws_secret_access_key = secret/base+key
[profile odd]
aws_access_key_id = AKIDODD
)");
  ASSERT_NE(cfg.profile("default"), nullptr);
  EXPECT_EQ(cfg.profile("default")->get("region"), "eu-west-1");
  ASSERT_NE(cfg.profile("dev"), nullptr);
  EXPECT_EQ(cfg.profile("dev")->get("region"), "us-east-2");
  EXPECT_EQ(cfg.profile("dev")->get("ROLE_ARN"), "arn:aws:iam::222222222222:role/Read");
  EXPECT_EQ(cfg.profile("base")->get("aws_secret_access_key"), "secret/base+key");
  // A bare [name] in config names no profile (the CLI ignores it); "profile x" in the
  // credentials file is the literal name.
  EXPECT_EQ(cfg.profile("dev-not-a-profile"), nullptr);
  EXPECT_NE(cfg.profile("profile odd"), nullptr);
  EXPECT_EQ(cfg.profile("odd"), nullptr);
  EXPECT_EQ(cfg.profile("missing"), nullptr);
  EXPECT_EQ(cfg.profile("dev")->origin.at("region"), "config:8");
}

TEST(AwsConfigFile, CredentialsFileWinsOverConfig) {
  auto cfg = SharedConfig::parse("[profile p]\naws_access_key_id = FROMCONFIG\nregion = r1\n",
                                 "[p]\naws_access_key_id = FROMCREDS\n");
  EXPECT_EQ(cfg.profile("p")->get("aws_access_key_id"), "FROMCREDS");
  EXPECT_EQ(cfg.profile("p")->get("region"), "r1");
}

TEST(AwsConfigFile, ProfileDefaultBeatsBareDefault) {
  auto cfg = SharedConfig::parse("[default]\nregion = a\n[profile default]\noutput = json\n", "");
  EXPECT_EQ(cfg.profile("default")->get("output"), "json");
  EXPECT_FALSE(cfg.profile("default")->has("region"));
}

TEST(AwsConfigFile, NestedSectionsAndServices) {
  auto cfg = SharedConfig::parse(R"(
[profile dev]
s3 =
  addressing_style = path
  max_concurrent_requests = 20
region = us-west-2
services = my-services

[services my-services]
s3 =
  endpoint_url = http://127.0.0.1:5000
sts =
  endpoint_url = http://127.0.0.1:5001

[sso-session corp]
sso_region = us-east-1
)",
                                 "");
  const auto* dev = cfg.profile("dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->get("s3.addressing_style"), "path");
  EXPECT_EQ(dev->get("s3.max_concurrent_requests"), "20");
  EXPECT_EQ(dev->get("region"), "us-west-2");
  const auto* svc = cfg.services("my-services");
  ASSERT_NE(svc, nullptr);
  EXPECT_EQ(svc->get("s3.endpoint_url"), "http://127.0.0.1:5000");
  EXPECT_EQ(svc->get("sts.endpoint_url"), "http://127.0.0.1:5001");
  EXPECT_EQ(cfg.profile("corp"), nullptr);
}

TEST(AwsConfigFile, SectionHeadersAreTolerant) {
  auto cfg = SharedConfig::parse("[ profile   spaced ]  # trailing comment\nregion = x\n", "");
  ASSERT_NE(cfg.profile("spaced"), nullptr);
  EXPECT_EQ(cfg.profile("spaced")->get("region"), "x");
}

TEST(AwsConfigFile, ValuesKeepHashes) {
  // Secret keys may contain anything but spaces; a '#' inside a value is not a comment.
  auto cfg = SharedConfig::parse("", "[k]\naws_secret_access_key = ab#cd;ef\n");
  EXPECT_EQ(cfg.profile("k")->get("aws_secret_access_key"), "ab#cd;ef");
}

TEST(AwsConfigFile, SyntaxErrorsNameFileAndLine) {
  try {
    SharedConfig::parse("[profile ok]\nregion = x\nthis line is wrong\n", "", "default",
                        "/path/to/.aws/config");
    FAIL() << "expected an error";
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.kind(), cu::ErrorKind::kUsage);
    EXPECT_EQ(e.resource(), "/path/to/.aws/config:3");
  }
  EXPECT_THROW(SharedConfig::parse("region = x\n", ""), cu::Error);
  EXPECT_THROW(SharedConfig::parse("[profile broken\n", ""), cu::Error);
}

TEST(AwsConfigFile, LoadFromHome) {
  cu_test::TempDir home("cu-config");
  home.write(".aws/config", "[profile dev]\nregion = eu-central-1\n");
  home.write(".aws/credentials", "[dev]\naws_access_key_id = AKIDDEV\n");
  Environment env{{{"HOME", home.path().string()}}};
  auto cfg = SharedConfig::load(env);
  EXPECT_EQ(cfg.selected_name(), "default");
  EXPECT_FALSE(cfg.selected_explicitly());
  EXPECT_EQ(cfg.profile("dev")->get("region"), "eu-central-1");
  EXPECT_EQ(cfg.profile("dev")->get("aws_access_key_id"), "AKIDDEV");
  EXPECT_EQ(cfg.config_path(), (home.path() / ".aws/config").string());
}

TEST(AwsConfigFile, LoadFromExplicitPathsAndProfile) {
  cu_test::TempDir dir("cu-config");
  auto config = dir.write("c.ini", "[profile a]\nregion = r-a\n[profile b]\nregion = r-b\n");
  auto creds = dir.write("k.ini", "[b]\naws_access_key_id = AKIDB\n");
  Environment env{{{"HOME", "/nonexistent"},
                   {"AWS_CONFIG_FILE", config.string()},
                   {"AWS_SHARED_CREDENTIALS_FILE", creds.string()},
                   {"AWS_PROFILE", "a"}}};
  auto cfg = SharedConfig::load(env);
  EXPECT_EQ(cfg.selected_name(), "a");
  EXPECT_TRUE(cfg.selected_explicitly());
  EXPECT_EQ(cfg.selected()->get("region"), "r-a");
  // --profile beats AWS_PROFILE.
  auto cfg_b = SharedConfig::load(env, std::string("b"));
  EXPECT_EQ(cfg_b.selected()->get("aws_access_key_id"), "AKIDB");
  // AWS_DEFAULT_PROFILE is the older spelling, used when AWS_PROFILE is unset or empty.
  env.vars["AWS_PROFILE"] = "";
  env.vars["AWS_DEFAULT_PROFILE"] = "b";
  EXPECT_EQ(SharedConfig::load(env).selected_name(), "b");
}

TEST(AwsConfigFile, MissingFilesAreEmpty) {
  Environment env{{{"HOME", "/nonexistent-home"}}};
  auto cfg = SharedConfig::load(env);
  EXPECT_EQ(cfg.selected(), nullptr);
  Environment no_home;
  EXPECT_EQ(SharedConfig::load(no_home).selected(), nullptr);
}

TEST(AwsConfigFile, TildeInPathVariables) {
  cu_test::TempDir home("cu-config");
  home.write("custom/config", "[profile t]\nregion = r-t\n");
  Environment env{{{"HOME", home.path().string()}, {"AWS_CONFIG_FILE", "~/custom/config"}}};
  EXPECT_EQ(SharedConfig::load(env).profile("t")->get("region"), "r-t");
}

TEST(AwsEnvironment, EmptyIsUnset) {
  Environment env{{{"A", ""}, {"B", "x"}, {"F", "TRUE"}}};
  EXPECT_EQ(env.get("A"), std::nullopt);
  EXPECT_EQ(env.get("B"), "x");
  EXPECT_EQ(env.get_or("A", "d"), "d");
  EXPECT_TRUE(env.flag("F"));
  EXPECT_FALSE(env.flag("B"));
}

TEST(AwsEnvironment, FromProcess) {
  ::setenv("CU_CONFIG_TEST_VAR", "value=with=equals", 1);
  EXPECT_EQ(Environment::from_process().get("CU_CONFIG_TEST_VAR"), "value=with=equals");
  ::unsetenv("CU_CONFIG_TEST_VAR");
}

}  // namespace
