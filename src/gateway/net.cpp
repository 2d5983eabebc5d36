#include "gateway/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/error.h"
#include "pg/conninfo.h"

namespace cu::gateway {

std::string Upstream::display() const {
  if (host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", host, port);
  }
  return fmt::format("{}:{}", host, port);
}

std::string_view to_string(Upstream::SslMode mode) {
  switch (mode) {
    case Upstream::SslMode::kDisable:
      return "disable";
    case Upstream::SslMode::kPrefer:
      return "prefer";
    case Upstream::SslMode::kRequire:
      return "require";
    case Upstream::SslMode::kVerifyCa:
      return "verify-ca";
    case Upstream::SslMode::kVerifyFull:
      return "verify-full";
  }
  return "?";
}

namespace {

// The conninfo's TLS settings: sslmode and sslrootcert as libpq reads them. Client
// certificates and CRLs are not supported: refusing them beats connecting without them.
void read_tls_settings(const pg::ConninfoOptions& o, Upstream& up) {
  for (const char* key : {"sslcert", "sslkey", "sslpassword", "sslcrl", "sslcrldir"}) {
    if (o.contains(key)) {
      throw Error(ErrorKind::kUsage, "parse upstream", "--upstream",
                  fmt::format("{} is not supported for the upstream connection", key))
          .with_hint("the gateway speaks TLS to the upstream with sslmode and sslrootcert only");
    }
  }
  if (auto it = o.find("sslmode"); it != o.end()) {
    bool known = false;
    for (auto m :
         {Upstream::SslMode::kDisable, Upstream::SslMode::kPrefer, Upstream::SslMode::kRequire,
          Upstream::SslMode::kVerifyCa, Upstream::SslMode::kVerifyFull}) {
      if (it->second == to_string(m)) {
        up.sslmode = m;
        known = true;
      }
    }
    if (!known) {
      throw Error(ErrorKind::kUsage, "parse upstream", "--upstream",
                  fmt::format("sslmode '{}' is not supported", it->second))
          .with_hint("one of: disable | prefer | require | verify-ca | verify-full");
    }
  }
  if (auto it = o.find("sslrootcert"); it != o.end()) {
    up.sslrootcert = it->second;
  }
}

// A Unix-socket upstream applies its `trust`/`peer` rules (made for local OS users) to every
// client of the gateway, whoever and wherever they are: a wrong or no password would log in.
void refuse_unix_socket(std::string_view host) {
  if (host.empty() || (host[0] != '/' && host[0] != '@')) {
    return;
  }
  throw Error(ErrorKind::kUsage, "parse upstream", std::string(host),
              "a Unix-socket upstream is refused: its pg_hba.conf rules for local connections "
              "(often trust or peer) would apply to every client of the gateway")
      .with_hint(
          "give the upstream's TCP address (e.g. --upstream 'host=127.0.0.1 port=5432'), "
          "where it asks each client for a password");
}

}  // namespace

Upstream parse_upstream(std::string_view text) {
  Upstream up;
  std::string s(text);
  bool conninfo = s.find('=') != std::string::npos || s.rfind("postgres://", 0) == 0 ||
                  s.rfind("postgresql://", 0) == 0;
  if (conninfo) {
    pg::ConninfoOptions o = pg::parse_conninfo(s, "parse upstream", "--upstream");
    std::string host = o["host"], hostaddr = o["hostaddr"], port = o["port"];
    if (host.find(',') != std::string::npos || port.find(',') != std::string::npos) {
      throw Error(ErrorKind::kUsage, "parse upstream", "--upstream",
                  "several hosts are not supported")
          .with_hint("name one upstream server");
    }
    up.host = !hostaddr.empty() ? hostaddr : host;
    if (up.host.empty()) {
      throw Error(ErrorKind::kUsage, "parse upstream", "--upstream",
                  "the conninfo names no host (libpq would use a Unix socket, which the "
                  "gateway refuses)")
          .with_hint("give the upstream's TCP address, e.g. --upstream 'host=127.0.0.1 port=5432'");
    }
    if (!port.empty()) {
      up.port = port;
    }
    refuse_unix_socket(up.host);
    read_tls_settings(o, up);
    return up;
  }
  refuse_unix_socket(s);
  size_t colon = s.rfind(':');
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos) {
      throw Error(ErrorKind::kUsage, "parse upstream", s, "unterminated [IPv6 address]");
    }
    up.host = s.substr(1, close - 1);
    if (close + 1 < s.size() && s[close + 1] == ':') {
      up.port = s.substr(close + 2);
    }
  } else if (colon != std::string::npos) {
    up.host = s.substr(0, colon);
    up.port = s.substr(colon + 1);
  } else {
    up.host = s;
  }
  if (up.host.empty() || up.port.empty() ||
      up.port.find_first_not_of("0123456789") != std::string::npos) {
    throw Error(ErrorKind::kUsage, "parse upstream", s, "expected host:port or a conninfo")
        .with_hint("e.g. --upstream 127.0.0.1:5432 or --upstream 'host=db port=5432'");
  }
  return up;
}

Fd connect_to(const Upstream& up) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(up.host.c_str(), up.port.c_str(), &hints, &res);
  if (rc != 0) {
    throw Error(ErrorKind::kSource, "connect upstream", up.display(), ::gai_strerror(rc));
  }
  std::string last = "no address";
  Fd fd;
  for (auto* a = res; a; a = a->ai_next) {
    Fd s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!s) {
      continue;
    }
    if (::connect(s.get(), a->ai_addr, a->ai_addrlen) == 0) {
      fd = std::move(s);
      break;
    }
    last = std::strerror(errno);
  }
  ::freeaddrinfo(res);
  if (!fd) {
    throw Error(ErrorKind::kSource, "connect upstream", up.display(), last)
        .with_hint("is the upstream PostgreSQL running and listening on that address?");
  }
  int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

Fd listen_on(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string where = fmt::format("{}:{}", host, port);
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    throw Error(ErrorKind::kUsage, "listen", where, ::gai_strerror(rc));
  }
  std::string last = "no address";
  Fd fd;
  for (auto* a = res; a; a = a->ai_next) {
    Fd s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!s) {
      continue;
    }
    int one = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(s.get(), a->ai_addr, a->ai_addrlen) == 0 && ::listen(s.get(), 128) == 0) {
      fd = std::move(s);
      break;
    }
    last = std::strerror(errno);
  }
  ::freeaddrinfo(res);
  if (!fd) {
    throw Error(ErrorKind::kUsage, "listen", where, last);
  }
  return fd;
}

bool listens_on_loopback_only(const Fd& listener) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return false;
  }
  if (ss.ss_family == AF_INET) {
    auto addr = ntohl(reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr);
    return (addr >> 24) == 127;
  }
  if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) {
      return true;
    }
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
  }
  return false;
}

uint16_t bound_port(const Fd& listener) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return 0;
  }
  if (ss.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  if (ss.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  }
  return 0;
}

std::string peer_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return "?";
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    return fmt::format("{}:{}", buf, ntohs(a->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    return fmt::format("[{}]:{}", buf, ntohs(a->sin6_port));
  }
  return "local";
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

namespace {
std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) {
    return "unknown TLS error";
  }
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}
}  // namespace

TlsContext::TlsContext(const std::string& cert_file, const std::string& key_file) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  if (!ctx_) {
    throw Error(ErrorKind::kOther, "TLS setup", "", openssl_error());
  }
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx_, cert_file.c_str()) != 1) {
    std::string why = openssl_error();
    SSL_CTX_free(ctx_);
    throw Error(ErrorKind::kUsage, "TLS setup", cert_file, why)
        .with_hint("--tls-cert must name a PEM certificate file");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx_, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx_) != 1) {
    std::string why = openssl_error();
    SSL_CTX_free(ctx_);
    throw Error(ErrorKind::kUsage, "TLS setup", key_file, why)
        .with_hint("--tls-key must name the PEM private key of --tls-cert");
  }
}

TlsContext::TlsContext(const Upstream& upstream) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) {
    throw Error(ErrorKind::kOther, "TLS setup", "", openssl_error());
  }
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  bool verify = upstream.sslmode == Upstream::SslMode::kVerifyCa ||
                upstream.sslmode == Upstream::SslMode::kVerifyFull;
  if (!verify) {
    return;  // prefer, require: encrypted, the server not authenticated (as libpq)
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  int loaded = upstream.sslrootcert.empty()
                   ? SSL_CTX_set_default_verify_paths(ctx_)
                   : SSL_CTX_load_verify_locations(ctx_, upstream.sslrootcert.c_str(), nullptr);
  if (loaded != 1) {
    std::string why = openssl_error();
    SSL_CTX_free(ctx_);
    throw Error(
        ErrorKind::kUsage, "TLS setup",
        upstream.sslrootcert.empty() ? "the system's CA certificates" : upstream.sslrootcert, why)
        .with_hint("sslrootcert in --upstream must name a PEM file of CA certificates");
  }
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Stream::~Stream() {
  if (ssl_) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
}

void Stream::handshake(bool server, std::chrono::steady_clock::time_point deadline,
                       const std::function<Error(std::string)>& failure) {
  // Non-blocking while the handshake runs, so that a peer sending its records slowly
  // cannot stretch it past the deadline.
  int flags = ::fcntl(fd_.get(), F_GETFL);
  ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
  std::string why;
  for (;;) {
    int rc = server ? SSL_accept(ssl_) : SSL_connect(ssl_);
    if (rc == 1) {
      break;
    }
    int err = SSL_get_error(ssl_, rc);
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if ((err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) || left.count() <= 0) {
      if (left.count() <= 0) {
        why = "the TLS handshake was not over in time";
      } else if (long v = SSL_get_verify_result(ssl_); !server && v != X509_V_OK) {
        why = fmt::format("certificate verify failed: {}", X509_verify_cert_error_string(v));
        ERR_clear_error();
      } else {
        why = openssl_error();
      }
      break;
    }
    pollfd p{fd_.get(), static_cast<short>(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
  ::fcntl(fd_.get(), F_SETFL, flags);
  if (!why.empty()) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    throw failure(why);
  }
}

void Stream::start_tls_server(const TlsContext& ctx,
                              std::chrono::steady_clock::time_point deadline) {
  ssl_ = SSL_new(ctx.get());
  if (!ssl_ || SSL_set_fd(ssl_, fd_.get()) != 1) {
    throw Error(ErrorKind::kAccess, "TLS handshake", peer_address(fd_.get()), openssl_error());
  }
  handshake(true, deadline, [&](std::string why) {
    return Error(ErrorKind::kAccess, "TLS handshake", peer_address(fd_.get()), std::move(why));
  });
}

void Stream::start_tls_client(const TlsContext& ctx, const Upstream& upstream,
                              std::chrono::steady_clock::time_point deadline) {
  auto failure = [&](std::string why) {
    return Error(ErrorKind::kSource, "TLS handshake with the upstream", upstream.display(),
                 std::move(why))
        .with_hint(fmt::format("--upstream asks for sslmode={}{}", to_string(upstream.sslmode),
                               upstream.sslmode == Upstream::SslMode::kVerifyFull
                                   ? ": the certificate must chain to sslrootcert and name the host"
                                   : ""));
  };
  ssl_ = SSL_new(ctx.get());
  if (!ssl_ || SSL_set_fd(ssl_, fd_.get()) != 1) {
    throw failure(openssl_error());
  }
  in6_addr ip{};
  bool literal = ::inet_pton(AF_INET, upstream.host.c_str(), &ip) == 1 ||
                 ::inet_pton(AF_INET6, upstream.host.c_str(), &ip) == 1;
  if (!literal) {
    SSL_set_tlsext_host_name(ssl_, upstream.host.c_str());  // SNI: names only (RFC 6066)
  }
  if (upstream.sslmode == Upstream::SslMode::kVerifyFull) {
    // A name is matched against the certificate's DNS names, an address against its IP
    // addresses, as libpq does.
    SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), upstream.host.c_str())
                     : SSL_set1_host(ssl_, upstream.host.c_str());
    if (ok != 1) {
      throw failure(openssl_error());
    }
  }
  handshake(false, deadline, failure);
}

bool Stream::has_pending() const { return ssl_ && SSL_pending(ssl_) > 0; }

size_t Stream::read(char* buf, size_t cap) {
  if (ssl_) {
    int n = SSL_read(ssl_, buf, static_cast<int>(cap));
    if (n <= 0) {
      ERR_clear_error();
      return 0;
    }
    return static_cast<size_t>(n);
  }
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf, cap, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n <= 0 ? 0 : static_cast<size_t>(n);
  }
}

bool Stream::write(std::string_view bytes) {
  if (!ssl_) {
    return write_all(fd_.get(), bytes);
  }
  while (!bytes.empty()) {
    int n =
        SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), 1 << 30)));
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace cu::gateway
