#pragma once
// S3MultipartWriter: a streaming upload of unknown length to one S3 object. write() fills a
// part buffer; each full part is uploaded by a small pool of worker threads (a
// cu::WorkQueue) while the caller keeps writing, so memory stays bounded by part_size ×
// (parts_in_flight + 1) (the parts being uploaded plus the one being filled). finish()
// uploads the last part and completes the upload; an object smaller than one part goes as a
// single PutObject instead. RAII: a writer destroyed without finish() — an exception
// unwinding, a failed part — aborts the multipart upload, so no upload (and no storage
// bill) is left behind.
//
//   S3MultipartWriter out(s3, "bucket", "unload/part-0000.csv.gz",
//                         {.part_size = 16 << 20, .parts_in_flight = 4});
//   while (auto chunk = next()) out.write(*chunk);
//   UploadResult r = out.finish();
//
// In two steps, for a commit protocol (sink/object_store.h): seal() uploads every byte as
// parts of a multipart upload (always one, even for a small or empty object, unless the
// hold budget below keeps it in memory) and nothing is visible yet; complete() makes the
// object appear, `if_none_match` refusing to replace one (S3 answers 412
// PreconditionFailed). abort() in between leaves nothing.
//
// Parts are retried by the client (same bytes, same part number: safe). When a part still
// fails, the next write()/finish() throws that error after aborting the upload.

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aws/s3.h"
#include "base/work_queue.h"

namespace cu::aws {

struct MultipartWriterOptions {
  std::size_t part_size = 8u << 20;  // ≥ 5 MiB (S3's minimum for all parts but the last)
  int parts_in_flight = 4;           // concurrent part uploads (worker threads)
  PutOptions put{};
  // Bytes that objects smaller than one part may keep in memory when sealed, shared by the
  // writers of one store (null: none). Such an object is not uploaded by seal(): complete()
  // sends it as one PutObject (conditional like the complete) and abort() just drops it —
  // one request instead of three, and nothing left in S3 by a crash.
  std::atomic<std::size_t>* hold_budget = nullptr;
};

struct UploadResult {
  std::string etag{};
  std::uint64_t bytes = 0;
  int parts = 0;  // 0 when sent as a single PutObject
};

class S3MultipartWriter {
 public:
  S3MultipartWriter(S3Client& s3, std::string bucket, std::string key,
                    MultipartWriterOptions options = {});
  ~S3MultipartWriter();  // aborts an unfinished upload; never throws
  S3MultipartWriter(const S3MultipartWriter&) = delete;
  S3MultipartWriter& operator=(const S3MultipartWriter&) = delete;

  void write(std::string_view data);
  UploadResult finish();
  // Uploads what is buffered as the last part (starting the multipart upload if none was:
  // one part, of any size, for a small object) and waits for every part; returns the bytes.
  std::uint64_t seal();
  // After seal(): completes the upload. Throws the AwsError (412 PreconditionFailed when
  // `if_none_match` and the key exists) after aborting the upload.
  UploadResult complete(bool if_none_match);
  // Aborts the upload (if one was started) and stops the workers. Idempotent. Throws only
  // when S3 refuses the abort; the destructor swallows and logs that.
  void abort();

  std::uint64_t bytes_written() const { return bytes_; }
  const std::string& upload_id() const { return upload_id_; }

 private:
  void submit_current();
  void rethrow_failure();  // aborts and throws the failed part's error
  void start_upload();
  void release_hold();

  S3Client& s3_;
  std::string bucket_, key_;
  MultipartWriterOptions options_;
  std::vector<char> current_{};
  std::uint64_t bytes_ = 0;
  int next_part_ = 1;
  std::string upload_id_{};
  bool sealed_ = false;
  std::size_t held_ = 0;  // sealed in memory: these bytes of the hold budget are ours
  bool finished_ = false;
  bool aborted_ = false;

  std::mutex mu_;                                  // the two below, filled by the workers
  std::vector<CompletedPart> done_{};              // parts uploaded
  std::vector<std::vector<char>> free_buffers_{};  // part buffers to reuse
  std::unique_ptr<WorkQueue> parts_;               // started with the multipart upload
};

}  // namespace cu::aws
