#include "gateway/data_api_http.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

namespace cu::gateway {
namespace {

constexpr std::size_t kMaxHeaderBytes = std::size_t{16} * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string HttpServerRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) {
      return v;
    }
  }
  return {};
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

HttpConnection::HttpConnection(Fd fd, std::size_t max_body)
    : fd_(std::move(fd)), max_body_(max_body) {
  // A client that goes silent does not hold its thread for ever.
  timeval tv{};
  tv.tv_sec = 120;
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

bool HttpConnection::fill() {
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return false;
  }
}

std::optional<HttpServerRequest> HttpConnection::read_request() {
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (buffer_.size() > kMaxHeaderBytes) {
      throw HttpRequestError(431, "request headers larger than 16 KiB");
    }
    if (!fill()) {
      if (buffer_.empty()) {
        return std::nullopt;
      }
      throw HttpRequestError(400, "connection closed in the middle of a request");
    }
  }
  if (end > kMaxHeaderBytes) {
    throw HttpRequestError(431, "request headers larger than 16 KiB");
  }
  std::string_view head(buffer_.data(), end);
  HttpServerRequest req;
  std::size_t line_end = head.find("\r\n");
  std::string_view request_line = head.substr(0, line_end);
  std::size_t sp1 = request_line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
    throw HttpRequestError(400, "malformed request line");
  }
  req.method = std::string(request_line.substr(0, sp1));
  req.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view version = request_line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    throw HttpRequestError(400, "not an HTTP/1.x request");
  }
  req.keep_alive = version == "HTTP/1.1";
  std::string_view rest =
      line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
  while (!rest.empty()) {
    std::size_t e = rest.find("\r\n");
    std::string_view line = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e + 2);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      throw HttpRequestError(400, "malformed header line");
    }
    req.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(trim(line.substr(colon + 1))));
  }
  std::string connection = req.header("Connection");
  if (iequals(connection, "close")) {
    req.keep_alive = false;
  }
  if (iequals(connection, "keep-alive")) {
    req.keep_alive = true;
  }
  if (!req.header("Transfer-Encoding").empty()) {
    throw HttpRequestError(501, "chunked request bodies are not supported; send Content-Length");
  }
  std::size_t length = 0;
  std::string cl = req.header("Content-Length");
  if (!cl.empty()) {
    if (cl.size() > 12 || cl.find_first_not_of("0123456789") != std::string::npos) {
      throw HttpRequestError(400, "invalid Content-Length");
    }
    length = std::stoull(cl);
  } else if (req.method == "POST" || req.method == "PUT") {
    throw HttpRequestError(411, "a request body needs Content-Length");
  }
  if (length > max_body_) {
    throw HttpRequestError(413, fmt::format("the request body is {} bytes, more than the {} "
                                            "bytes this endpoint accepts",
                                            length, max_body_));
  }
  buffer_.erase(0, end + 4);
  while (buffer_.size() < length) {
    if (!fill()) {
      throw HttpRequestError(400, "connection closed in the middle of a request body");
    }
  }
  req.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return req;
}

void HttpConnection::drain_and_close(std::size_t max_bytes) {
  ::shutdown(fd_.get(), SHUT_WR);
  timeval tv{};
  tv.tv_sec = 2;
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[64 * 1024];
  std::size_t total = 0;
  while (total < max_bytes) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    total += static_cast<std::size_t>(n);
  }
  fd_.reset();
}

bool HttpConnection::write_response(const HttpServerResponse& r, bool keep_alive) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", r.status, reason_phrase(r.status));
  if (!r.content_type.empty()) {
    out += fmt::format("Content-Type: {}\r\n", r.content_type);
  }
  out += fmt::format("Content-Length: {}\r\n", r.body.size());
  for (const auto& [n, v] : r.headers) {
    out += fmt::format("{}: {}\r\n", n, v);
  }
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  out += r.body;
  return write_all(fd_.get(), out);
}

}  // namespace cu::gateway
