// Uploads through a misbehaving network: a loopback proxy in front of moto answers 503
// SlowDown, 500 InternalError, or drops the connection (before or after forwarding) on a
// share of the requests. The multipart writer must still produce a byte-identical object;
// when everything fails, the error must say what failed and no upload may be left behind.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "aws/s3.h"
#include "aws/s3_multipart_writer.h"
#include "aws_moto_fixture.h"

namespace cu::aws {
namespace {

using namespace cu::aws::testing;

enum class Fault { kNone, kSlowDown, kInternalError, kDropBefore, kDropAfter, kWrongRegion };

struct RequestHead {
  std::string method;
  std::string target;    // path and query
  std::string raw_head;  // request line and headers
  bool is(std::string_view m, std::string_view query_part) const {
    return method == m && target.find(query_part) != std::string::npos;
  }
  bool create() const { return method == "POST" && target.find("?uploads") != std::string::npos; }
};

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// A one-request-per-connection HTTP proxy to moto that injects faults.
class FaultProxy {
 public:
  using Policy = std::function<Fault(const RequestHead&)>;

  FaultProxy(int upstream_port, Policy policy)
      : upstream_port_(upstream_port), policy_(std::move(policy)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0)
      throw std::runtime_error("proxy: cannot listen");
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FaultProxy() {
    stop_ = true;
    acceptor_.join();
    ::close(listen_fd_);
    std::lock_guard lock(mu_);
    for (auto& t : handlers_) t.join();
  }
  std::string endpoint() const { return fmt::format("http://127.0.0.1:{}", port_); }
  int faults() const { return faults_; }
  int forwarded() const { return forwarded_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      std::lock_guard lock(mu_);
      handlers_.emplace_back([this, fd] { handle(fd); });
    }
  }

  // Reads one request: head, then Content-Length bytes of body.
  static bool read_request(int fd, std::string& raw, RequestHead& head) {
    char buf[65536];
    std::size_t head_end = std::string::npos;
    while ((head_end = raw.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      raw.append(buf, static_cast<std::size_t>(n));
    }
    std::string lower = raw.substr(0, head_end);
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    std::size_t length = 0;
    if (auto p = lower.find("\r\ncontent-length:"); p != std::string::npos)
      length = std::stoull(lower.substr(p + 17));
    auto sp1 = raw.find(' '), sp2 = raw.find(' ', sp1 + 1);
    head.method = raw.substr(0, sp1);
    head.target = raw.substr(sp1 + 1, sp2 - sp1 - 1);
    head.raw_head = raw.substr(0, head_end);
    while (raw.size() < head_end + 4 + length) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      raw.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  std::string forward(const std::string& raw) {
    int up = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    std::string response;
    if (::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && send_all(up, raw)) {
      char buf[65536];
      ssize_t n;
      while ((n = ::recv(up, buf, sizeof buf, 0)) > 0)
        response.append(buf, static_cast<std::size_t>(n));
    }
    ::close(up);
    ++forwarded_;
    return response;
  }

  void handle(int fd) {
    std::string raw;
    RequestHead head;
    if (read_request(fd, raw, head)) {
      Fault f = policy_(head);
      if (f != Fault::kNone) ++faults_;
      switch (f) {
        case Fault::kNone:
          send_all(fd, forward(raw));
          break;
        case Fault::kSlowDown:
          send_all(fd, error_response(503, "SlowDown", "Please reduce your request rate."));
          break;
        case Fault::kInternalError:
          send_all(fd, error_response(500, "InternalError",
                                      "We encountered an internal error. Please try again."));
          break;
        case Fault::kDropBefore:
          break;
        case Fault::kDropAfter:
          forward(raw);
          break;  // the server acted; the answer is lost
        case Fault::kWrongRegion:
          // What S3 answers a request signed for another region than the bucket's.
          send_all(fd,
                   "HTTP/1.1 301 Moved Permanently\r\nx-amz-bucket-region: eu-west-1\r\n"
                   "Content-Type: application/xml\r\nContent-Length: 0\r\n"
                   "Connection: close\r\n\r\n");
          break;
      }
    }
    ::close(fd);
  }

  static std::string error_response(int status, std::string_view code, std::string_view msg) {
    std::string body = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>"
        "<RequestId>FAULT{}</RequestId></Error>",
        code, msg, status);
    return fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: application/xml\r\nx-amz-request-id: FAULT{}\r\n"
        "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        status, status == 503 ? "Service Unavailable" : "Internal Server Error", status,
        body.size(), body);
  }

  int upstream_port_;
  Policy policy_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> faults_{0}, forwarded_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> handlers_;
};

int port_of(const std::string& endpoint) {
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

RetryPolicy fast_retries() {
  RetryPolicy p;
  p.max_attempts = 8;
  p.base_delay = std::chrono::milliseconds(10);
  p.throttle_base_delay = std::chrono::milliseconds(20);
  p.max_delay = std::chrono::milliseconds(200);
  p.max_total = std::chrono::milliseconds(30'000);
  return p;
}

class AwsFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = moto_endpoint();
    ASSERT_FALSE(endpoint_.empty());
    world_ = setup_world(endpoint_, random_suffix());
    ASSERT_TRUE(world_.is_object());
    bucket_ = world_["bucket"];
  }
  S3Client direct() {
    return S3Client({.region = "us-east-1", .endpoint_url = endpoint_},
                    static_credentials(dev_user_credentials(world_)));
  }
  S3Client through(const FaultProxy& proxy) {
    return S3Client(
        {.region = "us-east-1", .endpoint_url = proxy.endpoint(), .retry = fast_retries()},
        static_credentials(dev_user_credentials(world_)));
  }
  std::string endpoint_;
  nlohmann::json world_;
  std::string bucket_;
};

TEST_F(AwsFaultTest, UploadSurvivesAThirdOfRequestsFailing) {
  std::mutex mu;
  std::mt19937 rng(20261129);
  FaultProxy proxy(port_of(endpoint_), [&](const RequestHead&) {
    std::lock_guard lock(mu);
    if (std::uniform_real_distribution<>(0, 1)(rng) >= 0.33) return Fault::kNone;
    // Every request, CreateMultipartUpload included (a retry after its lost answer aborts
    // the upload the lost attempt started), may get any fault.
    switch (rng() % 4) {
      case 0:
        return Fault::kSlowDown;
      case 1:
        return Fault::kInternalError;
      case 2:
        return Fault::kDropBefore;
      default:
        return Fault::kDropAfter;
    }
  });
  S3Client s3 = through(proxy);
  const std::string data = pseudo_random_bytes(30u << 20, 99);
  S3MultipartWriter out(s3, bucket_, "faulty/thirty.bin",
                        {.part_size = 5u << 20, .parts_in_flight = 3});
  for (std::size_t off = 0; off < data.size(); off += 1 << 20)
    out.write(std::string_view(data).substr(off, 1 << 20));
  UploadResult r = out.finish();
  EXPECT_EQ(r.parts, 6);
  EXPECT_GT(proxy.faults(), 0);

  S3Client moto = direct();
  Sha256 got;
  moto.get_object(bucket_, "faulty/thirty.bin", [&](std::string_view c) { got.update(c); });
  EXPECT_EQ(got.hex(), sha256_of(data));
  EXPECT_TRUE(moto.list_multipart_uploads(bucket_, "faulty/").empty());

  // Reads and small puts go through the same faults.
  for (int i = 0; i < 10; ++i) {
    std::string key = fmt::format("faulty/small-{}.txt", i);
    s3.put_object(bucket_, key, "row " + std::to_string(i));
    EXPECT_EQ(s3.get_object(bucket_, key), "row " + std::to_string(i));
  }
}

// Moto applies the first CreateMultipartUpload and the first CompleteMultipartUpload, and
// their answers are lost. Before, the create was not retried (the upload failed) and a
// retried complete met NoSuchUpload. Now: one object, byte-identical, and no upload left
// open — the lost create's upload was found and aborted.
TEST_F(AwsFaultTest, LostAnswersOfCreateAndCompleteAreRecognised) {
  std::atomic<int> creates{0}, completes{0};
  FaultProxy proxy(port_of(endpoint_), [&](const RequestHead& h) {
    if (h.create() && creates++ == 0) return Fault::kDropAfter;
    if (h.is("POST", "uploadId=") && completes++ == 0) return Fault::kDropAfter;
    return Fault::kNone;
  });
  S3Client s3 = through(proxy);
  const std::string data = pseudo_random_bytes(12u << 20, 7);
  S3MultipartWriter out(s3, bucket_, "lost/twelve.bin", {.part_size = 5u << 20});
  out.write(data);
  UploadResult r = out.finish();
  EXPECT_EQ(r.parts, 3);
  EXPECT_EQ(creates, 2);
  EXPECT_EQ(completes, 2);
  S3Client moto = direct();
  EXPECT_EQ(moto.get_object(bucket_, "lost/twelve.bin"), data);
  EXPECT_EQ(moto.head_object(bucket_, "lost/twelve.bin")->etag, r.etag);
  EXPECT_TRUE(moto.list_multipart_uploads(bucket_, "lost/").empty());
}

// A conditional put (If-None-Match: *) whose answer was lost meets 412 on its retry: the
// object there is its own (same MD5), so the put succeeded. A key another writer took
// first is still refused.
TEST_F(AwsFaultTest, LostAnswerOfAConditionalPutIsRecognised) {
  std::atomic<int> puts{0};
  FaultProxy proxy(port_of(endpoint_), [&](const RequestHead& h) {
    if (h.method == "PUT" && puts++ == 0) return Fault::kDropAfter;
    return Fault::kNone;
  });
  S3Client s3 = through(proxy);
  PutOptions once{.if_none_match = true};
  std::string etag = s3.put_object(bucket_, "cond/a.txt", "mine", once);
  EXPECT_EQ(puts, 2);
  EXPECT_EQ(etag, direct().head_object(bucket_, "cond/a.txt")->etag);
  try {
    s3.put_object(bucket_, "cond/a.txt", "another", once);
    FAIL() << "a conditional put over an existing key succeeded";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.status(), 412) << e.what();
  }
  EXPECT_EQ(direct().get_object(bucket_, "cond/a.txt"), "mine");
}

TEST_F(AwsFaultTest, FollowsTheBucketToItsRegion) {
  // The proxy plays a bucket in eu-west-1: requests signed for any other region get S3's
  // 301 with x-amz-bucket-region; the client must re-sign for eu-west-1 and remember it.
  std::atomic<int> redirects{0};
  FaultProxy proxy(port_of(endpoint_), [&](const RequestHead& h) {
    if (h.raw_head.find("/eu-west-1/s3/aws4_request") != std::string::npos) return Fault::kNone;
    ++redirects;
    return Fault::kWrongRegion;
  });
  S3Client s3 = through(proxy);
  EXPECT_EQ(s3.bucket_region(bucket_), "us-east-1");
  s3.put_object(bucket_, "region/a.txt", "moved");
  EXPECT_EQ(s3.bucket_region(bucket_), "eu-west-1");
  EXPECT_EQ(s3.get_object(bucket_, "region/a.txt"), "moved");
  auto head = s3.head_object(bucket_, "region/a.txt");  // HEAD: no body, the header says it
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, 5u);
  EXPECT_EQ(redirects, 1);  // remembered after the first answer
  EXPECT_EQ(direct().get_object(bucket_, "region/a.txt"), "moved");
}

TEST_F(AwsFaultTest, EverythingFailingGivesAClearErrorAndLeavesNothing) {
  FaultProxy proxy(port_of(endpoint_), [](const RequestHead&) { return Fault::kSlowDown; });
  S3Client s3 = through(proxy);
  try {
    S3MultipartWriter out(s3, bucket_, "dead/x.bin", {.part_size = 5u << 20});
    out.write(pseudo_random_bytes(6u << 20, 1));
    out.finish();
    FAIL() << "the upload succeeded through a proxy that fails everything";
  } catch (const AwsError& e) {
    std::string what = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kDestination);
    EXPECT_EQ(e.aws_code(), "SlowDown");
    EXPECT_EQ(e.request_id(), "FAULT503");
    EXPECT_NE(what.find("upload s3://" + bucket_ + "/dead/x.bin"), std::string::npos) << what;
    EXPECT_NE(what.find("gave up after 8 attempts"), std::string::npos) << what;
  }
  EXPECT_EQ(proxy.faults(), 8);  // bounded: exactly the attempts the policy allows
  EXPECT_TRUE(direct().list_multipart_uploads(bucket_, "dead/").empty());
  EXPECT_FALSE(direct().head_object(bucket_, "dead/x.bin"));
}

TEST_F(AwsFaultTest, PartsThatNeverGetThroughAreAborted) {
  FaultProxy proxy(port_of(endpoint_), [](const RequestHead& h) {
    return h.is("PUT", "partNumber=") ? Fault::kInternalError : Fault::kNone;
  });
  S3Client s3 = through(proxy);
  try {
    S3MultipartWriter out(s3, bucket_, "halfway/x.bin", {.part_size = 5u << 20});
    out.write(pseudo_random_bytes(16u << 20, 2));
    out.finish();
    FAIL() << "the upload succeeded though every part failed";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.aws_code(), "InternalError");
    EXPECT_NE(std::string(e.what()).find("(s3:UploadPart, HTTP 500)"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(direct().list_multipart_uploads(bucket_, "halfway/").empty());
  EXPECT_FALSE(direct().head_object(bucket_, "halfway/x.bin"));
}

}  // namespace
}  // namespace cu::aws
