#pragma once
// Region and endpoint URL resolution, the way the AWS SDKs do it, so that crossunload talks
// to the same place `aws` would with the same environment and ~/.aws/config.
//
//   auto cfg = cu::aws::SharedConfig::load(env);
//   std::string region = cu::aws::require_region(env, cfg);
//   cu::aws::ResolvedEndpoint sm = cu::aws::resolve_endpoint("secretsmanager", region, env, cfg);
//   // sm.url == "https://secretsmanager.eu-west-1.amazonaws.com", or AWS_ENDPOINT_URL_…
//
// Region: AWS_REGION, then AWS_DEFAULT_REGION, then the selected profile's `region`.
// Endpoint (AWS SDK reference, "Service-specific endpoints"): AWS_ENDPOINT_URL_<SERVICE>,
// then `endpoint_url` for the service in the profile's [services] section, then
// AWS_ENDPOINT_URL, then the profile's `endpoint_url`; none of these when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's ignore_configured_endpoint_urls) is
// true; otherwise AWS's public endpoint for the region (amazonaws.com.cn in China; IAM is
// global).

#include <string>
#include <string_view>

#include "aws/config_file.h"

namespace cu::aws {

// One service crossunload calls, under its several names.
struct AwsServiceInfo {
  std::string_view env_id;        // AWS_ENDPOINT_URL_<env_id>: "SECRETS_MANAGER"
  std::string_view config_key;    // key in a [services] section: "secrets_manager"
  std::string_view signing_name;  // SigV4 service: "secretsmanager"
  std::string_view host_prefix;   // <prefix>.<region>.amazonaws.com: "secretsmanager"
};

// By signing name ("secretsmanager", "logs"), env id ("SECRETS_MANAGER") or config key
// ("cloudwatch_logs"); null when unknown. Known: s3, sts, secretsmanager, kms, iam,
// cloudformation, lambda, logs, redshift-data, glue, states (Step Functions: env id SFN).
const AwsServiceInfo* find_service(std::string_view name);

// The region, or "" when none is configured.
std::string resolve_region(const Environment& env, const SharedConfig& config);
// The region, or a kUsage error saying how to set one.
std::string require_region(const Environment& env, const SharedConfig& config);

// "amazonaws.com.cn" for cn-* regions, "amazonaws.com" otherwise.
std::string dns_suffix(std::string_view region);

struct ResolvedEndpoint {
  std::string url;           // scheme://host[:port][/path], no trailing slash
  std::string signing_name;  // "s3", "sts", …
  std::string region;        // signing region (us-east-1 for global IAM)
  bool configured = false;   // from a variable or the config files (a local emulator…)
  std::string origin;        // "AWS_ENDPOINT_URL_S3", "profile dev endpoint_url", "default"
};

// Throws kUsage for an unknown service, or when the default endpoint needs a region and
// `region` is empty.
ResolvedEndpoint resolve_endpoint(std::string_view service, const std::string& region,
                                  const Environment& env, const SharedConfig& config);

// AWS's public endpoint of `service` in `region`.
ResolvedEndpoint default_endpoint(std::string_view service, const std::string& region);

// Whether S3 requests for `bucket` go path-style (https://host/bucket/key) rather than
// virtual-hosted (https://bucket.host/key). The profile's `s3 = addressing_style` decides
// when it is path or virtual; otherwise (auto) path-style for a configured endpoint (local
// emulators rarely resolve bucket subdomains) and for bucket names that are not valid DNS
// labels (upper case, '_', or '.' over https), virtual-hosted otherwise.
bool s3_use_path_style(const ResolvedEndpoint& endpoint, std::string_view bucket,
                       const SharedConfig& config);

}  // namespace cu::aws
