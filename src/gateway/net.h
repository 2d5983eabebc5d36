#pragma once
// Sockets for the gateway: the upstream address read from a
// libpq conninfo or `host:port`, TCP connect and listen, and both sides of a session as
// byte streams that may have been switched to TLS (OpenSSL) after SSLRequest.
// Blocking I/O: the gateway runs one thread per session.
//
//   auto up = cu::gateway::parse_upstream("host=db port=5432 sslmode=verify-full");
//   cu::gateway::Stream upstream(cu::gateway::connect_to(up));
//   upstream.start_tls_client(upstream_tls, up, deadline);  // after the upstream's 'S'
//   cu::gateway::Stream client(std::move(accepted_fd));
//   client.start_tls_server(tls, deadline);  // after answering 'S' to an SSLRequest

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace cu::gateway {

using Fd = cu::UniqueFd;  // the owned file descriptor (base/unique_fd.h)

// Where the upstream PostgreSQL listens, over TCP, and whether the connection to it is
// encrypted. User, database and password in a conninfo are ignored: every client
// authenticates as itself against the upstream.
struct Upstream {
  enum class SslMode {
    kDisable,     // never TLS
    kPrefer,      // TLS when the upstream accepts SSLRequest, else plain (libpq's default)
    kRequire,     // TLS or no session; the certificate is not checked
    kVerifyCa,    // TLS, the certificate chain checked against sslrootcert
    kVerifyFull,  // as verify-ca, and the certificate names `host`
  };
  std::string host;  // name or address
  std::string port = "5432";
  SslMode sslmode = SslMode::kPrefer;
  std::string sslrootcert;      // PEM CA certificates; empty: the system's trusted CAs
  std::string display() const;  // "host:port"
};

// libpq's name of the mode ("verify-full").
std::string_view to_string(Upstream::SslMode mode);

// Accepts `host:port`, `[v6addr]:port`, a libpq key=value conninfo or a postgres:// URI;
// of a conninfo's TLS keys, sslmode (disable | prefer | require | verify-ca | verify-full,
// as libpq reads them; `allow` is refused) and sslrootcert. Throws cu::Error(kUsage,
// "parse upstream", …) when it names no usable address, for a Unix-domain socket (a path,
// or a conninfo without host: the upstream's rules for local connections, trust or peer,
// must not apply to the gateway's network clients), and for TLS settings it cannot honour
// (client certificates, CRLs).
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

// A TLS context: server side from PEM certificate (chain) and private key files, or client
// side for an upstream (its sslmode and sslrootcert; the upstream must not be kDisable).
class TlsContext {
 public:
  TlsContext(const std::string& cert_file, const std::string& key_file);
  explicit TlsContext(const Upstream& upstream);
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  ~TlsContext();
  SSL_CTX* get() const { return ctx_; }

 private:
  SSL_CTX* ctx_ = nullptr;
};

// One side of a session (the client's connection, or the upstream's): plain until a
// start_tls_*().
class Stream {
 public:
  explicit Stream(Fd fd) : fd_(std::move(fd)) {}
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  int fd() const { return fd_.get(); }
  bool tls() const { return ssl_ != nullptr; }
  // Runs the TLS handshake as server, to be over by `deadline`. Throws
  // cu::Error(kAccess, "TLS handshake", …).
  void start_tls_server(const TlsContext& ctx, std::chrono::steady_clock::time_point deadline);
  // Runs the TLS handshake as client of `upstream` (SNI, and for kVerifyFull the host name
  // check), to be over by `deadline`. Throws cu::Error(kSource, "TLS handshake with the
  // upstream", …), naming why (e.g. the certificate verify failure).
  void start_tls_client(const TlsContext& ctx, const Upstream& upstream,
                        std::chrono::steady_clock::time_point deadline);
  // Bytes already decrypted and waiting inside OpenSSL (poll() does not see them).
  bool has_pending() const;
  // Reads up to `cap` bytes; 0 on end of stream or error.
  size_t read(char* buf, size_t cap);
  bool write(std::string_view bytes);

 private:
  void handshake(bool server, std::chrono::steady_clock::time_point deadline,
                 const std::function<Error(std::string)>& failure);
  Fd fd_;
  SSL* ssl_ = nullptr;
};

}  // namespace cu::gateway
