#pragma once
// ObjectStore — where an unload's objects go, seen the same way whether the destination is
// an S3 bucket or a local folder: list what exists under a prefix, open an object and
// stream its bytes, make it appear whole or abort it (nothing appears), delete keys. The
// engine (engine/unload.h) writes every format through this seam, so S3 and a folder get
// the same names and the same bytes.
//
//   auto dest = sink::parse_destination("s3://bucket/out/sales_");   // or "/data/out/sales_"
//   std::unique_ptr<sink::ObjectStore> store =
//       dest.s3 ? sink::make_s3_store(s3, dest.bucket) : sink::make_folder_store();
//   auto w = store->open(dest.prefix + "000", {});
//   w->write(bytes);
//   uint64_t size = w->seal();               // stored, not visible
//   w->publish(/*replace=*/false);           // visible; or w->abort(): nothing, nothing open
//   store->remove({dest.prefix + "000"});
//
// The commit protocol (docs/formats.md "Commit") is built on the two steps: the engine
// seals every file of a run while it reads the query, and publishes them only when the
// whole query was read — data files first, the manifest last. Until publish() nothing is
// visible under the key: S3 holds the bytes as an incomplete multipart upload (an object of
// any size is one, even a small or empty one), a folder as a hidden temporary file
// (`.crossunload-<pid>-<n>-<name>`, which list() never shows). abort() — or destroying
// the writer — removes them: no object, no open upload, no temporary file, and no
// s3:DeleteObject needed. A crash leaves at most incomplete uploads (S3; a lifecycle rule
// or `teardown` aborts them) or hidden temporary files (a folder), never objects.
// publish(false) never replaces an object of the same key (S3 `If-None-Match: *` on
// CompleteMultipartUpload; a folder's no-replace rename): a key another writer published
// first is cu::Error(kDestination, "commit", …) and this writer's bytes are dropped.
//
// Keys: for S3 the object key (after `s3://bucket/`); for a folder the file path as given
// (relative or absolute). url(key) is what manifests and reports show: `s3://bucket/key`,
// or the file's absolute path. Errors are cu::Error(kDestination or kAccess, step, url, …).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "unload/naming.h"

namespace cu::aws {
class S3Client;
}

namespace cu::sink {

struct StoredObject {
  std::string key;
  uint64_t size = 0;
};

// Server-side encryption of each object written (S3 only; a folder ignores it). UNLOAD
// always encrypts: SSE-S3 unless KMS_KEY_ID asks for SSE-KMS (docs/redshift-unload.md#s1.5).
struct WriteOptions {
  bool sse_kms = false;
  std::string kms_key_id;    // with sse_kms; empty = the account's aws/s3 key
  std::string content_type;  // empty = the store's default
};

// One object being written. Not thread-safe: one thread at a time uses it (write and seal
// on one thread, then publish or abort from any other is fine).
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;  // implementations abort when not published
  virtual void write(std::string_view bytes) = 0;
  // Stores every byte written without making the object visible (S3: the last part
  // uploaded; folder: the temporary file closed); returns its size in bytes. A store may
  // finish storing in the background (S3 does: a small file's upload is network round
  // trips, not work): settle() waits for that and throws its error.
  virtual uint64_t seal() = 0;
  // After seal(): returns once every byte is stored; throws what storing them failed with
  // (the writer is then aborted). publish() settles first; the engine settles every file
  // once the query is read, before its commit phase, so a failed upload publishes nothing.
  virtual void settle() {}
  // After seal(): makes the object visible under its key, whole. `replace` false: refused
  // (kDestination, nothing of this writer left) when the key exists.
  virtual void publish(bool replace) = 0;
  // write…, then visible at once, replacing: for an object outside a run's commit.
  virtual uint64_t commit() = 0;
  // Drops what was written (multipart upload aborted / temporary file removed); after
  // publish() it does nothing. Never throws: a failure (S3 unreachable) is counted in the
  // store's abort_failures().
  virtual void abort() noexcept = 0;
  virtual uint64_t bytes_written() const = 0;
  virtual const std::string& key() const = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // Every object whose key starts with `prefix` (folders are descended), sorted by key.
  virtual std::vector<StoredObject> list(const std::string& prefix) = 0;
  // Starts an object; it appears only on commit(). Safe to call from several threads.
  virtual std::unique_ptr<ObjectWriter> open(const std::string& key,
                                             const WriteOptions& options) = 0;
  // Deletes these keys (missing ones are not an error).
  virtual void remove(const std::vector<std::string>& keys) = 0;
  // "s3://bucket/key" or the path.
  virtual std::string url(const std::string& key) const = 0;
  // A multipart-capable store may hold bytes per open writer; the engine sizes its pools
  // by this (bytes of memory one open writer can hold at most).
  virtual uint64_t writer_memory() const = 0;
  // How many of this store's writers could not abort (an S3 upload left incomplete, a
  // temporary file not removed): what a failed run may leave despite its clean-up. Never
  // visible as objects; `crossunload teardown` and the bucket's lifecycle rule remove the
  // uploads.
  virtual std::size_t abort_failures() const { return 0; }
};

// Writes files under temporary hidden names (`.crossunload-<pid>-<n>-<name>`) in the target
// folder and renames them on publish; creates folders on the way (and removes those it
// created that are left empty).
std::unique_ptr<ObjectStore> make_folder_store();

// Objects of one bucket through `s3` (which must outlive the store): streaming multipart
// uploads (parts uploaded concurrently, RAII abort) completed on publish, DeleteObjects in
// batches. seal() hands the last part's upload (for a small file: starting the multipart
// upload and its one part, two round trips) to the store's own upload threads and returns,
// so the engine's workers go on compressing; settle() waits for it.
struct S3StoreOptions {
  std::size_t part_size = 8u << 20;
  int parts_in_flight = 2;
  unsigned seal_threads = 8;  // uploads of sealed files in flight
  // What those may hold together, on top of writer_memory() per open writer; seal() waits
  // beyond it.
  std::size_t seal_bytes = 32u << 20;
  // Sealed files smaller than a part kept in memory until publish() sends each as one
  // conditional PutObject (one request instead of three; nothing in S3 until then); beyond
  // this many bytes together, a small file is a one-part multipart upload like any other.
  std::size_t hold_bytes = 32u << 20;
};
std::unique_ptr<ObjectStore> make_s3_store(aws::S3Client& s3, std::string bucket,
                                           S3StoreOptions options = {});

// The folder part and the name part of a local path prefix: "a/b/x_" -> {"a/b", "x_"},
// "a/b/" -> {"a/b", ""}, "x_" -> {".", "x_"}, "/x" -> {"/", "x"}.
std::pair<std::string, std::string> split_prefix(std::string_view prefix);

// TO parsed: `s3://bucket/prefix` or a local path prefix. Throws cu::Error(kUsage) for an
// empty TO, `s3://` without a bucket, or another scheme (unload::parse_destination).
unload::Destination parse_destination(std::string_view to);

}  // namespace cu::sink
