#include "lambda/runtime.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "base/log.h"
#include "base/redact.h"
#include "base/strings.h"
#include "base/syntax_error.h"

namespace cu::lambda {

namespace {

constexpr const char* kPrefix = "/2018-06-01/runtime";

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string_view value = trim(std::string_view(line).substr(colon + 1));
    (*static_cast<std::map<std::string, std::string>*>(user))[lower(line.substr(0, colon))] =
        std::string(value);
  }
  return size * n;
}

}  // namespace

// One libcurl handle for the whole life of the process: the Runtime API is one loopback
// endpoint and the connection is reused between invocations.
struct Runtime::Http {
  std::string base;
  CURL* curl = nullptr;

  explicit Http(const std::string& api) : base("http://" + api + kPrefix) {
    static const bool once = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
    curl = once ? curl_easy_init() : nullptr;
    if (!curl) {
      throw Error(ErrorKind::kOther, "lambda runtime", api, "cannot initialise libcurl");
    }
  }
  ~Http() { curl_easy_cleanup(curl); }
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  // timeout 0: wait forever (the next invocation may be hours away).
  Response call(const char* method, const std::string& path, const std::string* body,
                const std::string& error_type, long timeout_seconds) const {
    Response r;
    const std::string url = base + path;
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");  // the Runtime API is never behind a proxy
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
    struct curl_slist* headers = nullptr;
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> guard(nullptr, curl_slist_free_all);
    if (body) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
      headers = curl_slist_append(headers, "Content-Type: application/json");
      headers = curl_slist_append(headers, "Expect:");
    }
    if (!error_type.empty()) {
      headers =
          curl_slist_append(headers, ("Lambda-Runtime-Function-Error-Type: " + error_type).c_str());
    }
    guard.reset(headers);
    if (headers) {
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    }
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
      throw Error(ErrorKind::kOther, "lambda runtime", url, curl_easy_strerror(rc))
          .with_hint("AWS_LAMBDA_RUNTIME_API must name the Runtime API's host:port");
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    return r;
  }
};

RuntimeOptions RuntimeOptions::from_environment() {
  RuntimeOptions o;
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (!api || !*api) {
    throw Error(ErrorKind::kUsage, "lambda runtime", "AWS_LAMBDA_RUNTIME_API", "not set")
        .with_hint(
            "crossunload lambda runs inside AWS Lambda, or against a local Runtime API "
            "emulator: AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001");
  }
  o.api = api;
  if (const char* m = std::getenv("CU_LAMBDA_STOP_MARGIN_MS"); m && *m) {
    char* end = nullptr;
    long v = std::strtol(m, &end, 10);
    if (*end || v < 0) {
      throw Error(ErrorKind::kUsage, "lambda runtime", "CU_LAMBDA_STOP_MARGIN_MS",
                  fmt::format("'{}' is not a number of milliseconds", m));
    }
    o.stop_margin = std::chrono::milliseconds(v);
  }
  return o;
}

std::string error_type(const Error& e) {
  switch (e.kind()) {
    case ErrorKind::kUsage:
      return "Usage";
    case ErrorKind::kAccess:
      return "AccessDenied";
    case ErrorKind::kSource:
      return "SourceDatabase";
    case ErrorKind::kDestination:
      return "Destination";
    case ErrorKind::kOther:
      break;
  }
  return "Other";
}

Runtime::Runtime(RuntimeOptions options)
    : options_(std::move(options)), http_(std::make_unique<Http>(options_.api)) {}

Runtime::~Runtime() = default;

namespace {

// JSON text of `doc`; a string that is not UTF-8 (a server's message in another encoding)
// gets U+FFFD where its bad bytes were, instead of an exception that would leave the
// invocation unanswered.
std::string dump(const nlohmann::json& doc) {
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string error_body(const std::string& type, const std::string& message) {
  // The message went through cu::redact() already when it is a cu::Error; again here for
  // anything else a handler may throw.
  return dump(nlohmann::json{{"errorType", type},
                             {"errorMessage", redact(message)},
                             {"stackTrace", nlohmann::json::array()}});
}

// Requests `stop` at `when` unless destroyed first.
class Watchdog {
 public:
  Watchdog(const std::stop_source& stop, std::chrono::system_clock::time_point when)
      : thread_([stop, when](const std::stop_token& self) mutable {
          std::mutex m;
          std::condition_variable_any cv;
          std::unique_lock lock(m);
          cv.wait_until(lock, self, when, [] { return false; });
          if (!self.stop_requested()) {
            stop.request_stop();
          }
        }) {}

 private:
  std::jthread thread_;
};

}  // namespace

void Runtime::report_init_error(const std::string& type, const std::string& message) {
  const std::string body = error_body(type, message);
  Response r = http_->call("POST", "/init/error", &body, type, 30);
  if (r.status / 100 != 2) {
    log::error("lambda runtime: init/error answered HTTP {}: {}", r.status, r.body);
  }
}

int Runtime::run(const Handler& handler) {
  for (int served = 0; !options_.max_invocations || served < *options_.max_invocations; ++served) {
    Response next = http_->call("GET", "/invocation/next", nullptr, "", 0);
    if (next.status != 200) {
      throw Error(ErrorKind::kOther, "lambda runtime", http_->base + "/invocation/next",
                  fmt::format("HTTP {}: {}", next.status, next.body));
    }
    Invocation inv;
    inv.request_id = next.headers["lambda-runtime-aws-request-id"];
    inv.function_arn = next.headers["lambda-runtime-invoked-function-arn"];
    inv.trace_id = next.headers["lambda-runtime-trace-id"];
    if (inv.request_id.empty()) {
      throw Error(ErrorKind::kOther, "lambda runtime", http_->base + "/invocation/next",
                  "no Lambda-Runtime-Aws-Request-Id header");
    }
    const std::string& deadline = next.headers["lambda-runtime-deadline-ms"];
    char* end = nullptr;
    long long ms = std::strtoll(deadline.c_str(), &end, 10);
    inv.deadline = deadline.empty() || *end
                       ? std::chrono::system_clock::now() + std::chrono::minutes(15)
                       : std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
    if (inv.trace_id.empty()) {
      ::unsetenv("_X_AMZN_TRACE_ID");
    } else {
      ::setenv("_X_AMZN_TRACE_ID", inv.trace_id.c_str(), 1);
    }

    std::stop_source stop;
    inv.stop = stop.get_token();
    const std::string path = "/invocation/" + inv.request_id;
    log::info("invocation {} started, {} ms to the deadline", inv.request_id,
              inv.remaining().count());

    std::string type, message, response;
    {
      Watchdog watchdog(stop, inv.deadline - options_.stop_margin);
      try {
        inv.event = nlohmann::json::parse(next.body);
        response = dump(handler(inv));
      } catch (const nlohmann::json::parse_error& e) {
        // Never the event's text: a malformed event may hold a password.
        type = "Usage";
        message = "the event is not JSON: " + json_syntax_error(e.what());
      } catch (const Error& e) {
        type = error_type(e);
        message = e.what();
      } catch (const std::exception& e) {
        type = "Other";
        message = fmt::format("internal error: {}", e.what());
      } catch (...) {
        type = "Other";
        message = "internal error: an exception that is not a std::exception";
      }
    }
    if (stop.stop_requested()) {
      // Whatever the handler made of the stop (an error of its own kind, or a result
      // returned too late), the cause is the deadline: say so, with what the handler said.
      message =
          fmt::format("stopped {} ms before the Lambda deadline (Lambda-Runtime-Deadline-Ms); {}",
                      options_.stop_margin.count(),
                      type.empty() ? std::string("the work is incomplete") : message);
      type = "DeadlineExceeded";
    }

    if (type.empty()) {
      Response r = http_->call("POST", path + "/response", &response, "", 30);
      if (r.status == 413) {
        type = "ResponseTooLarge";
        message =
            fmt::format("the response ({} bytes) is larger than Lambda accepts", response.size());
      } else if (r.status / 100 != 2) {
        throw Error(ErrorKind::kOther, "lambda runtime", http_->base + path + "/response",
                    fmt::format("HTTP {}: {}", r.status, r.body));
      } else {
        log::info("invocation {} succeeded", inv.request_id);
      }
    }
    if (!type.empty()) {
      log::error("invocation {} failed: {}: {}", inv.request_id, type, message);
      const std::string body = error_body(type, message);
      Response r = http_->call("POST", path + "/error", &body, type, 30);
      if (r.status / 100 != 2) {
        throw Error(ErrorKind::kOther, "lambda runtime", http_->base + path + "/error",
                    fmt::format("HTTP {}: {}", r.status, r.body));
      }
    }
  }
  return 0;
}

}  // namespace cu::lambda
