#include "aws/role_chain.h"

#include <fmt/format.h>

#include "base/error.h"
#include "base/log.h"

namespace cu::aws {
namespace {

class FixedProvider : public CredentialsProvider {
 public:
  FixedProvider(Credentials c, std::string description)
      : creds_(std::move(c)), description_(std::move(description)) {}
  Credentials get() override { return creds_; }
  std::string describe() const override { return description_; }

 private:
  Credentials creds_;
  std::string description_;
};

constexpr int kChainedSessionLimit = 3600;

}  // namespace

CredentialsProviderPtr fixed_credentials(Credentials credentials, std::string description) {
  return std::make_shared<FixedProvider>(std::move(credentials), std::move(description));
}

RoleChainProvider::RoleChainProvider(CredentialsProviderPtr source,
                                     std::vector<AssumeRoleRequest> hops, RoleChainOptions options)
    : source_(std::move(source)), requests_(std::move(hops)), options_(std::move(options)) {
  if (!source_) {
    throw Error(ErrorKind::kUsage, "role chain", "", "no source credentials");
  }
  if (requests_.empty()) {
    throw Error(ErrorKind::kUsage, "role chain", "", "no role to assume");
  }
  for (std::size_t i = 1; i < requests_.size(); ++i) {
    auto& d = requests_[i].duration_seconds;
    if (d && *d > kChainedSessionLimit) {
      log::debug("role {}: chained sessions last at most one hour; asking for {} s",
                 requests_[i].role_arn, kChainedSessionLimit);
      d = kChainedSessionLimit;
    }
  }
}

Credentials RoleChainProvider::get() {
  std::lock_guard lock(mu_);
  if (cached_.empty() || cached_.expires_within(options_.refresh_margin)) {
    refresh_locked();
  }
  return cached_;
}

void RoleChainProvider::refresh_locked() {
  std::vector<RoleHopResult> results;
  CredentialsProviderPtr current = source_;
  std::string caller;  // empty for the first hop: StsClient looks it up on AccessDenied
  AssumedRole assumed;
  for (const auto& req : requests_) {
    StsClient sts(sts_endpoint(options_.region, options_.endpoint_url), current, options_.retry);
    assumed = sts.assume_role(req, caller);
    if (!assumed.credentials.expiration) {
      // Should not happen with STS; treat as one hour so a refresh still happens.
      assumed.credentials.expiration = std::chrono::system_clock::now() + std::chrono::hours(1);
    }
    results.push_back({req.role_arn, assumed.assumed_role_arn, *assumed.credentials.expiration});
    caller = assumed.assumed_role_arn.empty() ? req.role_arn : assumed.assumed_role_arn;
    current = fixed_credentials(assumed.credentials, caller);
  }
  // The chain is only as long-lived as its shortest hop; the last one is the shortest in
  // practice (chained hops are capped at one hour), but take the minimum to be safe.
  for (const auto& r : results) {
    if (r.expiration < *assumed.credentials.expiration) {
      assumed.credentials.expiration = r.expiration;
    }
  }
  assumed.credentials.source = describe();
  cached_ = std::move(assumed.credentials);
  results_ = std::move(results);
}

std::string RoleChainProvider::describe() const {
  std::string arns;
  for (const auto& r : requests_) {
    arns += (arns.empty() ? "" : " -> ") + r.role_arn;
  }
  return fmt::format("assume role {} via {}", arns, source_->describe());
}

std::vector<RoleHopResult> RoleChainProvider::hops() const {
  std::lock_guard lock(mu_);
  return results_;
}

std::shared_ptr<RoleChainProvider> role_chain(CredentialsProviderPtr source,
                                              std::vector<AssumeRoleRequest> hops,
                                              RoleChainOptions options) {
  return std::make_shared<RoleChainProvider>(std::move(source), std::move(hops),
                                             std::move(options));
}

}  // namespace cu::aws
