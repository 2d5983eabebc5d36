#pragma once
// While a CancelOnSignal is alive, SIGINT and SIGTERM cancel the query running on the
// connection (libpq's PQcancel is async-signal-safe) and are remembered, instead of killing
// the process on the spot. The COPY stream then fails, the unload unwinds, and its
// temporary files are removed — Ctrl-C leaves nothing behind either. The previous signal
// handlers are restored on destruction.
//
//   pg::CancelOnSignal guard(conn);
//   … stream …                      // throws when cancelled
//   if (pg::CancelOnSignal::interrupted()) …

#include <memory>
#include <stop_token>

#include "pg/connection.h"

struct pg_cancel;

namespace cu::pg {

// While alive, a stop request on `stop` cancels the query running on `conn` on the server
// (from whichever thread requests the stop): the COPY or UNLOAD then fails and unwinds
// through the caller's clean-up. Used for deadlines (the Lambda's time limit).
//
//   pg::CancelOnStop guard(conn, stop_token);
class CancelOnStop {
 public:
  CancelOnStop(Connection& conn, std::stop_token stop);
  ~CancelOnStop();
  CancelOnStop(const CancelOnStop&) = delete;
  CancelOnStop& operator=(const CancelOnStop&) = delete;

 private:
  struct FreeCancel {
    void operator()(pg_cancel* c) const;
  };
  struct Cancel {
    pg_cancel* cancel;
    void operator()() const;
  };
  // Declared in this order so that callback_ (which waits for a running callback) goes
  // first, and the handle after it.
  std::unique_ptr<pg_cancel, FreeCancel> cancel_;
  std::stop_callback<Cancel> callback_;
};

class CancelOnSignal {
 public:
  explicit CancelOnSignal(Connection& conn);
  ~CancelOnSignal();
  CancelOnSignal(const CancelOnSignal&) = delete;
  CancelOnSignal& operator=(const CancelOnSignal&) = delete;

  // True once SIGINT or SIGTERM arrived while a guard was alive.
  static bool interrupted();
};

}  // namespace cu::pg
