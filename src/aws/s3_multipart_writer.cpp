#include "aws/s3_multipart_writer.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/error.h"
#include "base/log.h"

namespace cu::aws {
namespace {

constexpr std::size_t kMinPart = 5u << 20;
constexpr int kMaxParts = 10000;

}  // namespace

S3MultipartWriter::S3MultipartWriter(S3Client& s3, std::string bucket, std::string key,
                                     MultipartWriterOptions options)
    : s3_(s3), bucket_(std::move(bucket)), key_(std::move(key)), options_(std::move(options)) {
  if (options_.part_size < kMinPart) {
    throw Error(ErrorKind::kUsage, "upload", s3_url(bucket_, key_),
                fmt::format("part size {} is below S3's minimum of 5 MiB", options_.part_size));
  }
  options_.parts_in_flight = std::max(1, options_.parts_in_flight);
  current_.reserve(options_.part_size);
}

S3MultipartWriter::~S3MultipartWriter() {
  if (finished_) {
    return;
  }
  try {
    abort();
  } catch (const std::exception& e) {
    log::warn("could not abort the multipart upload {} of {}: {}", upload_id_,
              s3_url(bucket_, key_), e.what());
  }
}

void S3MultipartWriter::write(std::string_view data) {
  if (finished_ || aborted_) {
    throw Error(ErrorKind::kOther, "upload", s3_url(bucket_, key_), "write after finish/abort");
  }
  while (!data.empty()) {
    std::size_t room = options_.part_size - current_.size();
    std::size_t n = std::min(room, data.size());
    current_.insert(current_.end(), data.data(), data.data() + n);
    data.remove_prefix(n);
    bytes_ += n;
    if (current_.size() == options_.part_size) {
      submit_current();
    }
  }
}

void S3MultipartWriter::submit_current() {
  if (upload_id_.empty()) {
    upload_id_ = s3_.create_multipart_upload(bucket_, key_, options_.put);
    for (int i = 0; i < options_.parts_in_flight; ++i) {
      workers_.emplace_back([this] { worker(); });
    }
  }
  if (next_part_ > kMaxParts) {
    abort();
    throw Error(ErrorKind::kUsage, "upload", s3_url(bucket_, key_),
                fmt::format("the object needs more than {} parts of {} bytes", kMaxParts,
                            options_.part_size))
        .with_hint("raise the part size (MAXFILESIZE splits output into several objects)");
  }
  std::vector<char> next;
  {
    std::unique_lock lock(mu_);
    // Bounded memory: wait for a slot before handing over another part.
    cv_.wait(lock, [&] { return in_flight_ < options_.parts_in_flight || failure_; });
    if (failure_) {
      lock.unlock();
      rethrow_failure();
    }
    queue_.push_back(Job{next_part_++, std::move(current_)});
    ++in_flight_;
    if (!free_buffers_.empty()) {
      next = std::move(free_buffers_.back());
      free_buffers_.pop_back();
    }
  }
  cv_.notify_all();
  next.clear();
  next.reserve(options_.part_size);
  current_ = std::move(next);
}

void S3MultipartWriter::worker() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping
      }
      job = std::move(queue_.front());
      queue_.erase(queue_.begin());
      if (failure_) {  // no point sending more parts of a failed upload
        --in_flight_;
        cv_.notify_all();
        continue;
      }
    }
    CompletedPart part{job.part_number, {}};
    std::exception_ptr error;
    try {
      part.etag = s3_.upload_part(bucket_, key_, upload_id_, job.part_number,
                                  std::string_view(job.data.data(), job.data.size()));
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      if (error && !failure_) {
        failure_ = error;
      }
      if (!error) {
        done_.push_back(std::move(part));
      }
      free_buffers_.push_back(std::move(job.data));
      --in_flight_;
    }
    cv_.notify_all();
  }
}

void S3MultipartWriter::stop_workers() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) {
    if (t.joinable()) {
      t.join();
    }
  }
  workers_.clear();
}

void S3MultipartWriter::rethrow_failure() {
  std::exception_ptr failure;
  {
    std::lock_guard lock(mu_);
    failure = failure_;
  }
  try {
    abort();
  } catch (const std::exception& e) {
    log::warn("could not abort the multipart upload {} of {}: {}", upload_id_,
              s3_url(bucket_, key_), e.what());
  }
  std::rethrow_exception(failure);
}

UploadResult S3MultipartWriter::finish() {
  if (finished_) {
    throw Error(ErrorKind::kOther, "upload", s3_url(bucket_, key_), "finished twice");
  }
  if (aborted_) {
    throw Error(ErrorKind::kOther, "upload", s3_url(bucket_, key_), "upload aborted");
  }
  UploadResult result;
  result.bytes = bytes_;
  if (upload_id_.empty()) {
    // Smaller than one part: one PutObject, no multipart upload to clean up.
    result.etag = s3_.put_object(bucket_, key_, std::string_view(current_.data(), current_.size()),
                                 options_.put);
    finished_ = true;
    current_ = {};
    return result;
  }
  if (!current_.empty()) {
    submit_current();
  }
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
  }
  stop_workers();
  if (failure_) {
    rethrow_failure();
  }
  std::sort(done_.begin(), done_.end(), [](const CompletedPart& a, const CompletedPart& b) {
    return a.part_number < b.part_number;
  });
  try {
    result.etag =
        s3_.complete_multipart_upload(bucket_, key_, upload_id_, done_, options_.put.if_none_match);
  } catch (const AwsError& e) {
    // A retried Complete whose first attempt succeeded but whose answer was lost finds the
    // upload gone. The object is there, of our size and part count: that is success.
    if (e.aws_code() == "NoSuchUpload") {
      auto head = s3_.head_object(bucket_, key_);
      std::string suffix = fmt::format("-{}\"", done_.size());
      if (head && head->size == bytes_ && head->etag.ends_with(suffix)) {
        result.etag = head->etag;
        result.parts = static_cast<int>(done_.size());
        finished_ = true;
        return result;
      }
    }
    try {
      abort();
    } catch (const std::exception& e2) {
      log::warn("could not abort the multipart upload {} of {}: {}", upload_id_,
                s3_url(bucket_, key_), e2.what());
    }
    throw;
  } catch (...) {
    try {
      abort();
    } catch (const std::exception& e) {
      log::warn("could not abort the multipart upload {} of {}: {}", upload_id_,
                s3_url(bucket_, key_), e.what());
    }
    throw;
  }
  result.parts = static_cast<int>(done_.size());
  finished_ = true;
  free_buffers_.clear();
  current_ = {};
  return result;
}

void S3MultipartWriter::abort() {
  if (aborted_ || finished_) {
    return;
  }
  aborted_ = true;
  {
    std::lock_guard lock(mu_);
    in_flight_ -= static_cast<int>(queue_.size());
    queue_.clear();  // parts not yet started are dropped
  }
  stop_workers();  // waits for parts in progress: an abort racing a part can leave it behind
  current_ = {};
  free_buffers_.clear();
  if (!upload_id_.empty()) {
    s3_.abort_multipart_upload(bucket_, key_, upload_id_);
  }
}

}  // namespace cu::aws
