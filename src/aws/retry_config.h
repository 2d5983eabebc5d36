#pragma once
// How many attempts an AWS request gets, configured the way the AWS CLI and SDKs configure
// it: AWS_MAX_ATTEMPTS in the environment, else `max_attempts` in the selected profile of
// ~/.aws/config; the retry mode likewise from AWS_RETRY_MODE, else `retry_mode`. The
// environment wins over the file. The count includes the first attempt: 1 means no retry.
//
//   RetrySettings s = retry_settings(env, config);   // throws cu::Error (kUsage) if invalid
//   RetryPolicy p;                                    // max_attempts unset: configured/default
//   p.max_attempts = s.max_attempts;
//
// ServiceClient does this itself for any policy whose max_attempts is unset, with the
// process's settings (configured_retry_settings(), read once): every client of a run, and
// every upload thread, retries the same way.
//
// Retry modes: "standard" is what crossunload does (retry.h: exponential backoff with full
// jitter, throttling backs off harder). "legacy" and "adaptive" are accepted so that a
// profile written for the AWS CLI works here, and behave as "standard": crossunload has no
// client-side rate limiter (adaptive's token bucket) and no legacy retry table.

#include <optional>
#include <string>

#include "aws/config_file.h"

namespace cu::aws {

enum class RetryMode { kStandard, kLegacy, kAdaptive };

struct RetrySettings {
  std::optional<int> max_attempts{};  // unset: RetryPolicy's default
  std::string max_attempts_origin{};  // "AWS_MAX_ATTEMPTS" or "<config file>:<line>"
  RetryMode mode = RetryMode::kStandard;
  std::string mode_origin{};  // empty when neither AWS_RETRY_MODE nor retry_mode is set
};

// Reads the settings from `env` and the selected profile of `config`. A value that is not a
// positive integer (max_attempts) or not legacy/standard/adaptive (retry_mode) is a
// configuration error (kUsage) naming the variable or the file and line.
RetrySettings retry_settings(const Environment& env, const SharedConfig& config);

// The process's settings: the process environment and the profile AWS_PROFILE selects, read
// on first use and kept. Throws as retry_settings() does (again on each call while invalid).
const RetrySettings& configured_retry_settings();

// Parses one max_attempts value; nullopt unless it is a positive integer ("3", not "+3",
// "3.0" or "0").
std::optional<int> parse_max_attempts(std::string_view text);

const char* retry_mode_name(RetryMode mode);

}  // namespace cu::aws
