#include "cli/stop_signals.h"

#include <pthread.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>

#include "base/log.h"

namespace cu::cli {

std::string StopSignals::name(int signo) {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(signo);
  }
}

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set_, &old_mask_);
  thread_ = std::thread([this] { wait_loop(); });
}

StopSignals::~StopSignals() {
  done_ = true;
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void StopSignals::wait_loop() {
  // A short timeout rather than a wake-up signal: the destructor only sets done_.
  const timespec tick{0, 100'000'000};
  while (!done_) {
    int signo = sigtimedwait(&set_, nullptr, &tick);
    if (signo < 0) {
      continue;  // EAGAIN (timeout) or EINTR
    }
    int first = 0;
    if (received_.compare_exchange_strong(first, signo)) {
      log::warn(
          "{}: stopping — cancelling the query, aborting the uploads and removing what this "
          "run wrote; send it again to exit at once and leave things as they are",
          name(signo));
      source_.request_stop();
      continue;
    }
    log::error("{} again: exiting at once; what this run wrote may remain", name(signo));
    std::_Exit(exit_code(signo));
  }
}

}  // namespace cu::cli
