#pragma once
// The syntax of the AWS names users type: ARNs (IAM role ARNs in particular), account ids
// and region names, checked in one place so that the job file, UNLOAD's IAM_ROLE, `infra`
// and `whoami` accept the same inputs. Syntax only: whether the role exists is AWS's answer.
//
//   if (auto role = cu::aws::parse_role_arn("arn:aws:iam::111111111111:role/etl/RsUnload"))
//     role->account == "111111111111", role->path == "/etl/", role->name == "RsUnload"
//   cu::aws::is_region("eu-central-1")   -> true
//   cu::aws::kDefaultRegion              -> "us-east-1"

#include <optional>
#include <string>
#include <string_view>

namespace cu::aws {

// The region used when neither the command, the environment nor the profile names one
// (the SDKs' choice for STS and S3's global endpoint).
inline constexpr std::string_view kDefaultRegion = "us-east-1";

// `region`, or kDefaultRegion when it is empty.
inline std::string region_or_default(std::string_view region) {
  return std::string(region.empty() ? kDefaultRegion : region);
}

// `arn:<partition>:<service>:<region>:<account>:<resource>`. The partition is aws,
// aws-cn, aws-us-gov, aws-iso, aws-iso-b, …; region and account may be empty (IAM, S3).
struct Arn {
  std::string partition;
  std::string service;
  std::string region;
  std::string account;
  std::string resource;
};
std::optional<Arn> parse_arn(std::string_view text);

// `arn:<partition>:iam::<12 digits>:role/<path><name>`: IAM's rules — a name of 1 to 64 of
// A-Z a-z 0-9 _ + = , . @ -, a path "/" or "/…/" of at most 512 characters, at most 2048 in
// all (so a hostile input is rejected before any work).
struct RoleArn {
  std::string partition;
  std::string account;
  std::string path;  // "/" when the role has no path
  std::string name;
};
std::optional<RoleArn> parse_role_arn(std::string_view text);
inline bool is_role_arn(std::string_view text) { return parse_role_arn(text).has_value(); }

// An IAM role name alone: 1 to 64 of A-Z a-z 0-9 _ + = , . @ -.
bool is_role_name(std::string_view text);

// Twelve digits.
bool is_account_id(std::string_view text);

// `<2 letters>(-<letters>)+-<digits>`, at most 64 characters: us-east-1, us-gov-west-1,
// ap-southeast-7, cn-north-1, eu-isoe-west-1.
bool is_region(std::string_view text);

}  // namespace cu::aws
