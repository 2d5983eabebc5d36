// default_chain(): the order in which the AWS SDKs look for credentials, and the real
// sts:AssumeRole behind role profiles.

#include <fmt/format.h>

#include "aws/credentials.h"
#include "aws/credentials_providers.h"
#include "base/error.h"

namespace cu::aws {

namespace {

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : "; ") + p;
  }
  return out;
}

cu::Error nothing_found(const std::vector<std::string>& tried) {
  return cu::Error(cu::ErrorKind::kAccess, "resolve credentials", "",
                   "no AWS credentials found; tried " + join(tried))
      .with_hint(
          "set AWS_PROFILE (or --profile) to a profile with credentials, or "
          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
}

// The chain's last step: instance metadata, whose failure means "nothing anywhere".
class LastResortProvider : public CredentialsProvider {
 public:
  LastResortProvider(CredentialsProviderPtr imds, std::vector<std::string> tried)
      : imds_(std::move(imds)), tried_(std::move(tried)) {}

  Credentials get() override {
    if (!imds_) {
      throw nothing_found(tried_);
    }
    try {
      return imds_->get();
    } catch (const cu::Error& e) {
      std::vector<std::string> tried = tried_;
      tried.push_back(fmt::format("EC2 instance metadata ({})", e.message()));
      throw nothing_found(tried);
    }
  }
  std::string describe() const override {
    // get() lists what was tried; whoami prints this line first, so keep it short.
    return imds_ ? imds_->describe() : "none found";
  }

 private:
  CredentialsProviderPtr imds_;
  std::vector<std::string> tried_;
};

}  // namespace

CredentialsProviderPtr default_chain(const Environment& env, const ChainOptions& options) {
  if (!options.explicit_credentials.empty()) {
    return static_credentials(options.explicit_credentials);
  }

  std::vector<std::string> tried;
  if (options.profile) {
    // As in the SDKs: a profile named on the command line beats keys in the environment.
    tried.emplace_back("environment (skipped: a profile was given)");
  } else if (auto p = environment_credentials(env)) {
    return p;
  } else {
    tried.emplace_back("environment (AWS_ACCESS_KEY_ID not set)");
  }

  SharedConfig config = SharedConfig::load(env, options.profile);
  const std::string& name = config.selected_name();
  if (config.selected() != nullptr || config.selected_explicitly()) {
    if (auto p = profile_credentials(env, config, name, options)) {
      return p;
    }
    tried.push_back(fmt::format("profile {} (no credentials in {})", name, config.paths()));
  } else {
    tried.push_back(fmt::format("shared files (no profile {} in {})", name, config.paths()));
  }

  HttpFetch fetch = options.fetch ? options.fetch : default_http_fetch();
  if (auto p = container_credentials(env, fetch)) {
    return caching(std::move(p), options.refresh_margin, options.clock);
  }
  tried.emplace_back("container credentials (AWS_CONTAINER_CREDENTIALS_*_URI not set)");

  auto imds = imds_credentials(env, fetch);
  if (!imds) {
    tried.emplace_back("EC2 instance metadata (AWS_EC2_METADATA_DISABLED)");
  }
  return std::make_shared<LastResortProvider>(
      imds ? caching(std::move(imds), options.refresh_margin, options.clock) : nullptr,
      std::move(tried));
}

}  // namespace cu::aws
