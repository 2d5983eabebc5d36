#include "aws/endpoints.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "aws/names.h"
#include "base/error.h"

namespace cu::aws {

namespace {

constexpr std::array<AwsServiceInfo, 11> kServices = {{
    {"S3", "s3", "s3", "s3"},
    {"STS", "sts", "sts", "sts"},
    {"SECRETS_MANAGER", "secrets_manager", "secretsmanager", "secretsmanager"},
    {"KMS", "kms", "kms", "kms"},
    {"IAM", "iam", "iam", "iam"},
    {"CLOUDFORMATION", "cloudformation", "cloudformation", "cloudformation"},
    {"LAMBDA", "lambda", "lambda", "lambda"},
    {"CLOUDWATCH_LOGS", "cloudwatch_logs", "logs", "logs"},
    {"REDSHIFT_DATA", "redshift_data", "redshift-data", "redshift-data"},
    {"GLUE", "glue", "glue", "glue"},
    {"SFN", "sfn", "states", "states"},
}};

std::string trim_slash(std::string url) {
  while (url.ends_with("/")) {
    url.pop_back();
  }
  return url;
}

const AwsServiceInfo& require_service(std::string_view name) {
  const AwsServiceInfo* s = find_service(name);
  if (s == nullptr) {
    throw cu::Error(cu::ErrorKind::kOther, "resolve endpoint", std::string(name),
                    "unknown AWS service");
  }
  return *s;
}

bool is_ip_literal_or_localhost(std::string_view url) {
  auto sep = url.find("://");
  std::string_view host = sep == std::string_view::npos ? url : url.substr(sep + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (host.starts_with("[")) {
    return true;
  }
  host = host.substr(0, host.find(':'));
  if (host == "localhost") {
    return true;
  }
  return !host.empty() && std::all_of(host.begin(), host.end(),
                                      [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

}  // namespace

const AwsServiceInfo* find_service(std::string_view name) {
  for (const auto& s : kServices) {
    if (name == s.signing_name || name == s.env_id || name == s.config_key) {
      return &s;
    }
  }
  return nullptr;
}

std::string resolve_region(const Environment& env, const SharedConfig& config) {
  if (auto r = env.get("AWS_REGION")) {
    return *r;
  }
  if (auto r = env.get("AWS_DEFAULT_REGION")) {
    return *r;
  }
  if (const Profile* p = config.selected()) {
    return p->get("region").value_or("");
  }
  return "";
}

std::string require_region(const Environment& env, const SharedConfig& config) {
  std::string region = resolve_region(env, config);
  if (region.empty()) {
    throw cu::Error(cu::ErrorKind::kUsage, "resolve region", "",
                    fmt::format("no AWS region: AWS_REGION, AWS_DEFAULT_REGION and profile {} "
                                "set none",
                                config.selected_name()))
        .with_hint("set AWS_REGION, or `region` in the profile");
  }
  return region;
}

std::string dns_suffix(std::string_view region) {
  return region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

ResolvedEndpoint default_endpoint(std::string_view service, const std::string& region) {
  const AwsServiceInfo& s = require_service(service);
  ResolvedEndpoint out;
  out.signing_name = std::string(s.signing_name);
  out.origin = "default";
  if (s.signing_name == "iam") {
    // Global service: one endpoint per partition, signed for the partition's home region.
    if (region.starts_with("cn-")) {
      out.url = "https://iam.cn-north-1.amazonaws.com.cn";
      out.region = "cn-north-1";
    } else if (region.starts_with("us-gov-")) {
      out.url = "https://iam.us-gov.amazonaws.com";
      out.region = "us-gov-west-1";
    } else {
      out.url = "https://iam.amazonaws.com";
      out.region = "us-east-1";
    }
    return out;
  }
  if (region.empty()) {
    if (s.signing_name == "sts") {
      out.url = "https://sts.amazonaws.com";
      out.region = "us-east-1";
      return out;
    }
    throw cu::Error(cu::ErrorKind::kUsage, "resolve endpoint", std::string(s.signing_name),
                    "no AWS region to build the endpoint from")
        .with_hint("set AWS_REGION, or `region` in the profile");
  }
  out.region = region;
  out.url = fmt::format("https://{}.{}.{}", s.host_prefix, region, dns_suffix(region));
  return out;
}

ResolvedEndpoint resolve_endpoint(std::string_view service, const std::string& region,
                                  const Environment& env, const SharedConfig& config) {
  const AwsServiceInfo& s = require_service(service);
  const Profile* profile = config.selected();
  bool ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
                    ? env.flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
                    : (profile != nullptr &&
                       profile->get("ignore_configured_endpoint_urls").value_or("") == "true");
  auto configured = [&](std::string url, std::string origin) {
    ResolvedEndpoint out;
    out.url = trim_slash(std::move(url));
    out.signing_name = std::string(s.signing_name);
    // Signed for the resolved region; emulators accept any, and us-east-1 stands in when
    // none is set.
    out.region = region_or_default(region);
    out.configured = true;
    out.origin = std::move(origin);
    return out;
  };
  if (!ignore) {
    std::string var = fmt::format("AWS_ENDPOINT_URL_{}", s.env_id);
    if (auto url = env.get(var)) {
      return configured(*url, var);
    }
    if (profile != nullptr) {
      if (auto services_name = profile->get("services")) {
        const ConfigSection* services = config.services(*services_name);
        std::string key = fmt::format("{}.endpoint_url", s.config_key);
        if (services != nullptr) {
          if (auto url = services->get(key)) {
            return configured(*url, fmt::format("[services {}] {}", *services_name, key));
          }
        }
      }
    }
    if (auto url = env.get("AWS_ENDPOINT_URL")) {
      return configured(*url, "AWS_ENDPOINT_URL");
    }
    if (profile != nullptr) {
      if (auto url = profile->get("endpoint_url")) {
        return configured(*url, fmt::format("profile {} endpoint_url", profile->name));
      }
    }
  }
  return default_endpoint(service, region);
}

bool s3_use_path_style(const ResolvedEndpoint& endpoint, std::string_view bucket,
                       const SharedConfig& config) {
  std::string style = "auto";
  if (const Profile* p = config.selected()) {
    style = p->get("s3.addressing_style").value_or("auto");
  }
  if (style == "path") {
    return true;
  }
  if (style == "virtual") {
    return false;
  }
  bool dns_ok =
      bucket.size() >= 3 && bucket.size() <= 63 &&
      std::all_of(bucket.begin(), bucket.end(),
                  [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
                  }) &&
      bucket.front() != '-' && bucket.back() != '-' && bucket.find("..") == bucket.npos;
  // A dot makes the wildcard TLS certificate *.s3… not match.
  if (bucket.find('.') != bucket.npos && endpoint.url.starts_with("https://")) {
    dns_ok = false;
  }
  if (!dns_ok) {
    return true;
  }
  if (endpoint.configured) {
    return true;
  }
  return is_ip_literal_or_localhost(endpoint.url);
}

}  // namespace cu::aws
