#pragma once
// One client connection through the gateway, from the first startup packet to the end:
// SSLRequest / GSSENCRequest / CancelRequest handling, the startup and authentication
// exchange (relayed to the upstream, which must ask for a password, or run by the gateway
// with a password file: gateway.h), then every message relayed both ways except
// the statements the gateway answers itself (statement_kind.h), which it executes at the
// right point of the message stream so the client sees replies in protocol order.
// Used by Gateway (gateway.h), one thread per session.

#include <chrono>
#include <memory>
#include <string>

#include "gateway/client_auth.h"
#include "gateway/net.h"
#include "gateway/unload_executor.h"

namespace cu::gateway {

struct SessionContext {
  Upstream upstream;
  const TlsContext* tls = nullptr;  // null: SSLRequest is declined with 'N'
  // Client side of TLS to the upstream; set unless upstream.sslmode is kDisable.
  const TlsContext* upstream_tls = nullptr;
  // null: the upstream must ask every client for its password (else 28000); set: the
  // gateway authenticates clients with SCRAM-SHA-256 itself.
  const PasswordFile* passwords = nullptr;
  // The handshake (TLS, startup, authentication, the upstream's answer) must be over this
  // long after the session started.
  std::chrono::milliseconds auth_timeout{60000};
  // Makes the session's UNLOAD executor; empty: refusing_executor().
  UnloadExecutorFactory executors;
};

// Runs the session to its end; never throws. Logs one line when it ends.
void run_session(Fd client, const SessionContext& context);

}  // namespace cu::gateway
