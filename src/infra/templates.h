#pragma once
// The two CloudFormation templates of the pattern, one per account, generated as JSON from
// InfraParams (pure functions, no AWS calls), and the files `crossunload infra` writes.
//
//   PROD (<stack>-prod): SM-Read-Role, CrossAccount-S3-Write-Role, the cluster security
//        group's ingress from the Lambda subnets (when given), the secret (when
//        [infra] create_secret).
//   DEV  (<stack>-dev):  the Lambda execution role, S3-Write-Role, the log group with its
//        retention, the Lambda function (provided.al2023, x86_64, VPC config) when
//        [infra] code_s3_bucket says where function.zip is.
//
// Every resource that can carry tags carries `crossunload:stack = <stack name>` (and
// `crossunload:managed-by = crossunload`) so that teardown can refuse anything it did not
// create. Either stack can be created first (policies.h explains why).
//
//   auto files = cu::infra::write_infra(params, "out/");  // templates + plain policies

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infra/infra_params.h"

namespace cu::infra {

inline constexpr const char* kStackTag = "crossunload:stack";
inline constexpr const char* kManagedByTag = "crossunload:managed-by";

nlohmann::json prod_template(const InfraParams& p);
nlohmann::json dev_template(const InfraParams& p);

// The DEV bucket's lifecycle rule for the prefix: incomplete multipart uploads (what a run
// killed mid-write leaves, never objects) are aborted one day after they started. The
// bucket is not the stack's (it holds other data), so CloudFormation cannot attach it:
// it is written for `aws s3api put-bucket-lifecycle-configuration`, which replaces the
// bucket's whole configuration — merge it with the rules already there (docs/deploy.md).
nlohmann::json bucket_lifecycle(const InfraParams& p);
inline constexpr int kAbortIncompleteUploadsAfterDays = 1;

// Writes DIR/prod.template.json, DIR/dev.template.json, DIR/dev.bucket-lifecycle.json and,
// for those who do not use CloudFormation, DIR/policies/{prod,dev}/<role>.trust.json and
// <role>.<policy>.json. Returns the files written (relative to DIR), in that order. Throws
// cu::Error (kDestination) when DIR cannot be written.
std::vector<std::string> write_infra(const InfraParams& p, const std::filesystem::path& dir);

}  // namespace cu::infra
