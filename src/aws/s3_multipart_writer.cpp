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

void S3MultipartWriter::start_upload() {
  upload_id_ = s3_.create_multipart_upload(bucket_, key_, options_.put);
  parts_ = std::make_unique<WorkQueue>(
      WorkQueue::Options{.threads = static_cast<unsigned>(options_.parts_in_flight),
                         .max_weight = static_cast<size_t>(options_.parts_in_flight)});
}

void S3MultipartWriter::submit_current() {
  if (upload_id_.empty()) {
    start_upload();
  }
  if (next_part_ > kMaxParts) {
    abort();
    throw Error(ErrorKind::kUsage, "upload", s3_url(bucket_, key_),
                fmt::format("the object needs more than {} parts of {} bytes", kMaxParts,
                            options_.part_size))
        .with_hint("raise the part size (MAXFILESIZE splits output into several objects)");
  }
  const int number = next_part_++;
  try {
    // Bounded memory: waits for a slot before handing over another part.
    parts_->submit(
        [this, number, data = std::move(current_)](unsigned) mutable {
          std::string etag = s3_.upload_part(bucket_, key_, upload_id_, number,
                                             std::string_view(data.data(), data.size()));
          std::lock_guard lock(mu_);
          done_.push_back({number, std::move(etag)});
          free_buffers_.push_back(std::move(data));
        },
        1);
  } catch (...) {
    rethrow_failure();
  }
  std::vector<char> next;
  {
    std::lock_guard lock(mu_);
    if (!free_buffers_.empty()) {
      next = std::move(free_buffers_.back());
      free_buffers_.pop_back();
    }
  }
  next.clear();
  next.reserve(options_.part_size);
  current_ = std::move(next);
}

void S3MultipartWriter::rethrow_failure() {
  std::exception_ptr failure = parts_ ? parts_->failure() : nullptr;
  if (!failure) {
    failure = std::current_exception();
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
  if (upload_id_.empty() && !sealed_) {
    // Smaller than one part: one PutObject, no multipart upload to clean up.
    UploadResult result;
    result.bytes = bytes_;
    result.etag = s3_.put_object(bucket_, key_, std::string_view(current_.data(), current_.size()),
                                 options_.put);
    finished_ = true;
    current_ = {};
    return result;
  }
  if (!sealed_) {
    seal();
  }
  return complete(options_.put.if_none_match);
}

std::uint64_t S3MultipartWriter::seal() {
  if (sealed_) {
    return bytes_;
  }
  if (finished_ || aborted_) {
    throw Error(ErrorKind::kOther, "upload", s3_url(bucket_, key_), "sealed after finish/abort");
  }
  if (upload_id_.empty() && options_.hold_budget) {
    // Smaller than one part: kept in memory if the budget allows, sent by complete().
    const std::size_t n = std::max<std::size_t>(1, current_.size());
    std::size_t left = options_.hold_budget->load();
    while (left >= n && !options_.hold_budget->compare_exchange_weak(left, left - n)) {
    }
    if (left >= n) {
      held_ = n;
      current_.shrink_to_fit();
      sealed_ = true;
      return bytes_;
    }
  }
  if (!current_.empty() || upload_id_.empty()) {
    submit_current();  // the last part, or the only one (of any size, even empty)
  }
  try {
    parts_->wait();
  } catch (...) {
    rethrow_failure();
  }
  parts_.reset();  // the workers are done
  sealed_ = true;
  free_buffers_.clear();
  current_ = {};
  return bytes_;
}

UploadResult S3MultipartWriter::complete(bool if_none_match) {
  if (!sealed_ || finished_ || aborted_) {
    throw Error(ErrorKind::kOther, "upload", s3_url(bucket_, key_),
                "completed before seal() or after finish/abort");
  }
  UploadResult result;
  result.bytes = bytes_;
  if (held_ > 0) {
    PutOptions put = options_.put;
    put.if_none_match = if_none_match;
    try {
      result.etag =
          s3_.put_object(bucket_, key_, std::string_view(current_.data(), current_.size()), put);
    } catch (...) {
      abort();  // nothing was uploaded: only the memory is given back
      throw;
    }
    release_hold();
    finished_ = true;
    return result;
  }
  std::sort(done_.begin(), done_.end(), [](const CompletedPart& a, const CompletedPart& b) {
    return a.part_number < b.part_number;
  });
  try {
    result.etag = s3_.complete_multipart_upload(bucket_, key_, upload_id_, done_, if_none_match);
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
  return result;
}

void S3MultipartWriter::abort() {
  if (aborted_ || finished_) {
    return;
  }
  aborted_ = true;
  release_hold();
  if (parts_) {
    parts_->drop_pending();  // parts not yet started are dropped; waits for those in progress
    parts_.reset();
  }
  current_ = {};
  free_buffers_.clear();
  if (!upload_id_.empty()) {
    s3_.abort_multipart_upload(bucket_, key_, upload_id_);
  }
}

void S3MultipartWriter::release_hold() {
  if (held_ > 0 && options_.hold_budget) {  // held_ is only set with a budget
    options_.hold_budget->fetch_add(held_);
    held_ = 0;
    current_ = {};
  }
}

}  // namespace cu::aws
