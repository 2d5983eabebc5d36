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

#include "pg/connection.h"

namespace cu::pg {

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
