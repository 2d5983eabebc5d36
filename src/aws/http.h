#pragma once
// The HTTP transport under every AWS call: libcurl, one easy handle per thread (so
// connections, TLS sessions and DNS answers are reused across requests on that thread,
// including by the upload workers), timeouts, request bodies streamed from memory or from a
// reader, response bodies collected or streamed to a sink. It knows nothing of AWS:
// signing, retries and error parsing live in http_service.h.
//
//   HttpClient http;
//   HttpResponse r = http.send(HttpRequest{"GET", "http://127.0.0.1:5000/", {}, ""});
//   if (r.status == 200) use(r.body);
//
// A transport failure (refused, reset, timed out, untrusted certificate) throws
// TransportError; any HTTP status, including 4xx/5xx, is returned. TLS trusts the CA bundle the AWS
// CLI would: the file AWS_CA_BUNDLE names, else the selected profile's `ca_bundle`, else the
// system's store.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "aws/error.h"
#include "aws/sigv4.h"

namespace cu::aws {

struct HttpResponse {
  long status = 0;
  HeaderList headers{};
  std::string body{};            // the whole body, unless a sink took a 2xx body
  std::uint64_t sink_bytes = 0;  // bytes handed to the sink
  // With HttpOptions::detect_resend: libcurl sent the request more than once (it resends
  // by itself when a reused connection dies before any answer), so an earlier copy may
  // have been carried out.
  bool resent = false;

  std::string header(std::string_view name) const { return find_header(headers, name); }
};

// Fills `dst` with up to `max` bytes of the request body and returns how many; 0 = end.
using BodyReader = std::function<std::size_t(char* dst, std::size_t max)>;
// Receives a 2xx response body chunk by chunk. May throw; the transfer is then aborted and
// the exception rethrown from send().
using BodySink = std::function<void(std::string_view chunk)>;

// A request body other than HttpRequest::body: a view of caller-owned memory (no copy; the
// upload path's parts) or a reader of known size.
struct HttpBody {
  std::string_view data{};
  BodyReader reader{};  // used when set
  std::uint64_t reader_size = 0;
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{0};  // whole request; 0 = no limit (big bodies)
  // A stalled transfer (below low_speed_bytes per second for low_speed_time) is aborted,
  // which bounds big transfers without a total timeout.
  long low_speed_bytes = 1024;
  std::chrono::seconds low_speed_time{30};
  bool verify_tls = true;
  // Tell whether libcurl resent the request by itself (HttpResponse::resent): for
  // requests that must recognise their own earlier effect. Costs a debug callback.
  bool detect_resend = false;
};

// How the retry loop must treat a libcurl failure. Refused connections and unresolved names
// never reached the server; resets and timeouts may have; a certificate the CA bundle does
// not trust (or a bundle libcurl cannot load) fails the same way on every attempt, so
// retrying only delays the error and buries its cause under "try again later".
enum class TransportFailure { kNoConnection, kMayHaveReachedServer, kTlsTrust };
TransportFailure classify_transport_failure(int curl_code);

// The connection failed or broke before a complete response arrived.
class TransportError : public std::runtime_error {
 public:
  // `what`: "POST host:port: <detail>"; `detail`: libcurl's words alone (defaults to `what`).
  TransportError(int curl_code, const std::string& what, std::string hint = {},
                 std::string detail = {})
      : std::runtime_error(what),
        curl_code_(curl_code),
        failure_(classify_transport_failure(curl_code)),
        hint_(std::move(hint)),
        detail_(std::move(detail)) {
    if (detail_.empty()) {
      detail_ = what;
    }
  }
  int curl_code() const { return curl_code_; }
  // What went wrong, without the request line: "Connection refused".
  const std::string& detail() const { return detail_; }
  // False when no connection was made (refused, DNS): the server cannot have acted.
  bool may_have_reached_server() const { return failure_ != TransportFailure::kNoConnection; }
  // True when another attempt cannot succeed (TLS trust): the caller must not retry.
  bool permanent() const { return failure_ == TransportFailure::kTlsTrust; }
  // What the user should change, for permanent failures: the CA bundle in use and how to
  // pick another. Empty otherwise.
  const std::string& hint() const { return hint_; }

 private:
  int curl_code_;
  TransportFailure failure_;
  std::string hint_;
  std::string detail_;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  // Sends `req` with its headers as given (the caller adds Host, Content-Type, signing).
  // The body is `body` when given, else `req.body`. A 2xx response body goes to `sink` when
  // given, any other to HttpResponse::body.
  HttpResponse send(const HttpRequest& req, const HttpBody* body = nullptr,
                    const BodySink* sink = nullptr) const;
  // Same, with options for this request only (a CompleteMultipartUpload that S3 may take
  // minutes to answer must not trip the stall detector).
  HttpResponse send(const HttpRequest& req, const HttpBody* body, const BodySink* sink,
                    const HttpOptions& options) const;
  const HttpOptions& options() const { return options_; }

 private:
  HttpOptions options_{};
};

// "host[:port]" of an absolute URL, the port omitted when it is the scheme's default —
// what the Host header and the signer must agree on.
std::string host_header_of(std::string_view url);

}  // namespace cu::aws
