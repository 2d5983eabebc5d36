// Retry policy: which outcomes are retried, and the backoff's bounds, with a fake clock and
// a scripted random source.
#include <gtest/gtest.h>

#include <deque>

#include "aws/retry.h"

namespace cu::aws {
namespace {

using std::chrono::milliseconds;

struct FakeEnv {
  std::chrono::steady_clock::time_point now{};
  std::deque<double> randoms;
  RetryEnv env() {
    RetryEnv e;
    e.now = [this] { return now; };
    e.uniform01 = [this] {
      double r = randoms.empty() ? 0.999 : randoms.front();
      if (!randoms.empty()) randoms.pop_front();
      return r;
    };
    e.sleep = [this](milliseconds d) { now += d; };
    return e;
  }
};

TEST(AwsRetryTest, WhatIsRetried) {
  EXPECT_TRUE(is_retryable({503, "SlowDown"}, true));
  EXPECT_TRUE(is_retryable({503, "SlowDown"}, false));  // throttled: never acted on
  EXPECT_TRUE(is_retryable({400, "Throttling"}, false));
  EXPECT_TRUE(is_retryable({400, "ThrottlingException"}, true));
  EXPECT_TRUE(is_retryable({503, "RequestLimitExceeded"}, true));
  EXPECT_TRUE(is_retryable({429, ""}, false));
  EXPECT_TRUE(is_retryable({500, "InternalError"}, true));
  EXPECT_FALSE(is_retryable({500, "InternalError"}, false));
  EXPECT_TRUE(is_retryable({502, ""}, true));
  EXPECT_TRUE(is_retryable({504, ""}, true));
  EXPECT_TRUE(is_retryable({400, "RequestTimeout"}, true));
  EXPECT_FALSE(is_retryable({403, "AccessDenied"}, true));
  EXPECT_FALSE(is_retryable({404, "NoSuchKey"}, true));
  EXPECT_FALSE(is_retryable({400, "ValidationError"}, true));
  // Transport: a reset may have reached the server; a refused connection cannot have.
  EXPECT_TRUE(is_retryable({0, "", true, true}, true));
  EXPECT_FALSE(is_retryable({0, "", true, true}, false));
  EXPECT_TRUE(is_retryable({0, "", true, false}, false));
}

TEST(AwsRetryTest, FullJitterDoublesUpToTheCap) {
  FakeEnv fake;
  RetryPolicy p;
  p.max_attempts = 10;
  p.base_delay = milliseconds(100);
  p.max_delay = milliseconds(1000);
  p.max_total = milliseconds(1'000'000);
  Backoff b(p, fake.env());
  // With random = 0.5 the delay is half the ceiling: 100, 200, 400, 800, 1000 (cap), 1000.
  fake.randoms = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
  EXPECT_EQ(b.next_delay(1, false), milliseconds(50));
  EXPECT_EQ(b.next_delay(2, false), milliseconds(100));
  EXPECT_EQ(b.next_delay(3, false), milliseconds(200));
  EXPECT_EQ(b.next_delay(4, false), milliseconds(400));
  EXPECT_EQ(b.next_delay(5, false), milliseconds(500));
  EXPECT_EQ(b.next_delay(6, false), milliseconds(500));
  // Full jitter reaches down to zero.
  fake.randoms = {0.0};
  EXPECT_EQ(b.next_delay(3, false), milliseconds(0));
}

TEST(AwsRetryTest, ThrottlingUsesTheLargerBase) {
  FakeEnv fake;
  RetryPolicy p;
  p.base_delay = milliseconds(100);
  p.throttle_base_delay = milliseconds(500);
  Backoff b(p, fake.env());
  fake.randoms = {0.5, 0.5};
  EXPECT_EQ(b.next_delay(1, true), milliseconds(250));
  EXPECT_EQ(b.next_delay(2, true), milliseconds(500));
}

TEST(AwsRetryTest, BoundedInAttempts) {
  FakeEnv fake;
  RetryPolicy p;
  p.max_attempts = 3;
  Backoff b(p, fake.env());
  EXPECT_TRUE(b.next_delay(1, false));
  EXPECT_TRUE(b.next_delay(2, false));
  EXPECT_FALSE(b.next_delay(3, false));  // the third attempt was the last
  EXPECT_FALSE(Backoff(RetryPolicy::none(), fake.env()).next_delay(1, false));
}

TEST(AwsRetryTest, BoundedInTotalTime) {
  FakeEnv fake;
  RetryPolicy p;
  p.max_attempts = 100;
  p.base_delay = milliseconds(1000);
  p.max_delay = milliseconds(1000);
  p.max_total = milliseconds(3500);
  Backoff b(p, fake.env());
  fake.randoms = std::deque<double>(10, 0.999);  // 999 ms each
  int attempts = 1;
  while (auto d = b.next_delay(attempts, false)) {
    fake.now += *d;                 // the sleep
    fake.now += milliseconds(100);  // the attempt itself
    ++attempts;
  }
  // 999+100 per retry: after 3 retries 3297 ms have passed; a fourth would end at 4296.
  EXPECT_EQ(attempts, 4);
}

}  // namespace
}  // namespace cu::aws
