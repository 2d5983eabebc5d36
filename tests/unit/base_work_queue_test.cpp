// cu::WorkQueue: order within a strand, parallel strands, the weight bound, the first
// failure handed back with the queued tasks dropped (their captures released), and
// drop_pending().
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "base/work_queue.h"

namespace cu {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, TasksOfOneStrandRunInOrderStrandsInParallel) {
  WorkQueue q({.threads = 4, .max_weight = 1000});
  std::vector<WorkQueue::Strand> strands(8);
  std::vector<std::vector<int>> seen(8);
  for (int i = 0; i < 200; ++i) {
    for (size_t s = 0; s < strands.size(); ++s) {
      q.submit(
          strands[s], [&seen, s, i](unsigned) { seen[s].push_back(i); }, 1);
    }
  }
  q.wait();
  for (const auto& v : seen) {
    ASSERT_EQ(v.size(), 200u);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(v[i], i);
  }
}

TEST(WorkQueue, SubmitWaitsWhileTheWeightIsHeld) {
  WorkQueue q({.threads = 2, .max_weight = 3});
  std::atomic<int> running{0}, peak{0};
  for (int i = 0; i < 40; ++i) {
    q.submit(
        [&](unsigned) {
          int now = ++running;
          int p = peak.load();
          while (now > p && !peak.compare_exchange_weak(p, now)) {
          }
          std::this_thread::sleep_for(1ms);
          --running;
        },
        1);
  }
  q.wait();
  EXPECT_LE(peak.load(), 2);  // two workers
  EXPECT_GE(peak.load(), 1);
}

TEST(WorkQueue, HeavyTaskAloneStillGetsIn) {
  WorkQueue q({.threads = 1, .max_weight = 10});
  int ran = 0;
  q.submit([&](unsigned) { ++ran; }, 1000);
  q.submit([&](unsigned) { ++ran; }, 1000);
  q.wait();
  EXPECT_EQ(ran, 2);
}

TEST(WorkQueue, FirstFailureIsRethrownAndQueuedTasksAreDroppedNotRun) {
  WorkQueue q({.threads = 1, .max_weight = 100});
  WorkQueue::Strand s;
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  auto owned = std::make_shared<int>(1);
  q.submit(
      s,
      [&](unsigned) {
        while (!release) std::this_thread::sleep_for(1ms);
        throw std::runtime_error("part 1 failed");
      },
      1);
  for (int i = 0; i < 5; ++i)
    q.submit(
        s, [&, owned](unsigned) { ++ran; }, 1);
  EXPECT_EQ(owned.use_count(), 6);
  release = true;
  EXPECT_THROW(q.wait(), std::runtime_error);
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(owned.use_count(), 1);  // the dropped tasks were destroyed
  EXPECT_THROW(q.submit([&](unsigned) { ++ran; }, 1), std::runtime_error);
  EXPECT_EQ(ran.load(), 0);
}

TEST(WorkQueue, DropPendingWaitsForTheRunningTaskAndDropsTheRest) {
  WorkQueue q({.threads = 1, .max_weight = 100});
  std::atomic<bool> started{false}, finished{false};
  std::atomic<int> ran{0};
  q.submit(
      [&](unsigned) {
        started = true;
        std::this_thread::sleep_for(20ms);
        finished = true;
      },
      1);
  for (int i = 0; i < 5; ++i) q.submit([&](unsigned) { ++ran; }, 1);
  while (!started) std::this_thread::sleep_for(1ms);
  q.drop_pending();
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(q.failure(), nullptr);
  q.wait();  // nothing pending, no failure
}

TEST(WorkQueue, WorkerIndexIsBelowTheThreadCount) {
  WorkQueue q({.threads = 3, .max_weight = 10});
  std::mutex mu;
  std::vector<unsigned> seen;
  for (int i = 0; i < 50; ++i) {
    q.submit(
        [&](unsigned w) {
          std::lock_guard lock(mu);
          seen.push_back(w);
        },
        1);
  }
  q.wait();
  for (unsigned w : seen) EXPECT_LT(w, 3u);
}

TEST(WorkQueue, DestructorDropsWhatIsQueued) {
  auto owned = std::make_shared<int>(1);
  std::atomic<int> ran{0};
  {
    WorkQueue q({.threads = 1, .max_weight = 100});
    q.submit([&](unsigned) { std::this_thread::sleep_for(10ms); }, 1);
    for (int i = 0; i < 5; ++i) q.submit([&, owned](unsigned) { ++ran; }, 1);
  }
  EXPECT_EQ(owned.use_count(), 1);
  EXPECT_EQ(ran.load(), 0);
}

}  // namespace
}  // namespace cu
