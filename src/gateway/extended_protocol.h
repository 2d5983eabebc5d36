#pragma once
// The gateway's bookkeeping of a session's message stream, with no I/O: which prepared
// statements and portals the gateway answers itself (UNLOAD, version(),
// pg_last_unload_count(): statement_kind.h), what the upstream still owes (one Await per
// forwarded message that gets a reply of its own), and the two "skip until Sync" states of
// the extended query protocol — the upstream's after an ErrorResponse, and the gateway's
// after one of its own statements failed. Session (session.cpp) feeds it every client and
// upstream message and does the I/O it asks for:
//
//   ProtocolState p;
//   ClientStep step = p.on_client(m);
//   if (step.what == ClientStep::Do::kForward) { to_upstream(m.raw); }
//   if (step.what == ClientStep::Do::kLocal) {
//     while (p.awaiting()) { p.on_upstream(read_and_relay_upstream()); }  // (Flush first
//     switch (p.resolve(m)) { … }                                          //  if needs_flush())
//   }
//
// The rules are the backend's (PostgreSQL's protocol documentation, "Extended Query"): after
// an error the backend discards messages up to Sync, then answers Sync with ReadyForQuery;
// a simple Query replaces the unnamed statement and portal; replies come in the order the
// messages were sent.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "gateway/statement_kind.h"
#include "pg/wire_protocol.h"

namespace cu::gateway {

// A statement the gateway answers itself, as the client prepared (Parse) or bound (Bind) it.
struct LocalStatement {
  StatementKind kind = StatementKind::kPassThrough;
  std::string text;
  int16_t format = 0;  // result format the client bound (portals only)
};

// What the session does with one client message.
struct ClientStep {
  enum class Do {
    kForward,  // relay it to the upstream
    kLocal,    // the gateway answers it: wait until nothing is awaited, then resolve()
    kDrop,     // ignore it, as the backend would inside a failed batch
  };
  Do what = Do::kForward;
  LocalStatement statement;  // kLocal: the statement or portal the message is about
};

class ProtocolState {
 public:
  // How a kLocal step ends once the upstream has answered everything before it.
  enum class Local {
    kAnswer,   // the gateway answers (its tables are updated: Parse, Bind and Close took effect)
    kDrop,     // ignored: the upstream is skipping to Sync after an error in this batch
    kForward,  // relayed after all (a simple Query in a failed transaction block)
  };

  // The first ReadyForQuery has been seen: authentication is over, and statements the
  // gateway answers are recognised from now on (before, everything is relayed).
  bool ready() const { return ready_; }
  // 'I', 'T' or 'E', from the upstream's last ReadyForQuery.
  char transaction_status() const { return tx_status_; }

  ClientStep on_client(const pg::wire::Message& m);
  // Whether the upstream still owes replies to forwarded messages.
  bool awaiting() const { return !pending_.empty(); }
  // Whether those replies need a Flush to be sent (no Sync closes what is pending: the
  // backend holds extended-protocol replies until Sync or Flush).
  bool needs_flush() const { return !pending_.empty() && pending_.back() != Await::kReady; }
  // For the message of the last kLocal step, once awaiting() is false.
  Local resolve(const pg::wire::Message& m);
  // Every message from the upstream, in order (the session relays it to the client).
  void on_upstream(const pg::wire::Message& m);
  // The gateway sent the upstream a Sync of its own (after a simple-protocol UNLOAD, whose
  // ReadyForQuery then carries the true transaction status).
  void on_gateway_sync();
  // A statement the gateway answered failed. In the extended protocol the gateway then
  // skips client messages until Sync, as the backend would; `upstream_failed`: the
  // upstream's transaction failed too, so it skips as well.
  void on_local_failure(bool extended, bool upstream_failed);

 private:
  enum class Await { kReady, kParse, kBind, kClose, kDescribe, kExecute };
  ClientStep forward(const pg::wire::Message& m, std::optional<Await> await);
  void pop_if(Await a);

  std::deque<Await> pending_;
  bool upstream_skipping_ = false;  // upstream discards messages until the next Sync
  bool local_skipping_ = false;     // the gateway discards client messages until Sync
  char tx_status_ = 'I';
  bool ready_ = false;
  std::map<std::string, LocalStatement> statements_, portals_;
  LocalStatement local_;  // the statement of the last kLocal step, for resolve()
};

}  // namespace cu::gateway
