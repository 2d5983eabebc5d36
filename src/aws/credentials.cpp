#include "aws/credentials.h"

#include <fmt/format.h>

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "aws/credentials_providers.h"
#include "base/error.h"
#include "base/log.h"
#include "base/redact.h"

namespace cu::aws {

namespace {

void register_secrets(const Credentials& c) {
  cu::register_secret(c.secret_access_key);
  cu::register_secret(c.session_token);
}

class StaticProvider : public CredentialsProvider {
 public:
  StaticProvider(Credentials c, std::string description)
      : creds_(std::move(c)), description_(std::move(description)) {
    register_secrets(creds_);
  }
  Credentials get() override { return creds_; }
  std::string describe() const override { return description_; }

 private:
  Credentials creds_;
  std::string description_;
};

class CachingProvider : public CredentialsProvider {
 public:
  CachingProvider(CredentialsProviderPtr inner, std::chrono::seconds margin, Clock clock)
      : inner_(std::move(inner)), margin_(margin), clock_(std::move(clock)) {}

  Credentials get() override {
    std::lock_guard lock(mu_);
    auto now = clock_ ? clock_() : std::chrono::system_clock::now();
    if (cached_ && !cached_->expires_within(margin_, now)) {
      return *cached_;
    }
    try {
      cached_ = inner_->get();
    } catch (const std::exception& e) {
      // Still valid, only due for refresh: keep working and say so.
      if (cached_ && !cached_->expires_within(std::chrono::seconds(0), now)) {
        cu::log::warn(
            "refreshing credentials from {} failed, using the current ones until they "
            "expire: {}",
            inner_->describe(), e.what());
        return *cached_;
      }
      throw;
    }
    return *cached_;
  }
  std::string describe() const override { return inner_->describe(); }

 private:
  CredentialsProviderPtr inner_;
  std::chrono::seconds margin_;
  Clock clock_;
  std::mutex mu_;
  std::optional<Credentials> cached_;
};

class AssumeRoleProvider : public CredentialsProvider {
 public:
  AssumeRoleProvider(CredentialsProviderPtr source, AssumeRoleCall call, AssumeRoleFn fn)
      : source_(std::move(source)), call_(std::move(call)), fn_(std::move(fn)) {}

  Credentials get() override {
    AssumeRoleCall call = call_;
    call.source = source_->get();
    call.source_description = source_->describe();
    Credentials c = fn_(call);
    register_secrets(c);
    if (c.empty()) {
      throw cu::Error(cu::ErrorKind::kAccess, "assume role", call_.role_arn,
                      "STS returned no credentials");
    }
    c.source = describe();
    return c;
  }
  std::string describe() const override {
    return fmt::format("assume role {} via {}", call_.role_arn, source_->describe());
  }

 private:
  CredentialsProviderPtr source_;
  AssumeRoleCall call_;
  AssumeRoleFn fn_;
};

// ISO 8601: "2026-11-29T01:05:19Z", with optional fractional seconds, "Z" or a "+hh:mm"
// offset (credential_process tools print either).
std::chrono::system_clock::time_point parse_expiration(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
      6) {
    throw std::invalid_argument("not an ISO 8601 time");
  }
  using namespace std::chrono;
  auto t = sys_days{year{y} / month{static_cast<unsigned>(mo)} / day{static_cast<unsigned>(d)}} +
           hours(h) + minutes(mi) + seconds(s);
  std::string_view rest = std::string_view(text).substr(static_cast<size_t>(consumed));
  if (rest.starts_with(".")) {
    rest.remove_prefix(std::min(rest.find_first_of("Z+-"), rest.size()));
  }
  if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    auto offset = hours(std::stoi(std::string(rest.substr(1, 2)))) +
                  minutes(std::stoi(std::string(rest.substr(4, 2))));
    t += rest[0] == '+' ? -offset : offset;
  } else if (!rest.empty() && rest != "Z") {
    throw std::invalid_argument("not an ISO 8601 time");
  }
  return time_point_cast<system_clock::duration>(t);
}

}  // namespace

CredentialsProviderPtr static_credentials(Credentials c) {
  std::string description = c.source.empty() ? "explicit credentials" : c.source;
  if (c.source.empty()) {
    c.source = description;
  }
  return std::make_shared<StaticProvider>(std::move(c), std::move(description));
}

CredentialsProviderPtr caching(CredentialsProviderPtr inner, std::chrono::seconds margin,
                               Clock clock) {
  return std::make_shared<CachingProvider>(std::move(inner), margin, std::move(clock));
}

CredentialsProviderPtr environment_credentials(const Environment& env) {
  auto id = env.get("AWS_ACCESS_KEY_ID");
  auto secret = env.get("AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) {
    return nullptr;
  }
  if (secret) {
    cu::register_secret(*secret);
  }
  if (!id || !secret) {
    throw cu::Error(
        cu::ErrorKind::kUsage, "read credentials", "environment",
        fmt::format("{} is set but {} is not", id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"))
        .with_hint("set both, or unset both to use a profile");
  }
  Credentials c;
  c.access_key_id = *id;
  c.secret_access_key = *secret;
  c.session_token = env.get("AWS_SESSION_TOKEN").value_or(env.get_or("AWS_SECURITY_TOKEN", ""));
  if (auto exp = env.get("AWS_CREDENTIAL_EXPIRATION")) {
    try {
      c.expiration = parse_expiration(*exp);
    } catch (const std::exception&) {
      throw cu::Error(cu::ErrorKind::kUsage, "read credentials", "environment",
                      "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time: " + *exp);
    }
  }
  c.source = "environment";
  return std::make_shared<StaticProvider>(std::move(c), "environment");
}

CredentialsProviderPtr profile_static_credentials(const Profile& profile) {
  auto id = profile.get("aws_access_key_id");
  if (!id) {
    return nullptr;
  }
  auto secret = profile.get("aws_secret_access_key");
  if (!secret) {
    throw cu::Error(
        cu::ErrorKind::kUsage, "read credentials",
        profile.origin.count("aws_access_key_id") ? profile.origin.at("aws_access_key_id")
                                                  : "profile " + profile.name,
        fmt::format("profile {} has aws_access_key_id but no aws_secret_access_key", profile.name));
  }
  Credentials c;
  c.access_key_id = *id;
  c.secret_access_key = *secret;
  c.session_token = profile.get("aws_session_token").value_or("");
  c.source = "profile " + profile.name;
  return std::make_shared<StaticProvider>(std::move(c), "profile " + profile.name);
}

CredentialsProviderPtr assume_role_credentials(CredentialsProviderPtr source, AssumeRoleCall call,
                                               AssumeRoleFn assume_role) {
  return std::make_shared<AssumeRoleProvider>(std::move(source), std::move(call),
                                              std::move(assume_role));
}

Credentials parse_credentials_json(std::string_view json, const std::string& source) {
  auto bad = [&](const std::string& what) {
    return cu::Error(cu::ErrorKind::kAccess, "read credentials", source, what);
  };
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw bad("the answer is not a JSON object");
  }
  auto field = [&](const char* name) -> std::string {
    auto it = doc.find(name);
    if (it == doc.end() || it->is_null()) {
      return {};
    }
    if (!it->is_string()) {
      throw bad(fmt::format("\"{}\" is not a string", name));
    }
    return it->get<std::string>();
  };
  Credentials c;
  c.secret_access_key = field("SecretAccessKey");
  c.session_token = field("SessionToken");
  if (c.session_token.empty()) {
    c.session_token = field("Token");
  }
  register_secrets(c);
  c.access_key_id = field("AccessKeyId");
  if (c.access_key_id.empty()) {
    throw bad("no \"AccessKeyId\" in the answer");
  }
  if (c.secret_access_key.empty()) {
    throw bad("no \"SecretAccessKey\" in the answer");
  }
  if (std::string exp = field("Expiration"); !exp.empty()) {
    try {
      c.expiration = parse_expiration(exp);
    } catch (const std::exception&) {
      throw bad("\"Expiration\" is not an ISO 8601 time: " + exp);
    }
  }
  c.source = source;
  return c;
}

}  // namespace cu::aws
