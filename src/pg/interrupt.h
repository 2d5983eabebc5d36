#pragma once
// pg::CancelOnStop: a stop request (the Lambda deadline, a signal to `crossunload run`:
// cli/stop_signals.h) cancels the query running on a connection.

#include <memory>
#include <stop_token>

#include "pg/connection.h"

struct pg_cancel;

namespace cu::pg {

// While alive, a stop request on `stop` cancels the query running on `conn` on the server
// (from whichever thread requests the stop): the COPY or UNLOAD then fails and unwinds
// through the caller's clean-up.
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

}  // namespace cu::pg
