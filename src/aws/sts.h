#pragma once
// AWS STS: AssumeRole and GetCallerIdentity over the Query protocol (POST form, XML answer),
// against the regional endpoint (https://sts.<region>.amazonaws.com) unless one is
// configured. The returned temporary credentials are registered as secrets.
//
//   StsClient sts(sts_endpoint("eu-west-1"), provider);
//   CallerIdentity me = sts.get_caller_identity();
//   AssumedRole prod = sts.assume_role({.role_arn = "arn:aws:iam::222222222222:role/Read",
//                                       .external_id = "x-123"}, me.arn);
//
// Failures read "assume role <role arn> as <caller>: <AWS message> [AccessDenied] (request
// id …)"; when the caller is not given and AWS denies access, the client asks STS who the
// caller is (GetCallerIdentity) so the message names the identity that was refused.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/config_file.h"
#include "aws/credentials.h"
#include "aws/http_service.h"

namespace cu::aws {

struct AssumeRoleRequest {
  std::string role_arn{};
  std::string session_name{};  // empty: "crossunload-<unix time>"
  std::string external_id{};
  std::optional<int> duration_seconds{};  // 900..43200; a chained session is limited to 3600
  std::string source_identity{};
  std::vector<std::pair<std::string, std::string>> tags{};  // session tags
};

struct AssumedRole {
  Credentials credentials{};       // source "assume role <arn>"
  std::string assumed_role_arn{};  // arn:aws:sts::<acct>:assumed-role/<role>/<session>
  std::string assumed_role_id{};
};

struct CallerIdentity {
  std::string account{};
  std::string arn{};
  std::string user_id{};
};

// The endpoint of STS in `region` (the partition's domain for cn- and us-gov- regions);
// `endpoint_url` overrides the URL (AWS_ENDPOINT_URL_STS, a local emulator).
ServiceEndpoint sts_endpoint(const std::string& region, const std::string& endpoint_url = "");

class StsClient {
 public:
  StsClient(ServiceEndpoint endpoint, CredentialsProviderPtr credentials, RetryPolicy retry = {});

  // `caller` names the identity making the call, for error messages (an ARN, or a
  // provider description); empty = look it up on access errors.
  AssumedRole assume_role(const AssumeRoleRequest& request, const std::string& caller = "") const;
  CallerIdentity get_caller_identity() const;

  const ServiceClient& service() const { return client_; }

 private:
  ServiceClient client_;
};

// The real sts:AssumeRole behind role profiles, for ChainOptions::assume_role:
//
//   auto env = Environment::from_process();
//   auto cfg = SharedConfig::load(env, profile);
//   auto creds = default_chain(env, {.profile = profile, .assume_role = sts_assume_role(env,
//   cfg)});
//
// Each call goes to the STS endpoint resolved for the call's region (AWS_ENDPOINT_URL_STS,
// profile endpoint_url, or https://sts.<region>.amazonaws.com; us-east-1 when no region).
AssumeRoleFn sts_assume_role(const Environment& env, const SharedConfig& config,
                             RetryPolicy retry = {});

// Pure parts, unit-tested without a server.
std::string assume_role_form(const AssumeRoleRequest& request);  // the POST body
AssumedRole parse_assume_role_response(std::string_view xml);
CallerIdentity parse_caller_identity_response(std::string_view xml);
// ISO 8601 UTC ("2026-11-29T01:05:19Z", fractional seconds allowed).
std::chrono::system_clock::time_point parse_iso8601(std::string_view text);
// "arn:aws:iam::222222222222:role/X" -> "222222222222"; empty when not an ARN.
std::string account_of_arn(std::string_view arn);

}  // namespace cu::aws
