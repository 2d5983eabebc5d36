#include "aws/retry.h"

#include <algorithm>
#include <array>
#include <random>
#include <thread>

namespace cu::aws {

RetryEnv RetryEnv::system() {
  RetryEnv env;
  env.now = [] { return std::chrono::steady_clock::now(); };
  env.uniform01 = [] {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  };
  env.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  return env;
}

bool is_throttling_code(std::string_view code) {
  static constexpr std::array<std::string_view, 15> kCodes = {
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "TooManyRequests",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
      "RequestLimitExceeded",
      "BandwidthLimitExceeded",
      "LimitExceededException",
      "RequestThrottled",
      "SlowDown",
      "PriorRequestNotComplete",
      "EC2ThrottledException",
  };
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

bool is_transient_code(std::string_view code) {
  static constexpr std::array<std::string_view, 7> kCodes = {
      "ServiceUnavailable", "RequestTimeout",        "RequestTimeoutException", "InternalError",
      "InternalFailure",    "IDPCommunicationError", "InternalServiceError"};
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

bool is_retryable(const AttemptOutcome& o, bool idempotent) {
  if (o.transport_error && o.permanent) {
    return false;
  }
  bool throttled = o.status == 429 || is_throttling_code(o.code);
  if (throttled) {
    return true;  // the server refused to act: safe for any request
  }
  if (o.transport_error && !o.request_may_have_reached_server) {
    return true;
  }
  if (!idempotent) {
    return false;
  }
  if (o.transport_error) {
    return true;
  }
  if (o.status == 500 || o.status == 502 || o.status == 503 || o.status == 504) {
    return true;
  }
  return is_transient_code(o.code);
}

Backoff::Backoff(RetryPolicy policy, RetryEnv env)
    : policy_(policy), env_(std::move(env)), start_(env_.now()) {}

std::optional<std::chrono::milliseconds> Backoff::next_delay(int attempt, bool throttled) {
  using std::chrono::milliseconds;
  if (attempt >= policy_.attempts()) {
    return std::nullopt;
  }
  milliseconds base = throttled ? policy_.throttle_base_delay : policy_.base_delay;
  // base × 2^(attempt-1), capped, computed without overflow.
  double ceiling = static_cast<double>(base.count());
  for (int i = 1; i < attempt && ceiling < policy_.max_delay.count(); ++i) {
    ceiling *= 2;
  }
  ceiling = std::min(ceiling, static_cast<double>(policy_.max_delay.count()));
  auto delay = milliseconds(static_cast<long long>(env_.uniform01() * ceiling));
  auto elapsed = std::chrono::duration_cast<milliseconds>(env_.now() - start_);
  if (elapsed + delay >= policy_.max_total) {
    return std::nullopt;
  }
  return delay;
}

}  // namespace cu::aws
