// StopSignals turns SIGINT/SIGTERM/SIGHUP into a stop request, and a second signal into an
// immediate exit with 128 + the signal's number.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli/stop_signals.h"

namespace cu::cli {
namespace {

bool wait_for_stop(const std::stop_token& t) {
  for (int i = 0; i < 100 && !t.stop_requested(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return t.stop_requested();
}

TEST(StopSignals, FirstSignalRequestsStop) {
  for (int signo : {SIGINT, SIGTERM, SIGHUP}) {
    StopSignals s;
    EXPECT_FALSE(s.token().stop_requested());
    EXPECT_EQ(s.received(), 0);
    ASSERT_EQ(kill(getpid(), signo), 0);
    ASSERT_TRUE(wait_for_stop(s.token())) << StopSignals::name(signo);
    EXPECT_EQ(s.received(), signo);
  }
}

TEST(StopSignals, ThreadsStartedAfterItDoNotTakeTheSignal) {
  StopSignals s;
  // A thread started later inherits the blocked mask: the signal still reaches the waiter.
  std::thread other([] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); });
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_TRUE(wait_for_stop(s.token()));
  other.join();
}

TEST(StopSignals, ExitCodesAndNames) {
  EXPECT_EQ(StopSignals::exit_code(SIGINT), 130);
  EXPECT_EQ(StopSignals::exit_code(SIGTERM), 143);
  EXPECT_EQ(StopSignals::exit_code(SIGHUP), 129);
  EXPECT_EQ(StopSignals::name(SIGTERM), "SIGTERM");
}

TEST(StopSignalsDeathTest, SecondSignalExitsAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        StopSignals s;
        kill(getpid(), SIGTERM);
        wait_for_stop(s.token());
        kill(getpid(), SIGTERM);
        std::this_thread::sleep_for(std::chrono::seconds(5));
        std::_Exit(0);  // not reached: the second signal exits with 143 first
      },
      ::testing::ExitedWithCode(143), "SIGTERM again: exiting at once");
}

TEST(StopSignals, MaskRestoredAfterwards) {
  sigset_t before, after;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  { StopSignals s; }
  pthread_sigmask(SIG_SETMASK, nullptr, &after);
  EXPECT_EQ(sigismember(&before, SIGTERM), sigismember(&after, SIGTERM));
  EXPECT_EQ(sigismember(&before, SIGINT), sigismember(&after, SIGINT));
}

}  // namespace
}  // namespace cu::cli
