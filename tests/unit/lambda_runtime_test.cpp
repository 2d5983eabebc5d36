// The Lambda Runtime API loop against a small Runtime API endpoint on loopback, written
// here from the API's documentation (GET /2018-06-01/runtime/invocation/next with the
// Lambda-Runtime-* headers; POST …/invocation/<id>/response, …/invocation/<id>/error,
// …/init/error with Lambda-Runtime-Function-Error-Type).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "base/error.h"
#include "base/redact.h"
#include "lambda/runtime.h"

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct Queued {
  std::string request_id, body, trace_id;
  std::chrono::system_clock::time_point deadline;
};

struct Posted {
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::chrono::system_clock::time_point at;
};

// The Runtime API side: serves queued invocations in order and records every POST.
class FakeRuntimeApi {
 public:
  FakeRuntimeApi() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 8) != 0)
      throw std::runtime_error("cannot listen on loopback");
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeRuntimeApi() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void enqueue(Queued q) {
    std::lock_guard lock(m_);
    queue_.push_back(std::move(q));
  }
  std::vector<Posted> posted() {
    std::lock_guard lock(m_);
    return posted_;
  }

 private:
  void serve() {
    while (!stopping_) {
      int c = ::accept(listener_, nullptr, nullptr);
      if (c < 0) return;
      std::string buffer;
      while (handle_one(c, buffer)) {
      }
      ::close(c);
    }
  }

  // Reads one request from the connection (keep-alive) and answers it.
  bool handle_one(int c, std::string& buffer) {
    size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos)
      if (!read_more(c, buffer)) return false;
    std::string head = buffer.substr(0, end);
    buffer.erase(0, end + 4);
    std::string request_line = head.substr(0, head.find("\r\n"));
    std::map<std::string, std::string> headers;
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos < head.size()) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line =
          head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(ch));
        headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      pos = next;
    }
    size_t length = headers.count("content-length") ? std::stoul(headers["content-length"]) : 0;
    while (buffer.size() < length)
      if (!read_more(c, buffer)) return false;
    std::string body = buffer.substr(0, length);
    buffer.erase(0, length);

    std::string method = request_line.substr(0, request_line.find(' '));
    std::string path = request_line.substr(method.size() + 1);
    path = path.substr(0, path.find(' '));
    if (method == "GET" && path == "/2018-06-01/runtime/invocation/next") {
      Queued q;
      {
        std::lock_guard lock(m_);
        if (queue_.empty()) return reply(c, 500, "{\"message\":\"test queue empty\"}", "");
        q = queue_.front();
        queue_.pop_front();
      }
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(q.deadline.time_since_epoch())
                    .count();
      std::string extra = "Lambda-Runtime-Aws-Request-Id: " + q.request_id +
                          "\r\nLambda-Runtime-Deadline-Ms: " + std::to_string(ms) +
                          "\r\nLambda-Runtime-Invoked-Function-Arn: "
                          "arn:aws:lambda:eu-central-1:111111111111:function:crossunload\r\n";
      if (!q.trace_id.empty()) extra += "Lambda-Runtime-Trace-Id: " + q.trace_id + "\r\n";
      return reply(c, 200, q.body, extra);
    }
    if (method == "POST") {
      std::lock_guard lock(m_);
      posted_.push_back({path, headers, body, std::chrono::system_clock::now()});
      return reply(c, 202, "{\"status\":\"OK\"}", "");
    }
    return reply(c, 404, "{}", "");
  }

  static bool read_more(int c, std::string& buffer) {
    char chunk[4096];
    ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }

  static bool reply(int c, int status, const std::string& body, const std::string& extra) {
    std::string r = "HTTP/1.1 " + std::to_string(status) +
                    " X\r\nContent-Type: application/json\r\n" + extra +
                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return ::send(c, r.data(), r.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(r.size());
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex m_;
  std::deque<Queued> queue_;
  std::vector<Posted> posted_;
};

cu::lambda::RuntimeOptions options(const FakeRuntimeApi& api, int invocations) {
  cu::lambda::RuntimeOptions o;
  o.api = api.address();
  o.max_invocations = invocations;
  o.stop_margin = 100ms;
  return o;
}

auto in(std::chrono::milliseconds d) { return std::chrono::system_clock::now() + d; }

TEST(LambdaRuntime, SuccessThenErrorResponses) {
  FakeRuntimeApi api;
  api.enqueue({"req-1", R"({"query":"select 1","to":"s3://b/p"})",
               "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
               in(60s)});
  api.enqueue({"req-2", R"({"query":"select 2"})", "", in(60s)});

  cu::lambda::Runtime rt(options(api, 2));
  std::vector<std::string> traces;
  int rc = rt.run([&](const cu::lambda::Invocation& inv) -> json {
    const char* t = std::getenv("_X_AMZN_TRACE_ID");
    traces.push_back(t ? t : "<unset>");
    EXPECT_GT(inv.remaining().count(), 50'000);
    EXPECT_EQ(inv.function_arn, "arn:aws:lambda:eu-central-1:111111111111:function:crossunload");
    if (inv.request_id == "req-2")
      throw cu::Error(cu::ErrorKind::kAccess, "assume role",
                      "arn:aws:iam::222222222222:role/SM-Read-Role", "not authorized")
          .with_aws("AccessDenied", "rid-9");
    return json{{"status", "ok"}, {"query", inv.event.at("query")}};
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(traces,
            (std::vector<std::string>{
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                "<unset>"}));

  auto posted = api.posted();
  ASSERT_EQ(posted.size(), 2u);
  EXPECT_EQ(posted[0].path, "/2018-06-01/runtime/invocation/req-1/response");
  EXPECT_EQ(json::parse(posted[0].body), json({{"status", "ok"}, {"query", "select 1"}}));
  EXPECT_EQ(posted[0].headers.count("lambda-runtime-function-error-type"), 0u);

  EXPECT_EQ(posted[1].path, "/2018-06-01/runtime/invocation/req-2/error");
  EXPECT_EQ(posted[1].headers["lambda-runtime-function-error-type"], "AccessDenied");
  json err = json::parse(posted[1].body);
  EXPECT_EQ(err.at("errorType"), "AccessDenied");
  EXPECT_EQ(err.at("errorMessage"),
            "assume role arn:aws:iam::222222222222:role/SM-Read-Role: not authorized "
            "[AccessDenied] (request id rid-9)");
}

TEST(LambdaRuntime, InitErrorIsPostedToInitError) {
  FakeRuntimeApi api;
  cu::lambda::Runtime rt(options(api, 0));
  rt.report_init_error("Usage", "job configuration: region: missing");
  auto posted = api.posted();
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0].path, "/2018-06-01/runtime/init/error");
  EXPECT_EQ(posted[0].headers["lambda-runtime-function-error-type"], "Usage");
  EXPECT_EQ(json::parse(posted[0].body).at("errorMessage"), "job configuration: region: missing");
}

TEST(LambdaRuntime, StopsTheHandlerBeforeTheDeadline) {
  FakeRuntimeApi api;
  auto deadline = in(600ms);
  api.enqueue({"req-slow", "{}", "", deadline});
  cu::lambda::Runtime rt(options(api, 1));  // stop margin 100 ms
  std::chrono::system_clock::time_point stopped_at;
  rt.run([&](const cu::lambda::Invocation& inv) -> json {
    // A handler that works until asked to stop (at most 10 s, far past the deadline).
    for (auto until = in(10s); std::chrono::system_clock::now() < until;) {
      if (inv.stop.stop_requested()) break;
      std::this_thread::sleep_for(5ms);
    }
    stopped_at = std::chrono::system_clock::now();
    return json{{"status", "partial"}};
  });
  EXPECT_LT(stopped_at, deadline);
  EXPECT_GE(stopped_at, deadline - 150ms);
  auto posted = api.posted();
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0].path, "/2018-06-01/runtime/invocation/req-slow/error");
  EXPECT_LT(posted[0].at, deadline);  // reported while Lambda still listens
  EXPECT_EQ(json::parse(posted[0].body).at("errorType"), "DeadlineExceeded");
}

TEST(LambdaRuntime, AnErrorAfterTheStopIsReportedAsTheDeadlineWithItsMessage) {
  FakeRuntimeApi api;
  auto deadline = in(600ms);
  api.enqueue({"req-cancelled", "{}", "", deadline});
  cu::lambda::Runtime rt(options(api, 1));  // stop margin 100 ms
  rt.run([&](const cu::lambda::Invocation& inv) -> json {
    // As the job does: the stop cancels its query, which fails with the database's error.
    while (!inv.stop.stop_requested()) std::this_thread::sleep_for(5ms);
    throw cu::Error(cu::ErrorKind::kSource, "unload", "s3://b/p_",
                    "canceling statement due to user request");
  });
  auto posted = api.posted();
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0].path, "/2018-06-01/runtime/invocation/req-cancelled/error");
  EXPECT_EQ(posted[0].headers["lambda-runtime-function-error-type"], "DeadlineExceeded");
  std::string message = json::parse(posted[0].body).at("errorMessage");
  EXPECT_THAT(message, testing::StartsWith("stopped 100 ms before the Lambda deadline"));
  EXPECT_THAT(message, testing::HasSubstr("canceling statement due to user request"));
  EXPECT_LT(posted[0].at, deadline);
}

TEST(LambdaRuntime, MalformedEventAndForeignExceptionsAreErrorResponses) {
  FakeRuntimeApi api;
  api.enqueue({"req-a", "{not json", "", in(60s)});
  api.enqueue({"req-b", "{}", "", in(60s)});
  cu::register_secret("hunter2-very-secret");
  cu::lambda::Runtime rt(options(api, 2));
  rt.run([](const cu::lambda::Invocation&) -> json {
    throw std::runtime_error("server said: password hunter2-very-secret is wrong");
  });
  auto posted = api.posted();
  ASSERT_EQ(posted.size(), 2u);
  EXPECT_EQ(json::parse(posted[0].body).at("errorType"), "Usage");
  EXPECT_EQ(posted[1].headers["lambda-runtime-function-error-type"], "Other");
  std::string message = json::parse(posted[1].body).at("errorMessage");
  EXPECT_THAT(message, testing::HasSubstr("password *** is wrong"));
  EXPECT_THAT(message, testing::Not(testing::HasSubstr("hunter2")));
}

TEST(LambdaRuntime, EveryMalformedEventIsAnsweredWithoutItsTextAndTheLoopGoesOn) {
  FakeRuntimeApi api;
  // Invalid UTF-8 and a truncated event, both ending in a password, then good ones.
  api.enqueue({"req-utf8", "{\"source\": \"password=Sekrit-Word-\xff\xfe\"}", "", in(60s)});
  api.enqueue({"req-cut", "{\"source\": \"password=Sekrit-Word", "", in(60s)});
  api.enqueue({"req-bad-answer", "{}", "", in(60s)});
  api.enqueue({"req-good", "{\"query\": \"select 1\"}", "", in(60s)});
  cu::lambda::Runtime rt(options(api, 4));
  rt.run([](const cu::lambda::Invocation& inv) -> json {
    if (inv.request_id == "req-bad-answer") {
      return json{{"text", "latin-1 \xe9t\xe9"}};  // not UTF-8: answered with U+FFFD
    }
    return json{{"query", inv.event.at("query")}};
  });
  auto posted = api.posted();
  ASSERT_EQ(posted.size(), 4u);
  EXPECT_EQ(posted[0].path, "/2018-06-01/runtime/invocation/req-utf8/error");
  EXPECT_EQ(posted[1].path, "/2018-06-01/runtime/invocation/req-cut/error");
  for (int i : {0, 1}) {
    json err = json::parse(posted[i].body);
    EXPECT_EQ(err.at("errorType"), "Usage");
    std::string message = err.at("errorMessage");
    EXPECT_THAT(message, testing::StartsWith("the event is not JSON: parse error at line 1"));
    EXPECT_THAT(message, testing::Not(testing::HasSubstr("Sekrit")));
  }
  EXPECT_EQ(posted[2].path, "/2018-06-01/runtime/invocation/req-bad-answer/response");
  EXPECT_EQ(json::parse(posted[2].body), json({{"text", "latin-1 \xef\xbf\xbdt\xef\xbf\xbd"}}));
  EXPECT_EQ(posted[3].path, "/2018-06-01/runtime/invocation/req-good/response");
  EXPECT_EQ(json::parse(posted[3].body), json({{"query", "select 1"}}));
}

TEST(LambdaRuntime, UnreachableRuntimeApiIsAnError) {
  cu::lambda::RuntimeOptions o;
  o.api = "127.0.0.1:1";  // nothing listens on port 1
  o.max_invocations = 1;
  cu::lambda::Runtime rt(o);
  EXPECT_THROW(rt.run([](const cu::lambda::Invocation&) { return json::object(); }), cu::Error);
}

}  // namespace
