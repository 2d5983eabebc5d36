// The Glue client's pure parts: BatchCreatePartition's per-entry errors (an existing
// partition is not an error; anything else is, with Glue's code), and the endpoint.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/glue.h"
#include "base/error.h"

namespace {

using nlohmann::json;

TEST(GlueBatchCreatePartition, ExistingPartitionsAreListedNotThrown) {
  json answer = json::parse(R"({"Errors": [
      {"PartitionValues": ["NY", "7"],
       "ErrorDetail": {"ErrorCode": "AlreadyExistsException", "ErrorMessage": "exists"}},
      {"PartitionValues": ["CA", "1"],
       "ErrorDetail": {"ErrorCode": "AlreadyExistsException", "ErrorMessage": "exists"}}]})");
  auto existing = cu::aws::already_existing_partitions(answer, "table d.t");
  ASSERT_EQ(existing.size(), 2U);
  EXPECT_EQ(existing[0], (std::vector<std::string>{"NY", "7"}));
  EXPECT_EQ(existing[1], (std::vector<std::string>{"CA", "1"}));
  EXPECT_TRUE(cu::aws::already_existing_partitions(json::object(), "table d.t").empty());
  EXPECT_TRUE(cu::aws::already_existing_partitions(json{{"Errors", json::array()}}, "t").empty());
}

TEST(GlueBatchCreatePartition, AnyOtherEntryErrorIsThrownWithItsCode) {
  json answer = json::parse(R"({"Errors": [
      {"PartitionValues": ["NY"],
       "ErrorDetail": {"ErrorCode": "InternalServiceException", "ErrorMessage": "try later"}}]})");
  try {
    cu::aws::already_existing_partitions(answer, "table d.t");
    FAIL() << "no error";
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 5);
    EXPECT_EQ(e.aws_code(), "InternalServiceException");
    EXPECT_NE(std::string(e.what()).find("table d.t partition NY"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("try later"), std::string::npos) << e.what();
  }
  json denied = json::parse(R"({"Errors": [{"PartitionValues": ["NY"],
       "ErrorDetail": {"ErrorCode": "AccessDeniedException", "ErrorMessage": "no"}}]})");
  try {
    cu::aws::already_existing_partitions(denied, "table d.t");
    FAIL() << "no error";
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 3);
  }
}

TEST(GlueEndpoint, PublicOrConfigured) {
  EXPECT_EQ(cu::aws::glue_endpoint("eu-west-1").endpoint, "https://glue.eu-west-1.amazonaws.com");
  EXPECT_EQ(cu::aws::glue_endpoint("eu-west-1").service, "glue");
  EXPECT_EQ(cu::aws::glue_endpoint("eu-west-1", "http://127.0.0.1:5000").endpoint,
            "http://127.0.0.1:5000");
}

}  // namespace
