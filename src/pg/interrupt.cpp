#include "pg/interrupt.h"

#include <libpq-fe.h>

#include <atomic>
#include <csignal>

namespace cu::pg {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<PGcancel*> g_cancel{nullptr};
struct sigaction g_old_int, g_old_term;

extern "C" void on_signal(int) {
  g_interrupted = true;
  if (PGcancel* c = g_cancel.load()) {
    char err[256];
    PQcancel(c, err, sizeof err);
  }
}

}  // namespace

CancelOnSignal::CancelOnSignal(Connection& conn) {
  g_cancel = PQgetCancel(conn.raw());
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

CancelOnSignal::~CancelOnSignal() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  if (PGcancel* c = g_cancel.exchange(nullptr)) {
    PQfreeCancel(c);
  }
}

bool CancelOnSignal::interrupted() { return g_interrupted; }

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
