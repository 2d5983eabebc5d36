#include "base/work_queue.h"

#include <algorithm>

namespace cu {

WorkQueue::WorkQueue(Options options) : max_weight_(std::max<size_t>(1, options.max_weight)) {
  unsigned n = std::max(1u, options.threads);
  threads_.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    threads_.emplace_back([this, i] { run(i); });
  }
}

WorkQueue::~WorkQueue() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;  // what is still queued is dropped by the workers on their way out
    stop_ = true;
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  for (auto& t : threads_) {
    t.join();
  }
}

void WorkQueue::submit(Strand& strand, Task task, size_t weight) {
  std::unique_lock lock(mu_);
  enqueue(lock, strand, std::move(task), weight, nullptr);
}

void WorkQueue::submit(Task task, size_t weight) {
  auto owned = std::make_unique<Strand>();
  Strand& strand = *owned;
  std::unique_lock lock(mu_);
  enqueue(lock, strand, std::move(task), weight, std::move(owned));
}

void WorkQueue::enqueue(std::unique_lock<std::mutex>& lock, Strand& strand, Task task,
                        size_t weight, std::unique_ptr<Strand> owned) {
  done_cv_.wait(lock, [&] { return held_ < max_weight_ || failure_ || cancelled_; });
  if (failure_) {
    std::exception_ptr failure = failure_;
    lock.unlock();
    task = nullptr;  // dropped outside the lock
    std::rethrow_exception(failure);
  }
  if (cancelled_) {
    lock.unlock();
    return;  // dropped
  }
  strand.tasks_.emplace_back(std::move(task), weight);
  held_ += weight;
  ++pending_;
  if (!strand.scheduled_) {
    strand.scheduled_ = true;
    ready_.push_back({&strand, std::move(owned)});
    work_cv_.notify_one();
  }
}

void WorkQueue::wait() {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  if (failure_) {
    std::rethrow_exception(failure_);
  }
}

void WorkQueue::drop_pending() noexcept {
  std::unique_lock lock(mu_);
  cancelled_ = true;
  work_cv_.notify_all();
  done_cv_.notify_all();
  done_cv_.wait(lock, [&] { return pending_ == 0; });
}

std::exception_ptr WorkQueue::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

void WorkQueue::run(unsigned worker) {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || !ready_.empty(); });
    if (ready_.empty()) {
      return;  // stopping, and nothing left to drop
    }
    Ready ready = std::move(ready_.front());
    ready_.pop_front();
    Strand& strand = *ready.strand;
    while (!strand.tasks_.empty()) {
      auto [task, weight] = std::move(strand.tasks_.front());
      strand.tasks_.pop_front();
      const bool run_it = !failure_ && !cancelled_;
      lock.unlock();
      std::exception_ptr error;
      if (run_it) {
        try {
          task(worker);
        } catch (...) {
          error = std::current_exception();
        }
      }
      task = nullptr;  // what the task held is released before the lock is taken again
      lock.lock();
      if (error && !failure_) {
        failure_ = error;
      }
      held_ -= weight;
      --pending_;
      done_cv_.notify_all();
    }
    strand.scheduled_ = false;
  }
}

}  // namespace cu
