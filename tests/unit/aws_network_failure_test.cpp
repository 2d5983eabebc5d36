// A network failure is not an authorization failure: STS calls, whose refusals are exit 3,
// exit 1 when the endpoint cannot be reached (nothing listening, every connection dropped)
// or keeps answering 5xx, and the message names the endpoint and says "could not connect".
// A real refusal (403 AccessDenied) stays exit 3. The servers are loopback stand-ins started
// here: a closed port, a listener that closes each connection at once (counting them), and
// an HTTP server answering as STS documents its errors.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "aws/credentials.h"
#include "aws/credentials_providers.h"
#include "aws/sts.h"
#include "aws_credentials_loopback.h"
#include "base/error.h"

namespace cu::aws {
namespace {

// Accepts connections and closes them without a byte: the transient failure a dying load
// balancer or a proxy gives.
class DroppingServer {
 public:
  DroppingServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) {
          continue;
        }
        int c = ::accept(fd_, nullptr, nullptr);
        if (c >= 0) {
          ++connections_;
          ::close(c);
        }
      }
    });
  }
  ~DroppingServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// A loopback port with nothing listening.
std::string closed_port_url() {
  cu_test::LoopbackServer gone([](const cu_test::SeenRequest&) { return cu_test::Reply{}; });
  return gone.url();
}

RetryPolicy quick(int attempts) {
  RetryPolicy p;
  p.max_attempts = attempts;
  p.base_delay = std::chrono::milliseconds(1);
  p.throttle_base_delay = std::chrono::milliseconds(1);
  return p;
}

StsClient sts_at(const std::string& url, int attempts) {
  return StsClient({"sts", "us-east-1", url},
                   static_credentials({"AKIDEXAMPLE", "secret-key", "", {}, "environment"}),
                   quick(attempts));
}

struct Failure {
  int exit_code = 0;
  std::string what;
};

template <typename F>
Failure failure_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.exit_code(), e.what()};
  }
  return {0, "<no error>"};
}

TEST(AwsNetworkFailure, DroppedConnectionsAreNotAccessDenied) {
  DroppingServer server;
  Failure f = failure_of([&] { sts_at(server.url(), 2).get_caller_identity(); });
  EXPECT_EQ(f.exit_code, 1) << f.what;
  EXPECT_NE(f.what.find("could not connect to " + server.url()), std::string::npos) << f.what;
  EXPECT_NE(f.what.find("gave up after 2 attempts"), std::string::npos) << f.what;
  EXPECT_NE(f.what.find("network failure"), std::string::npos) << f.what;  // the hint
  EXPECT_EQ(f.what.find("try again later"), std::string::npos) << f.what;
  EXPECT_EQ(server.connections(), 2);

  // AssumeRole too: the caller is not looked up (that is for refusals), nothing else is sent.
  AssumeRoleRequest req;
  req.role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role";
  Failure a = failure_of([&] { sts_at(server.url(), 1).assume_role(req); });
  EXPECT_EQ(a.exit_code, 1) << a.what;
  EXPECT_NE(a.what.find("could not connect to " + server.url()), std::string::npos) << a.what;
  EXPECT_EQ(server.connections(), 3);
}

TEST(AwsNetworkFailure, NothingListening) {
  std::string url = closed_port_url();
  Failure f = failure_of([&] { sts_at(url, 2).get_caller_identity(); });
  EXPECT_EQ(f.exit_code, 1) << f.what;
  EXPECT_NE(f.what.find("could not connect to " + url + ": "), std::string::npos) << f.what;
  EXPECT_NE(f.what.find("get caller identity via environment"), std::string::npos) << f.what;
}

TEST(AwsNetworkFailure, ServerErrorsAreNotAccessDeniedButRefusalsAre) {
  int calls = 0;
  cu_test::LoopbackServer server([&calls](const cu_test::SeenRequest& r) {
    ++calls;
    if (r.body.find("AssumeRole") != std::string::npos) {
      // STS's Query-protocol error document (API reference, "Common Errors").
      return cu_test::Reply{
          403,
          "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
          "<Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to "
          "perform: sts:AssumeRole</Message></Error><RequestId>req-403</RequestId>"
          "</ErrorResponse>"};
    }
    return cu_test::Reply{
        503,
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
        "<Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>Service is unable to "
        "handle request.</Message></Error><RequestId>req-503</RequestId></ErrorResponse>"};
  });
  Failure f = failure_of([&] { sts_at(server.url(), 2).get_caller_identity(); });
  EXPECT_EQ(f.exit_code, 1) << f.what;
  EXPECT_NE(f.what.find("[ServiceUnavailable]"), std::string::npos) << f.what;
  EXPECT_EQ(calls, 2);

  AssumeRoleRequest req;
  req.role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role";
  Failure a = failure_of([&] { sts_at(server.url(), 2).assume_role(req, "me"); });
  EXPECT_EQ(a.exit_code, 3) << a.what;
  EXPECT_NE(a.what.find("[AccessDenied]"), std::string::npos) << a.what;
  EXPECT_EQ(calls, 3);  // a refusal is not retried
}

TEST(AwsNetworkFailure, ContainerEndpointNotAnswering) {
  std::string url = closed_port_url() + "/creds";
  Environment env{{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url}}};
  Failure f = failure_of([&] { container_credentials(env, default_http_fetch())->get(); });
  EXPECT_EQ(f.exit_code, 1) << f.what;
  EXPECT_NE(f.what.find("could not connect to " + url), std::string::npos) << f.what;
}

}  // namespace
}  // namespace cu::aws
