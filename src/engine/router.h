#pragma once
// engine::Router — where the COPY reader (engine/copy_reader.h) puts encoded rows: into the
// files of the slices (PARALLEL ON/OFF, no PARTITION BY) or of the partitions. Both
// routers hand full blocks to one cu::WorkQueue (base/work_queue.h) whose workers
// compress and write them, each stream's blocks in order by one worker at a time, so the
// reader goes on reading while files are written and memory stays bounded.
//
//   auto router = make_slice_router(files, "out/x_", {.slices = 4, …});  // or
//   auto router = make_partition_router(files, {…});
//   Lane& lane = router->lane(folder);       // folder: the partition's; ignored for slices
//   encoder.encode_row(row, lane.text());    // rows appended to the lane's block …
//   lane.added(1);                           // … then counted; a full block goes to a worker
//   router->finish();                        // everything written; rethrows a worker's failure
//
// A Lane collects the rows of one destination: encoded text (text, CSV, fixed width, JSON)
// in blocks of `block_bytes`, or typed rows (Parquet) in batches. The slice router has one
// lane (blocks go round-robin to the slices, PARALLEL OFF is one slice); the partition
// router has one per partition (its own FileStream, or the spool beyond the open-file bound:
// engine/partition_spool.h). Destroying a router before finish() drops the queued work and
// aborts every object not finished.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/file_stream.h"
#include "format/row_record.h"

namespace cu::engine {

class Lane {
 public:
  explicit Lane(size_t block_bytes) : block_bytes_(block_bytes) {}
  virtual ~Lane() = default;
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  // Encoded rows are appended here, then counted with added().
  std::string& text() { return text_; }
  void added(uint64_t rows) {
    rows_ += rows;
    if (text_.size() >= block_bytes_) {
      flush_text();
    }
  }
  // Row `r` of `b`, the columns `keep` (Parquet).
  virtual void add_typed_row(const format::ColumnBatch& b, size_t r,
                             const std::vector<size_t>& keep) = 0;
  // A whole batch, every column (Parquet without PARTITION BY).
  virtual void add_batch(const format::ColumnBatch& b);

 protected:
  // Hands text() and its row count on, and leaves both empty.
  virtual void flush_text() = 0;
  std::string text_;
  uint64_t rows_ = 0;
  size_t block_bytes_;
};

class Router {
 public:
  virtual ~Router() = default;
  // The lane of `folder` (the partition's prefix; the slice router has one lane for all).
  virtual Lane& lane(const std::string& folder) = 0;
  // Writes what the lanes hold and finishes every file; rethrows the first failure.
  virtual void finish() = 0;
};

struct SliceRouterOptions {
  unsigned slices = 1;
  size_t block_bytes = 1u << 20;
};
std::unique_ptr<Router> make_slice_router(RunFiles& files, const std::string& prefix,
                                          const SliceRouterOptions& options);

struct PartitionRouterOptions {
  unsigned max_open = 4;  // partitions with an open file; the rest wait in the spool
  size_t block_bytes = 256u << 10;
  unsigned threads = 2;
  std::string spool_dir;  // empty: $TMPDIR or /tmp
  uint64_t spool_memory = 32ull << 20;
};
std::unique_ptr<Router> make_partition_router(RunFiles& files,
                                              const PartitionRouterOptions& options);

// Copies row `r` of `src` to the end of `dst` (same column type).
void copy_value(const format::Column& src, size_t r, format::Column& dst);

}  // namespace cu::engine
