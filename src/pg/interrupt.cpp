#include "pg/interrupt.h"

#include <libpq-fe.h>

namespace cu::pg {

// PQgetCancel before the callback is registered: a stop already requested runs the
// callback in the constructor, and needs the handle.
CancelOnStop::CancelOnStop(Connection& conn, std::stop_token stop)
    : cancel_(PQgetCancel(conn.raw())), callback_(std::move(stop), Cancel{cancel_.get()}) {}

CancelOnStop::~CancelOnStop() = default;

void CancelOnStop::FreeCancel::operator()(pg_cancel* c) const { PQfreeCancel(c); }

void CancelOnStop::Cancel::operator()() const {
  if (cancel != nullptr) {
    char err[256];
    PQcancel(cancel, err, sizeof err);
  }
}

}  // namespace cu::pg
