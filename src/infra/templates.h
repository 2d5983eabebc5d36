#pragma once
// The two CloudFormation templates of the pattern, one per account, generated as JSON from
// InfraParams (pure functions, no AWS calls), and the files `crossunload infra` writes.
//
//   PROD (<stack>-prod): SM-Read-Role, CrossAccount-S3-Write-Role, the cluster security
//        group's ingress from the Lambda subnets (when given), the secret (when
//        [infra] create_secret).
//   DEV  (<stack>-dev):  the Lambda execution role, S3-Write-Role, the log group with its
//        retention, the Lambda function (provided.al2023, x86_64, VPC config) when
//        [infra] code_s3_bucket says where function.zip is; with via = "data-api" the Step
//        Functions state machine and its role (and neither VPC config nor ingress).
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

// via = "data-api": the Step Functions state machine (Amazon States Language) that carries
// an unload of hours with invocations of seconds. Its input is the job's event (the job
// file's keys as JSON, what a "run" invocation takes); it invokes the function with
// "action": "submit", waits state_machine_wait_seconds, invokes it with "action": "check"
// and the submit's job token as statement_id, and chooses on the check's status: "running"
// waits again, "ok" succeeds with a summary of the report, an invocation error fails with
// its errorType and message. Only the check is retried on Lambda's transient errors (it is
// idempotent); the submit only on throttling, when the function did not run.
nlohmann::json state_machine_definition(const InfraParams& p);
// The longest an execution may run: the Data API runs a statement for up to 24 hours,
// then the verification and the last waits.
inline constexpr int kStateMachineTimeoutSeconds = 25 * 3600;

// The DEV bucket's lifecycle rule for the prefix: incomplete multipart uploads (what a run
// killed mid-write leaves, never objects) are aborted one day after they started. The
// bucket is not the stack's (it holds other data), so CloudFormation cannot attach it:
// it is written for `aws s3api put-bucket-lifecycle-configuration`, which replaces the
// bucket's whole configuration — merge it with the rules already there (docs/deploy.md).
nlohmann::json bucket_lifecycle(const InfraParams& p);
inline constexpr int kAbortIncompleteUploadsAfterDays = 1;

// Writes DIR/prod.template.json, DIR/dev.template.json, DIR/dev.bucket-lifecycle.json,
// with via = "data-api" DIR/dev.state-machine.asl.json (the definition alone), and,
// for those who do not use CloudFormation, DIR/policies/{prod,dev}/<role>.trust.json and
// <role>.<policy>.json. Returns the files written (relative to DIR), in that order. Throws
// cu::Error (kDestination) when DIR cannot be written.
std::vector<std::string> write_infra(const InfraParams& p, const std::filesystem::path& dir);

}  // namespace cu::infra
