#pragma once
// The IAM roles of the pattern and their policies, as data: for each role its account,
// name, trust policy and inline identity policies. The CloudFormation templates
// (templates.h) and the plain JSON files `crossunload infra` writes are both made from
// these, so the two can never disagree.
//
// Least privilege, statement by statement (docs/deploy.md explains each):
//   PROD SM-Read-Role              trusted by the DEV Lambda role only, with the external id;
//                                  may read the one secret.
//   PROD CrossAccount-S3-Write-Role trusted by redshift.amazonaws.com; may assume only the
//                                  DEV S3-Write-Role.
//   DEV  CrossAccount-SM-Read-Role  the Lambda's execution role: may assume only
//                                  SM-Read-Role, write its own log group, list the
//                                  unloaded objects (verification), manage its VPC ENIs.
//   DEV  S3-Write-Role             trusted by the PROD Redshift role only; may write under
//                                  the bucket's prefix and use the one KMS key.
// With the job's write_role_arn (client mode: the job writes, not Redshift) the Lambda role
// may also assume S3-Write-Role, S3-Write-Role trusts it too, and the Lambda role loses
// its own S3 listing (the job then verifies as the write role). S3-Write-Role may delete
// under the prefix only with the job's clean_path: a failed or stopped client-mode run
// aborts its uploads and has published nothing, so it deletes nothing.
// Cross-account trusts name the other account's root as principal and narrow it with
// `aws:PrincipalArn`: IAM rejects a trust policy naming a role that does not exist yet, and
// the two accounts' roles trust each other, so either stack could not be created first.
// `Resource: "*"` appears only for EC2 Describe actions, which have no resource-level
// permission; the statement's Sid says so.
//
//   for (const RoleDoc& r : cu::infra::dev_roles(params, Target::kPlainJson)) ...

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infra/infra_params.h"

namespace cu::infra {

// Plain JSON names every resource literally; a template may refer to resources it creates
// (the secret, when [infra] create_secret is set).
enum class Target { kPlainJson, kTemplate };

struct PolicyDoc {
  std::string name;  // inline policy name
  nlohmann::json document;
};

// clang-tidy 14 flags the implicit noexcept special members of this plain aggregate
// (strings, nlohmann::json, a vector of them); none of them throws.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct RoleDoc {
  std::string logical_id;  // CloudFormation logical id
  std::string account_id;
  std::string name;
  std::string description;
  nlohmann::json trust;  // AssumeRolePolicyDocument
  std::vector<PolicyDoc> policies;
};

std::vector<RoleDoc> prod_roles(const InfraParams& p, Target target = Target::kPlainJson);
std::vector<RoleDoc> dev_roles(const InfraParams& p, Target target = Target::kPlainJson);

}  // namespace cu::infra
