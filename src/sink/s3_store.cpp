// The S3 face of sink::ObjectStore: each object is a streaming multipart upload
// (aws::S3MultipartWriter: parts uploaded by worker threads, aborted by RAII), completed by
// publish() — conditionally (If-None-Match: *) unless replacing — or, through commit(), a
// single PutObject when small; every write carries SSE-S3 or SSE-KMS. seal() runs on the
// store's upload threads (a WorkQueue): the writer's future says when it is done.
#include <algorithm>
#include <atomic>
#include <exception>
#include <future>
#include <mutex>

#include "aws/error.h"
#include "aws/s3.h"
#include "aws/s3_multipart_writer.h"
#include "base/error.h"
#include "base/log.h"
#include "base/work_queue.h"
#include "sink/object_store.h"

namespace cu::sink {
namespace {

// The store's upload threads for sealed files, and the first seal that failed: the next
// open() throws it, so a run stops at once instead of at its commit phase.
class Sealer {
 public:
  explicit Sealer(const S3StoreOptions& o)
      : queue_({.threads = std::max(1u, o.seal_threads),
                .max_weight = std::max<size_t>(1, o.seal_bytes)}) {}
  void submit(WorkQueue::Task task, size_t weight) { queue_.submit(std::move(task), weight); }
  void note_failure(std::exception_ptr e) {
    std::lock_guard lock(mu_);
    if (!first_failure_) {
      first_failure_ = std::move(e);
    }
  }
  void rethrow_failure() const {
    std::lock_guard lock(mu_);
    if (first_failure_) {
      std::rethrow_exception(first_failure_);
    }
  }

 private:
  mutable std::mutex mu_;
  std::exception_ptr first_failure_;
  WorkQueue queue_;  // last: destroyed first, joining its threads
};

class S3Writer final : public ObjectWriter {
 public:
  S3Writer(aws::S3Client& s3, const std::string& bucket, std::string key,
           aws::MultipartWriterOptions options, Sealer& sealer,
           std::atomic<std::size_t>& abort_failures)
      : abort_failures_(abort_failures),
        sealer_(sealer),
        writer_memory_(options.part_size * (static_cast<size_t>(options.parts_in_flight) + 1)),
        key_(std::move(key)),
        url_(aws::s3_url(bucket, key_)),
        writer_(s3, bucket, key_, std::move(options)) {}
  ~S3Writer() override { abort(); }

  void write(std::string_view bytes) override { writer_.write(bytes); }
  uint64_t seal() override {
    const uint64_t size = writer_.bytes_written();
    auto done = std::make_shared<std::promise<void>>();
    sealed_ = done->get_future();
    // Weighs what the writer may still hold (its parts in flight and the last one, no more
    // than the file); a task the queue drops unrun breaks the promise, which settle()
    // reports as a failure.
    const size_t weight = static_cast<size_t>(std::clamp<uint64_t>(size, 1, writer_memory_));
    sealer_.submit(
        [this, done](unsigned) {
          try {
            writer_.seal();
            done->set_value();
          } catch (...) {
            sealer_.note_failure(std::current_exception());
            done->set_exception(std::current_exception());
          }
        },
        weight);
    return size;
  }
  void settle() override {
    if (!sealed_.valid()) {
      return;
    }
    try {
      sealed_.get();
    } catch (...) {
      abort();
      throw;
    }
  }
  void publish(bool replace) override {
    settle();
    try {
      writer_.complete(/*if_none_match=*/!replace);
    } catch (const aws::AwsError& e) {
      done_ = true;  // the writer aborted the upload
      if (e.status() == 412) {
        throw Error(ErrorKind::kDestination, "commit", url_,
                    "another run published an object of this name while this one ran")
            .with_hint(
                "without ALLOWOVERWRITE a run never replaces an object; this run's objects "
                "were not published (" +
                std::string(e.what()) + ")");
      }
      throw;
    }
    done_ = true;
  }
  uint64_t commit() override {
    aws::UploadResult r = writer_.finish();
    done_ = true;
    return r.bytes;
  }
  void abort() noexcept override {
    if (done_) {
      return;
    }
    done_ = true;
    if (sealed_.valid()) {
      sealed_.wait();  // the upload thread is done with the writer
      sealed_ = {};
    }
    try {
      writer_.abort();
    } catch (const std::exception& e) {
      ++abort_failures_;
      log::warn("{}: the multipart upload could not be aborted and stays incomplete: {}", url_,
                e.what());
    } catch (...) {
      ++abort_failures_;
    }
  }
  uint64_t bytes_written() const override { return writer_.bytes_written(); }
  const std::string& key() const override { return key_; }

 private:
  std::atomic<std::size_t>& abort_failures_;
  Sealer& sealer_;
  size_t writer_memory_;  // what the writer holds at most (S3Store::writer_memory())
  std::string key_;
  std::string url_;
  aws::S3MultipartWriter writer_;
  std::future<void> sealed_{};  // valid from seal() until settled or aborted
  bool done_ = false;
};

class S3Store : public ObjectStore {
 public:
  S3Store(aws::S3Client& s3, std::string bucket, S3StoreOptions options)
      : s3_(s3), bucket_(std::move(bucket)), options_(options), sealer_(options) {}

  std::vector<StoredObject> list(const std::string& prefix) override {
    std::vector<StoredObject> out;
    for (auto& o : s3_.list_objects(bucket_, prefix)) {
      out.push_back({o.key, o.size});
    }
    return out;
  }

  std::unique_ptr<ObjectWriter> open(const std::string& key, const WriteOptions& options) override {
    sealer_.rethrow_failure();
    aws::MultipartWriterOptions o;
    o.part_size = options_.part_size;
    o.parts_in_flight = options_.parts_in_flight;
    o.put.sse = options.sse_kms ? aws::Sse::kKms : aws::Sse::kS3;
    o.put.kms_key_id = options.kms_key_id;
    o.put.content_type = options.content_type;
    o.hold_budget = &hold_budget_;
    return std::make_unique<S3Writer>(s3_, bucket_, key, std::move(o), sealer_, abort_failures_);
  }

  void remove(const std::vector<std::string>& keys) override {
    if (!keys.empty()) {
      s3_.delete_objects(bucket_, keys);
    }
  }

  std::string url(const std::string& key) const override { return aws::s3_url(bucket_, key); }
  uint64_t writer_memory() const override {
    return options_.part_size * static_cast<uint64_t>(options_.parts_in_flight + 1);
  }
  std::size_t abort_failures() const override { return abort_failures_.load(); }

 private:
  aws::S3Client& s3_;
  std::string bucket_;
  S3StoreOptions options_;
  std::atomic<std::size_t> abort_failures_{0};
  std::atomic<std::size_t> hold_budget_{options_.hold_bytes};  // aws::MultipartWriterOptions
  // Last: destroyed first, joining the upload threads (a queued seal it drops breaks its
  // writer's promise; the writer then only aborts).
  Sealer sealer_;
};

}  // namespace

std::unique_ptr<ObjectStore> make_s3_store(aws::S3Client& s3, std::string bucket,
                                           S3StoreOptions options) {
  return std::make_unique<S3Store>(s3, std::move(bucket), options);
}

}  // namespace cu::sink
