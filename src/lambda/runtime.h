#pragma once
// The AWS Lambda Runtime API loop: what turns crossunload into a custom-runtime function
// (`provided.al2023`, the binary installed as `bootstrap`). It asks the Runtime API at
// AWS_LAMBDA_RUNTIME_API (host:port) for the next invocation, hands the event to a handler
// and posts the handler's JSON back, or an error response when the handler throws.
//
//   cu::lambda::Runtime rt(cu::lambda::RuntimeOptions::from_environment());
//   rt.run([](const cu::lambda::Invocation& inv) {
//     ... inv.event ...;  if (inv.stop.stop_requested()) throw ...;  return report;
//   });
//
// Deadline: Lambda kills the process at Lambda-Runtime-Deadline-Ms. The runtime requests
// `Invocation::stop` `stop_margin` before it, so a handler that polls the token can abort
// its uploads and return an error while there is still time to report it. Once the stop
// was requested, the invocation is answered with a DeadlineExceeded error whatever the
// handler did: a result is replaced (its work was cut short), an error's message is kept
// after the one naming the deadline.
// Trace: Lambda-Runtime-Trace-Id is put in `_X_AMZN_TRACE_ID` for the invocation, as the
// AWS SDKs expect. Errors: a cu::Error becomes errorType = its kind ("Usage",
// "AccessDenied", "SourceDatabase", "Destination", "Other"), errorMessage = its one line.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>

namespace cu {
class Error;
}

namespace cu::lambda {

struct Invocation {
  std::string request_id;                          // Lambda-Runtime-Aws-Request-Id
  std::string function_arn;                        // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;                            // Lambda-Runtime-Trace-Id ("" when absent)
  std::chrono::system_clock::time_point deadline;  // Lambda-Runtime-Deadline-Ms
  nlohmann::json event;
  std::stop_token stop;  // requested stop_margin before the deadline

  // Time left until the deadline (negative when passed).
  std::chrono::milliseconds remaining(
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
  }
};

// Returns the response (any JSON); throws cu::Error (or any exception) for an error response.
using Handler = std::function<nlohmann::json(const Invocation&)>;

struct RuntimeOptions {
  std::string api;  // host:port of the Runtime API
  std::chrono::milliseconds stop_margin{5000};
  std::optional<int> max_invocations;  // stop after N (local runs and tests); none = forever

  // api from AWS_LAMBDA_RUNTIME_API, stop_margin from CU_LAMBDA_STOP_MARGIN_MS if set.
  // Throws cu::Error kUsage when AWS_LAMBDA_RUNTIME_API is not set.
  static RuntimeOptions from_environment();
};

// The errorType a cu::Error is reported with.
std::string error_type(const Error& e);

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Serves invocations until max_invocations (returns 0). Throws cu::Error when the Runtime
  // API itself cannot be reached (Lambda then restarts the environment).
  int run(const Handler& handler);

  // Reports a failure before the first invocation (POST /runtime/init/error); the caller
  // exits non-zero afterwards.
  void report_init_error(const std::string& error_type, const std::string& message);

 private:
  struct Http;
  RuntimeOptions options_;
  std::unique_ptr<Http> http_;
};

}  // namespace cu::lambda
