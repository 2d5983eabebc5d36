#pragma once
// Sockets for the gateway: the upstream address read from a
// libpq conninfo or `host:port`, TCP/Unix connect and listen, and the client side of a
// session as a byte stream that may have been switched to TLS (OpenSSL) after SSLRequest.
// Blocking I/O: the gateway runs one thread per session.
//
//   auto up = cu::gateway::parse_upstream("host=127.0.0.1 port=5432");
//   cu::gateway::Fd fd = cu::gateway::connect_to(up);
//   cu::gateway::ClientStream client(std::move(accepted_fd));
//   client.start_tls(tls);  // after answering 'S' to an SSLRequest

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/unique_fd.h"

namespace cu::gateway {

using Fd = cu::UniqueFd;  // the owned file descriptor (base/unique_fd.h)

// Where the upstream PostgreSQL listens, over TCP. User, database and password in a
// conninfo are ignored: every client authenticates as itself against the upstream.
struct Upstream {
  std::string host;  // name or address
  std::string port = "5432";
  std::string display() const;  // "host:port"
};

// Accepts `host:port`, `[v6addr]:port`, a libpq key=value conninfo or a postgres:// URI.
// Throws cu::Error(kUsage, "parse upstream", …) when it names no usable address, and for a
// Unix-domain socket (a path, or a conninfo without host): the upstream's rules for local
// connections (trust, peer) must not apply to the gateway's network clients.
Upstream parse_upstream(std::string_view text);

// Connects (TCP_NODELAY for TCP). Throws cu::Error(kSource, "connect upstream", …).
Fd connect_to(const Upstream& upstream);

// A listening TCP socket on host:port (port 0 picks a free one; see bound_port()).
// Throws cu::Error(kUsage, "listen", …).
Fd listen_on(const std::string& host, const std::string& port);
uint16_t bound_port(const Fd& listener);
// True when the socket is bound to a loopback address (127.0.0.0/8, ::1).
bool listens_on_loopback_only(const Fd& listener);

// "addr:port" of a connected socket's peer.
std::string peer_address(int fd);

// Writes all of `bytes` to a socket; false if the peer is gone.
bool write_all(int fd, std::string_view bytes);

// A server-side TLS context from PEM certificate (chain) and private key files.
class TlsContext {
 public:
  TlsContext(const std::string& cert_file, const std::string& key_file);
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();
  SSL_CTX* get() const { return ctx_; }

 private:
  SSL_CTX* ctx_ = nullptr;
};

// The client's connection: plain until start_tls().
class ClientStream {
 public:
  explicit ClientStream(Fd fd) : fd_(std::move(fd)) {}
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;
  ~ClientStream();

  int fd() const { return fd_.get(); }
  bool tls() const { return ssl_ != nullptr; }
  // Runs the TLS handshake as server, to be over by `deadline`. Throws
  // cu::Error(kAccess, "TLS handshake", …).
  void start_tls(const TlsContext& ctx, std::chrono::steady_clock::time_point deadline);
  // Bytes already decrypted and waiting inside OpenSSL (poll() does not see them).
  bool has_pending() const;
  // Reads up to `cap` bytes; 0 on end of stream or error.
  size_t read(char* buf, size_t cap);
  bool write(std::string_view bytes);

 private:
  Fd fd_;
  SSL* ssl_ = nullptr;
};

}  // namespace cu::gateway
