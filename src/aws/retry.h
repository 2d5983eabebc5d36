#pragma once
// When and how long to wait before retrying an AWS request: exponential backoff with full
// jitter (delay = random(0, min(cap, base × 2^attempt))), bounded both in attempts and in
// total time, as the AWS SDKs' "standard" retry mode does. Pure: the clock, the random
// source and the sleep are injected, so tests are deterministic.
//
//   Backoff backoff(RetryPolicy{}, RetryEnv::system());
//   for (int attempt = 1;; ++attempt) {
//     auto outcome = send();
//     if (!is_retryable(outcome, idempotent)) break;
//     auto delay = backoff.next_delay(attempt, is_throttling_code(outcome.code));
//     if (!delay) break;            // out of attempts or time
//     env.sleep(*delay);
//   }

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

namespace cu::aws {

struct RetryPolicy {
  static constexpr int kDefaultMaxAttempts = 6;
  // First try included. Unset: what AWS_MAX_ATTEMPTS / the profile's max_attempts say
  // (retry_config.h; ServiceClient fills it in), else kDefaultMaxAttempts.
  std::optional<int> max_attempts{};
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds throttle_base_delay{500};  // throttling backs off harder
  std::chrono::milliseconds max_delay{20'000};
  std::chrono::milliseconds max_total{120'000};  // no new attempt would start after this

  static RetryPolicy none() { return RetryPolicy{1, {}, {}, {}, {}}; }
  int attempts() const { return max_attempts.value_or(kDefaultMaxAttempts); }
};

// The effects the retry loop needs; tests inject fakes.
struct RetryEnv {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<double()> uniform01;  // in [0, 1)
  std::function<void(std::chrono::milliseconds)> sleep;

  static RetryEnv system();  // steady_clock, a thread-local PRNG, this_thread::sleep_for
};

// What an attempt produced, as far as retrying is concerned.
struct AttemptOutcome {
  long status = 0;        // HTTP status, 0 when the transport failed
  std::string_view code;  // AWS error code, may be empty
  bool transport_error = false;
  bool request_may_have_reached_server = true;  // false for "connection refused"/DNS
  bool permanent = false;  // no retry can help: the CA bundle does not trust the server
};

// Throttling codes: SlowDown, Throttling, ThrottlingException, RequestLimitExceeded, …
bool is_throttling_code(std::string_view code);
// Codes the SDKs treat as transient (RequestTimeout, InternalError, …).
bool is_transient_code(std::string_view code);

// Whether another attempt may help. A non-idempotent request is retried only when the
// server cannot have acted on it: throttled, or never connected. A permanent transport
// failure (TLS trust) is never retried.
bool is_retryable(const AttemptOutcome& outcome, bool idempotent);

// Tracks one request's retries: its start time and the attempts made.
class Backoff {
 public:
  Backoff(RetryPolicy policy, RetryEnv env);
  // Delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed, or nullopt
  // when the attempt budget or the time budget is spent.
  std::optional<std::chrono::milliseconds> next_delay(int attempt, bool throttled);
  const RetryPolicy& policy() const { return policy_; }
  const RetryEnv& env() const { return env_; }

 private:
  RetryPolicy policy_;
  RetryEnv env_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace cu::aws
