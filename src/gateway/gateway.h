#pragma once
// Gateway — the local Redshift: a PostgreSQL wire-protocol proxy in front of a real
// PostgreSQL that relays every client message unchanged and answers UNLOAD, `select
// version()` and `select pg_last_unload_count()` itself, as a Redshift cluster would. One
// thread per client session. UNLOAD is carried out by an UnloadExecutor that
// GatewayOptions::executors makes for each session (unload_executor.h), over the client's
// own upstream session.
//
// Authentication: a client never gets a session the upstream would not have given it
// directly. Either the upstream asks the client for its password (relayed; a client the
// upstream lets in without asking is refused with 28000), or, with a password file, the
// gateway runs SCRAM-SHA-256 with the client itself and then logs in to the upstream as that
// user (passing SCRAM through with the client's key when the upstream asks for it).
//
//   cu::gateway::GatewayOptions o;
//   o.listen_port = "5439";
//   o.upstream = cu::gateway::parse_upstream("host=127.0.0.1 port=5432");
//   cu::gateway::Gateway g(o);      // binds now: port() is known
//   std::thread t([&] { g.serve(); });
//   …
//   g.stop();                        // async-signal-safe; serve() returns once sessions end
//   t.join();

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/net.h"
#include "gateway/unload_executor.h"

namespace cu::gateway {

struct GatewayOptions {
  std::string listen_host = "127.0.0.1";
  std::string listen_port = "5439";  // "0": any free port
  Upstream upstream;
  std::string tls_cert, tls_key;  // both set: accept SSLRequest and speak TLS
  // SCRAM-SHA-256 verifiers of the users the gateway itself authenticates (client_auth.h);
  // empty: every client must be asked for its password by the upstream, or is refused.
  std::string password_file;
  // Sessions at once (those still authenticating included); one more is refused with
  // PostgreSQL's FATAL 53300 "sorry, too many clients already". 0: no limit.
  int max_connections = 100;
  // The whole handshake (TLS, startup packet, authentication, the upstream's answer) must
  // be over this long after the connection was accepted, like PostgreSQL's
  // authentication_timeout.
  std::chrono::milliseconds auth_timeout{60000};
  // Makes each session's UNLOAD executor (unload_executor.h); empty: UNLOAD is refused.
  UnloadExecutorFactory executors;
};

class Gateway {
 public:
  // Binds the listening socket and loads the TLS files. Throws cu::Error(kUsage, …).
  explicit Gateway(GatewayOptions options);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  uint16_t port() const;
  // Accepts clients until stop(); then shuts the open sessions' sockets down and waits
  // for their threads to finish.
  void serve();
  void stop();
  int active_sessions() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cu::gateway
