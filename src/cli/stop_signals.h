#pragma once
// StopSignals: SIGINT, SIGTERM and SIGHUP ask a running command to stop cleanly instead of
// killing it on the spot. The constructor blocks the three signals in the calling thread —
// and so in every thread started after it, which inherit the mask: construct it before any
// other thread exists — and waits for them with sigtimedwait on a thread of its own. The
// first signal requests stop on the token (the job then cancels its query, aborts its
// uploads, removes what it wrote and reports the failure); a second one exits at once
// with 128 + its number, leaving whatever was in progress (as SIGKILL would).
//
//   cli::StopSignals signals;
//   try { job::run_job(cfg, env, &report, signals.token(), ...); }
//   catch (const Error&) { if (int s = signals.received()) return StopSignals::exit_code(s); }
//
// The destructor restores the previous mask: a signal that arrives after it gets its
// default action again.

#include <signal.h>

#include <atomic>
#include <stop_token>
#include <string>
#include <thread>

namespace cu::cli {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  std::stop_token token() const { return source_.get_token(); }
  // The first signal's number, 0 while none arrived.
  int received() const { return received_.load(); }
  // 128 + signal, as a shell reports a process the signal ended: 130 SIGINT, 143 SIGTERM,
  // 129 SIGHUP.
  static int exit_code(int signo) { return 128 + signo; }
  // "SIGINT", "SIGTERM", "SIGHUP".
  static std::string name(int signo);

 private:
  void wait_loop();

  std::stop_source source_;
  std::atomic<int> received_{0};
  std::atomic<bool> done_{false};
  sigset_t set_{};
  sigset_t old_mask_{};
  std::thread thread_;
};

}  // namespace cu::cli
