#pragma once
// The small HTTP/1.1 server side the gateway's Data API needs: one request at a time read
// from a connected socket (request line, headers, a Content-Length body; keep-alive), and
// one response written back. Limits keep a hostile or broken client from holding memory:
// 16 KiB of headers, `max_body` bytes of body; no chunked request bodies (the AWS SDKs
// send Content-Length).
//
//   HttpConnection c(std::move(fd), 2 << 20);
//   while (auto req = c.read_request()) {   // nothing at a clean end of the connection
//     c.write_response({200, "application/x-amz-json-1.1", body, {}}, req->keep_alive);
//   }
//   // a malformed or oversized request throws HttpRequestError: answer it, then close.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gateway/net.h"

namespace cu::gateway {

struct HttpServerRequest {
  std::string method;
  std::string target;                                        // path[?query] as received
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;
  bool keep_alive = true;

  // The first header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

struct HttpServerResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides the standard ones
};

// A request that cannot be read: answer `status` (400, 411, 413, 431, 501) and close.
class HttpRequestError : public std::runtime_error {
 public:
  HttpRequestError(int status, const std::string& what)
      : std::runtime_error(what), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

class HttpConnection {
 public:
  HttpConnection(Fd fd, std::size_t max_body);
  // Nothing when the client closed the connection (or went silent past the idle timeout)
  // between requests; throws HttpRequestError for a bad request.
  std::optional<HttpServerRequest> read_request();
  // False when the client is gone.
  bool write_response(const HttpServerResponse& response, bool keep_alive);
  // After answering a request that was not read to its end (413): stops writing, reads and
  // drops what the client still sends (at most `max_bytes`, for a few seconds), so that the
  // client can finish sending and read the answer instead of meeting a reset.
  void drain_and_close(std::size_t max_bytes);
  int fd() const { return fd_.get(); }

 private:
  bool fill();  // reads more into buffer_; false at end of stream

  Fd fd_;
  std::size_t max_body_;
  std::string buffer_;
};

// "OK", "Bad Request", … for the statuses the Data API uses.
const char* reason_phrase(int status);

}  // namespace cu::gateway
