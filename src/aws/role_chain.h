#pragma once
// RoleChainProvider: credentials obtained by assuming a list of roles hop by hop — the
// first with the source provider's credentials, each next one with the previous hop's —
// cached, and refreshed as a whole chain ahead of the last hop's expiry (so a run longer
// than a role session keeps working). AWS limits a chained session (any hop after the first)
// to one hour; longer requested durations are clamped to 3600 s.
//
//   auto prod = role_chain(default_chain(env),
//                          {{.role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role",
//                            .external_id = "x-123"}},
//                          {.region = "eu-west-1"});
//   SecretsManagerClient sm(secretsmanager_endpoint("eu-west-1"), prod);

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/sts.h"

namespace cu::aws {

struct RoleChainOptions {
  std::string region{};        // STS region (regional endpoint); empty = us-east-1
  std::string endpoint_url{};  // STS endpoint override (AWS_ENDPOINT_URL_STS, moto)
  RetryPolicy retry{};
  std::chrono::seconds refresh_margin{300};  // refresh this long before expiry
};

// One hop as it happened: for whoami and for messages.
struct RoleHopResult {
  std::string role_arn{};
  std::string assumed_role_arn{};
  std::chrono::system_clock::time_point expiration;
};

class RoleChainProvider : public CredentialsProvider {
 public:
  RoleChainProvider(CredentialsProviderPtr source, std::vector<AssumeRoleRequest> hops,
                    RoleChainOptions options);

  // The last hop's credentials; assumes the whole chain when none are cached or they expire
  // within the refresh margin. Throws the failing hop's AwsError (kind kAccess when denied).
  Credentials get() override;
  // "assume role A -> B via <source>".
  std::string describe() const override;

  // The hops of the latest refresh (empty before the first get()).
  std::vector<RoleHopResult> hops() const;

 private:
  void refresh_locked();

  CredentialsProviderPtr source_;
  std::vector<AssumeRoleRequest> requests_{};
  RoleChainOptions options_;
  mutable std::mutex mu_;
  Credentials cached_{};
  std::vector<RoleHopResult> results_{};
};

std::shared_ptr<RoleChainProvider> role_chain(CredentialsProviderPtr source,
                                              std::vector<AssumeRoleRequest> hops,
                                              RoleChainOptions options = {});

// Credentials that never change, described as `description` (an ARN) — one hop's output
// fed to the next hop.
CredentialsProviderPtr fixed_credentials(Credentials credentials, std::string description);

}  // namespace cu::aws
