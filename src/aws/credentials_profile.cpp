// The shared-files step of the credential chain: what one profile of ~/.aws/config and
// ~/.aws/credentials resolves to, following source_profile through role chains.

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "aws/credentials_providers.h"
#include "aws/endpoints.h"
#include "aws/sts.h"
#include "base/error.h"

namespace cu::aws {

namespace {

cu::Error config_error(const std::string& profile, std::string message) {
  return cu::Error(cu::ErrorKind::kUsage, "resolve credentials", "profile " + profile,
                   std::move(message));
}

int parse_duration(const std::string& profile, std::string_view text) {
  int seconds = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, seconds);
  if (ec != std::errc() || ptr != end || seconds < 900 || seconds > 43200) {
    throw config_error(profile, fmt::format("duration_seconds {} is not a number of seconds from "
                                            "900 to 43200",
                                            text));
  }
  return seconds;
}

class ProfileResolver {
 public:
  ProfileResolver(const Environment& env, const SharedConfig& config, const ChainOptions& options)
      : env_(env), config_(config), options_(options), region_(resolve_region(env, config)) {}

  // `as_source`: reached through another profile's source_profile, where static keys win
  // over the profile's own role_arn (botocore's rule) and "no credentials" is an error.
  CredentialsProviderPtr resolve(const std::string& name, std::vector<std::string>& path,
                                 bool as_source) {
    const Profile* p = config_.profile(name);
    if (p == nullptr) {
      std::string msg = path.empty()
                            ? fmt::format("profile {} not found in {}", name, config_.paths())
                            : fmt::format("source_profile {} of profile {} not found in {}", name,
                                          path.back(), config_.paths());
      throw config_error(path.empty() ? name : path.back(), msg)
          .with_hint("check AWS_PROFILE / --profile and the profile names in the files");
    }
    path.push_back(name);
    CredentialsProviderPtr keys = profile_static_credentials(*p);
    if (as_source && keys) {
      return keys;
    }
    if (p->has("role_arn")) {
      return role(*p, keys, path);
    }
    if (keys) {
      return keys;
    }
    if (auto cmd = p->get("credential_process")) {
      return caching(process_credentials(*cmd, "credential_process of profile " + name),
                     options_.refresh_margin, options_.clock);
    }
    if (p->has("sso_session") || p->has("sso_start_url")) {
      throw config_error(name, "AWS IAM Identity Center (SSO) profiles are not supported")
          .with_hint(
              fmt::format("add `credential_process = aws configure export-credentials --profile {} "
                          "--format process` to another profile and use that one",
                          name));
    }
    if (as_source) {
      throw config_error(name, fmt::format("profile {} (source_profile of {}) has no credentials",
                                           name, path.size() >= 2 ? path[path.size() - 2] : ""));
    }
    return nullptr;
  }

 private:
  CredentialsProviderPtr role(const Profile& p, const CredentialsProviderPtr& own_keys,
                              std::vector<std::string>& path) {
    auto source_profile = p.get("source_profile");
    auto credential_source = p.get("credential_source");
    if (source_profile && credential_source) {
      throw config_error(p.name, "both source_profile and credential_source are set; keep one");
    }
    if (p.has("web_identity_token_file")) {
      throw config_error(p.name,
                         "role_arn with web_identity_token_file (AssumeRoleWithWebIdentity) "
                         "is not supported");
    }
    CredentialsProviderPtr source;
    if (source_profile) {
      if (*source_profile == p.name) {
        // A profile may name itself: its own keys assume its own role.
        if (!own_keys) {
          throw config_error(p.name,
                             "source_profile names the profile itself, which has no "
                             "aws_access_key_id");
        }
        source = own_keys;
      } else if (std::find(path.begin(), path.end(), *source_profile) != path.end()) {
        std::string cycle;
        for (const auto& n : path) {
          cycle += n + " -> ";
        }
        throw config_error(p.name, "source_profile cycle: " + cycle + *source_profile);
      } else {
        source = resolve(*source_profile, path, true);
      }
    } else if (credential_source) {
      source = named_source(p.name, *credential_source);
    } else {
      throw config_error(p.name, "role_arn needs source_profile or credential_source");
    }

    AssumeRoleCall call;
    call.role_arn = *p.get("role_arn");
    call.session_name = p.get("role_session_name").value_or("");
    call.external_id = p.get("external_id").value_or("");
    call.region = region_;
    if (auto d = p.get("duration_seconds")) {
      call.duration_seconds = parse_duration(p.name, *d);
    }
    AssumeRoleFn fn = options_.assume_role ? options_.assume_role : sts_assume_role(env_, config_);
    return caching(assume_role_credentials(std::move(source), std::move(call), std::move(fn)),
                   options_.refresh_margin, options_.clock);
  }

  CredentialsProviderPtr named_source(const std::string& profile, const std::string& name) {
    HttpFetch fetch = options_.fetch ? options_.fetch : default_http_fetch();
    CredentialsProviderPtr p;
    if (name == "Environment") {
      p = environment_credentials(env_);
      if (!p) {
        throw config_error(profile,
                           "credential_source Environment, but AWS_ACCESS_KEY_ID is "
                           "not set");
      }
      return p;
    }
    if (name == "EcsContainer") {
      p = container_credentials(env_, fetch);
      if (!p) {
        throw config_error(profile,
                           "credential_source EcsContainer, but neither "
                           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set");
      }
    } else if (name == "Ec2InstanceMetadata") {
      p = imds_credentials(env_, fetch);
      if (!p) {
        throw config_error(profile,
                           "credential_source Ec2InstanceMetadata, but "
                           "AWS_EC2_METADATA_DISABLED is true");
      }
    } else {
      throw config_error(profile, fmt::format("credential_source {} is not one of Environment, "
                                              "EcsContainer, Ec2InstanceMetadata",
                                              name));
    }
    return caching(std::move(p), options_.refresh_margin, options_.clock);
  }

  const Environment& env_;
  const SharedConfig& config_;
  const ChainOptions& options_;
  std::string region_;
};

}  // namespace

CredentialsProviderPtr profile_credentials(const Environment& env, const SharedConfig& config,
                                           const std::string& profile,
                                           const ChainOptions& options) {
  std::vector<std::string> path;
  return ProfileResolver(env, config, options).resolve(profile, path, false);
}

}  // namespace cu::aws
