#pragma once
// The seam between the gateway's proxy and whatever carries out an UNLOAD. When a client
// sends an UNLOAD statement, the gateway does not pass it to PostgreSQL; it calls
// UnloadExecutor::execute() with the statement text, who is asking, and an UpstreamSession:
// the client's own PostgreSQL session (same user, privileges, transaction and snapshot),
// paused between the client's messages, on which the executor runs its
// `COPY (<select>) TO STDOUT` and reads the rows as they arrive. The gateway then answers
// the client the way Redshift does (INFO notice with the count, tag `UNLOAD`), or turns a
// thrown cu::Error into an ErrorResponse.
//
//   class MyExecutor : public cu::gateway::UnloadExecutor {
//     std::uint64_t execute(std::string_view sql, const cu::gateway::SessionInfo& who,
//                           cu::gateway::UpstreamSession& db) override {
//       auto spec = cu::unload::parse(sql);
//       auto cols = db.describe(spec.select);
//       return db.copy_out("COPY (" + spec.select + ") TO STDOUT WITH (FORMAT binary)",
//                          [&](std::string_view chunk) { sink.write(chunk); });
//     }
//   };
//   cu::gateway::GatewayOptions o;
//   o.executors = [] { return std::make_unique<MyExecutor>(); };
//   cu::gateway::Gateway g(o);
//
// One executor is made per client session, by the factory the Gateway was given, and used
// by that session's thread only. The factory is where the product's engine (format
// writers, role chain, S3) plugs in: `crossunload gateway` passes
// engine_executor_factory() (engine_executor.h); a gateway given none refuses every UNLOAD
// (one that wrote files by any other path than the engine would not write Redshift's
// bytes).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pg/wire_protocol.h"

namespace cu::gateway {

// Who sent the statement (from the client's StartupMessage and socket).
struct SessionInfo {
  std::string user;
  std::string database;
  std::string application_name;
  std::string client_address;           // "127.0.0.1:50432"
  std::string upstream_server_version;  // the upstream's server_version parameter
};

// The client's upstream PostgreSQL session, lent to the executor for the duration of one
// UNLOAD. Both calls use the extended protocol with the unnamed statement and portal and
// never send Sync: they run inside whatever transaction the client has open (or the
// implicit one the gateway closes after the UNLOAD). On an upstream error they throw
// cu::Error(kSource, …) carrying PostgreSQL's message; the upstream transaction is then
// failed, as it would be on Redshift, and further calls throw at once.
class UpstreamSession {
 public:
  virtual ~UpstreamSession() = default;

  // Column names and types of `select` (Parse + Describe of the unnamed statement).
  virtual std::vector<pg::wire::Column> describe(std::string_view select) = 0;

  // Runs `copy_sql` (a `COPY … TO STDOUT …` statement) and calls `on_chunk` with each
  // CopyData payload in order as it arrives. Returns the row count from the `COPY n` tag.
  // An exception thrown by `on_chunk` stops reading: the rest of the COPY is drained and
  // discarded (the session stays usable) and the exception propagates.
  virtual std::uint64_t copy_out(std::string_view copy_sql,
                                 const std::function<void(std::string_view)>& on_chunk) = 0;
};

class UnloadExecutor {
 public:
  virtual ~UnloadExecutor() = default;

  // Carries out one UNLOAD statement (the text as the client sent it) and returns the
  // number of rows unloaded. Throws cu::Error on failure; the gateway reports its kind as a
  // SQLSTATE: kUsage 42601, kAccess 42501, kDestination 58030, kSource the upstream's own
  // code, anything else XX000.
  virtual std::uint64_t execute(std::string_view statement, const SessionInfo& session,
                                UpstreamSession& upstream) = 0;
};

// Makes the executor of one new session; called on the session's thread.
using UnloadExecutorFactory = std::function<std::unique_ptr<UnloadExecutor>()>;

// The executor of a gateway given no factory: every UNLOAD is refused (42601, "no UNLOAD
// executor"), and nothing is written.
std::unique_ptr<UnloadExecutor> refusing_executor();

}  // namespace cu::gateway
