#include "aws/retry_config.h"

#include <fmt/format.h>

#include <charconv>
#include <mutex>

#include "aws/retry.h"
#include "base/error.h"

namespace cu::aws {

namespace {

struct Setting {
  std::string value;
  std::string origin;  // the variable's name, or "<file>:<line>"
  bool from_env = false;
};

std::optional<Setting> find_setting(const Environment& env, const SharedConfig& config,
                                    std::string_view variable, std::string_view key) {
  if (auto v = env.get(variable)) {
    return Setting{*v, std::string(variable), true};
  }
  if (const Profile* p = config.selected()) {
    if (auto v = p->get(key)) {
      auto o = p->origin.find(key);
      return Setting{*v, o != p->origin.end() ? o->second : config.config_path(), false};
    }
  }
  return std::nullopt;
}

// "AWS_MAX_ATTEMPTS" or "max_attempts at /path/to/.aws/config:4", for messages.
std::string where(const Setting& s, std::string_view key) {
  return s.from_env ? s.origin : fmt::format("{} at {}", key, s.origin);
}

}  // namespace

std::optional<int> parse_max_attempts(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') {
    return std::nullopt;  // from_chars would accept neither '+' nor ' ', but says why not
  }
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1) {
    return std::nullopt;
  }
  return n;
}

const char* retry_mode_name(RetryMode mode) {
  switch (mode) {
    case RetryMode::kLegacy:
      return "legacy";
    case RetryMode::kAdaptive:
      return "adaptive";
    case RetryMode::kStandard:
      break;
  }
  return "standard";
}

RetrySettings retry_settings(const Environment& env, const SharedConfig& config) {
  RetrySettings out;
  if (auto s = find_setting(env, config, "AWS_MAX_ATTEMPTS", "max_attempts")) {
    out.max_attempts = parse_max_attempts(s->value);
    if (!out.max_attempts) {
      throw Error(
          ErrorKind::kUsage, "configure", s->origin,
          fmt::format("{} is \"{}\": not a positive integer", where(*s, "max_attempts"), s->value))
          .with_hint(fmt::format(
              "{} is the number of attempts of each AWS request, the first included (1 = no "
              "retry, e.g. 3); {} it for crossunload's default ({})",
              s->from_env ? "AWS_MAX_ATTEMPTS" : "max_attempts", s->from_env ? "unset" : "remove",
              RetryPolicy::kDefaultMaxAttempts));
    }
    out.max_attempts_origin = s->origin;
  }
  if (auto s = find_setting(env, config, "AWS_RETRY_MODE", "retry_mode")) {
    if (s->value == "standard") {
      out.mode = RetryMode::kStandard;
    } else if (s->value == "legacy") {
      out.mode = RetryMode::kLegacy;
    } else if (s->value == "adaptive") {
      out.mode = RetryMode::kAdaptive;
    } else {
      throw Error(ErrorKind::kUsage, "configure", s->origin,
                  fmt::format("{} is \"{}\": not a retry mode", where(*s, "retry_mode"), s->value))
          .with_hint(
              "use standard, legacy or adaptive (crossunload retries the standard way "
              "for all three)");
    }
    out.mode_origin = s->origin;
  }
  return out;
}

const RetrySettings& configured_retry_settings() {
  // A bad value is not kept: every client that asks is refused, not only the first.
  static std::mutex mu;
  static std::optional<RetrySettings> settings;
  std::lock_guard lock(mu);
  if (!settings) {
    Environment env = Environment::from_process();
    settings = retry_settings(env, SharedConfig::load(env));
  }
  return *settings;
}

}  // namespace cu::aws
