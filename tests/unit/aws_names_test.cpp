#include <gtest/gtest.h>

#include <string>

#include "aws/names.h"

namespace {

using cu::aws::is_region;
using cu::aws::is_role_arn;
using cu::aws::parse_role_arn;

TEST(Arn, ParsesAnyArnIntoItsSixFields) {
  auto a = cu::aws::parse_arn("arn:aws:sts::111111111111:assumed-role/RsUnload/session-1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->partition, "aws");
  EXPECT_EQ(a->service, "sts");
  EXPECT_EQ(a->region, "");
  EXPECT_EQ(a->account, "111111111111");
  EXPECT_EQ(a->resource, "assumed-role/RsUnload/session-1");
  auto k = cu::aws::parse_arn("arn:aws-cn:kms:cn-north-1:111111111111:key/ab-12");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->region, "cn-north-1");
  EXPECT_EQ(k->resource, "key/ab-12");
  EXPECT_FALSE(cu::aws::parse_arn("arn:aws:s3:::"));
  EXPECT_FALSE(cu::aws::parse_arn("arn:aws:iam:111111111111:role/x"));
  EXPECT_FALSE(cu::aws::parse_arn("urn:aws:iam::111111111111:role/x"));
}

TEST(Arn, RoleArnGivesPartitionAccountPathAndName) {
  auto r = parse_role_arn("arn:aws:iam::111111111111:role/etl/prod/RsUnload");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->partition, "aws");
  EXPECT_EQ(r->account, "111111111111");
  EXPECT_EQ(r->path, "/etl/prod/");
  EXPECT_EQ(r->name, "RsUnload");
  auto plain = parse_role_arn("arn:aws-us-gov:iam::222222222222:role/S3-Write_Role+=,.@x");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->partition, "aws-us-gov");
  EXPECT_EQ(plain->path, "/");
  EXPECT_EQ(plain->name, "S3-Write_Role+=,.@x");
  EXPECT_TRUE(is_role_arn("arn:aws-iso-b:iam::111111111111:role/r"));
}

TEST(Arn, RoleArnRejectsWhatIamWouldNot) {
  const std::string base = "arn:aws:iam::111111111111:role/";
  EXPECT_FALSE(is_role_arn(base));                                         // no name
  EXPECT_FALSE(is_role_arn(base + "etl/"));                                // a path but no name
  EXPECT_FALSE(is_role_arn(base + "a b"));                                 // space
  EXPECT_FALSE(is_role_arn(base + "a*"));                                  // not a name character
  EXPECT_FALSE(is_role_arn("arn:aws:iam::11111111111:role/r"));            // 11 digits
  EXPECT_FALSE(is_role_arn("arn:aws:iam::11111111111x:role/r"));           // not digits
  EXPECT_FALSE(is_role_arn("arn:aws:iam::111111111111:user/r"));           // a user
  EXPECT_FALSE(is_role_arn("arn:aws:iam:us-east-1:111111111111:role/r"));  // IAM is global
  EXPECT_FALSE(is_role_arn("arn:aws:sts::111111111111:role/r"));
  EXPECT_FALSE(is_role_arn(" " + base + "r"));
  EXPECT_FALSE(is_role_arn(base + "r\n"));
  EXPECT_FALSE(is_role_arn(base + std::string(3000, 'a')));  // bounded before any work
}

// Two copies used to disagree. UNLOAD's check (src/unload/validate.cpp) accepted a role
// name of any length; IAM allows 64 characters.
TEST(Arn, RoleNameIsAtMost64Characters) {
  const std::string base = "arn:aws:iam::111111111111:role/";
  EXPECT_TRUE(is_role_arn(base + std::string(64, 'n')));
  EXPECT_FALSE(is_role_arn(base + std::string(65, 'n')));
  // The path runs from role/'s slash to the last slash: "/" + 510 + "/" is 512, IAM's limit.
  EXPECT_TRUE(is_role_arn(base + std::string(510, 'p') + "/n"));
  EXPECT_FALSE(is_role_arn(base + std::string(511, 'p') + "/n"));
}

// `infra`'s check (src/infra/infra_params.cpp) accepted any partition starting with "aws"
// ("awsx", "aws-"); a partition is "aws" or "aws-<letters>…".
TEST(Arn, PartitionIsAwsOrAwsDashWords) {
  EXPECT_FALSE(is_role_arn("arn:awsx:iam::111111111111:role/r"));
  EXPECT_FALSE(is_role_arn("arn:aws-:iam::111111111111:role/r"));
  EXPECT_FALSE(is_role_arn("arn:aws--cn:iam::111111111111:role/r"));
  EXPECT_FALSE(is_role_arn("arn:AWS:iam::111111111111:role/r"));
  EXPECT_TRUE(is_role_arn("arn:aws-cn:iam::111111111111:role/r"));
}

TEST(Arn, AccountIdIsTwelveDigits) {
  EXPECT_TRUE(cu::aws::is_account_id("012345678901"));
  EXPECT_FALSE(cu::aws::is_account_id("12345678901"));
  EXPECT_FALSE(cu::aws::is_account_id("1234567890123"));
  EXPECT_FALSE(cu::aws::is_account_id("12345678901a"));
  EXPECT_FALSE(cu::aws::is_account_id(""));
}

TEST(Arn, RegionNames) {
  for (const char* r : {"us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-7",
                        "cn-northwest-1", "us-isob-east-1", "eu-isoe-west-1", "mx-central-12"}) {
    EXPECT_TRUE(is_region(r)) << r;
  }
  for (const char* r :
       {"", "us", "us-1", "useast-1", "us-east", "us-east-", "US-EAST-1", "us-east-1a",
        "us-east-1-", "us_east_1", " us-east-1", "u-east-1", "us--east-1", "us-east-1 "}) {
    EXPECT_FALSE(is_region(r)) << r;
  }
  EXPECT_FALSE(is_region("us-" + std::string(70, 'e') + "-1"));
  EXPECT_TRUE(is_region(cu::aws::kDefaultRegion));
}

}  // namespace
