#pragma once
// WorkQueue — the one way work is handed to threads here: a fixed pool of worker threads
// running submitted tasks, with bounded memory, ordered groups of tasks (strands) and the
// first failure handed back to the submitter. The engine's slice and partition writers
// (engine/router.h) and the S3 upload path (aws/s3_multipart_writer.h) use it.
//
//   WorkQueue pool({.threads = 4, .max_weight = 32 << 20});
//   WorkQueue::Strand s;                                  // outlives its tasks
//   pool.submit(s, [&](unsigned worker) { … }, bytes);    // blocks while ≥ max_weight is held
//   pool.submit([&](unsigned worker) { … }, 1);           // a task of no strand
//   pool.wait();                                          // all ran; rethrows the first failure
//
// - Order: the tasks of one strand run one after the other in submission order (on any
//   worker); different strands and strand-less tasks run in parallel.
// - Memory: submit() blocks while the tasks queued or running together weigh `max_weight`
//   or more (a weight is what the caller says a task holds: bytes, or 1 per task), so one
//   task always gets in however heavy it is.
// - Failure: when a task throws, the tasks still queued are dropped — destroyed without
//   running, so whatever they own is released (a dropped close task aborts its object) —
//   and the next submit() or wait() rethrows that first exception. Later tasks are dropped
//   too. drop_pending() does the same on purpose (an abort).
// - `worker` is the index (0 … threads-1) of the thread running the task, for per-thread
//   state such as a compressor.
// - The destructor drops what is queued and joins the threads; strands must outlive the
//   queue or be empty.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace cu {

class WorkQueue {
 public:
  using Task = std::function<void(unsigned worker)>;
  struct Options {
    unsigned threads = 1;   // at least 1
    size_t max_weight = 1;  // submit() waits while this much is queued or running
  };
  class Strand {
   public:
    Strand() = default;
    Strand(const Strand&) = delete;
    Strand& operator=(const Strand&) = delete;
    Strand(Strand&&) noexcept = default;

   private:
    friend class WorkQueue;
    std::deque<std::pair<Task, size_t>> tasks_;  // with each task's weight
    bool scheduled_ = false;                     // in the ready list or being run
  };

  explicit WorkQueue(Options options);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `task` after the earlier tasks of `strand`; blocks while the queue is full;
  // rethrows a failure of an earlier task (the task is then dropped, not queued).
  void submit(Strand& strand, Task task, size_t weight);
  // A task ordered with no other.
  void submit(Task task, size_t weight);
  // Returns once every task submitted so far ran or was dropped; rethrows the first failure.
  void wait();
  // Drops every queued task and waits for the running ones; never throws. A failure seen is
  // kept (failure()).
  void drop_pending() noexcept;
  // The first task failure, or null.
  std::exception_ptr failure() const;
  unsigned threads() const { return static_cast<unsigned>(threads_.size()); }

 private:
  struct Ready {
    Strand* strand;
    std::unique_ptr<Strand> owned;  // the one-task strand of a strand-less task
  };
  void enqueue(std::unique_lock<std::mutex>& lock, Strand& strand, Task task, size_t weight,
               std::unique_ptr<Strand> owned);
  void run(unsigned worker);

  size_t max_weight_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // workers: a strand is ready, or stop
  std::condition_variable done_cv_;  // submitters: weight freed, a task ended
  std::deque<Ready> ready_;
  size_t held_ = 0;     // weight queued or running
  size_t pending_ = 0;  // tasks queued or running
  bool stop_ = false;
  bool cancelled_ = false;  // drop_pending() or the destructor: queued tasks are dropped
  std::exception_ptr failure_;
  std::vector<std::thread> threads_;
};

}  // namespace cu
