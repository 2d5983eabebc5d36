#pragma once
// engine::StreamPool — the workers behind both routers (engine/router.h): a WorkQueue
// (base/work_queue.h) with one compressor per worker thread, writing FileStreams each of
// which gets its blocks and batches in order from one worker at a time (a strand per
// stream). Submitting blocks while the queue holds its limit waits; a worker's failure is
// rethrown by the next submit or wait(); destroying the pool drops what is queued (a dropped
// stream aborts its object) and joins.
//
//   StreamPool pool(threads, codec, max_weight);
//   StreamPool::Stream s{std::make_shared<FileStream>(files, prefix, 0, 0)};
//   pool.write_block(s, std::move(block), rows, /*weight=*/block.size());
//   pool.close(s);                            // the stream's last file is finished in order
//   pool.wait();

#include <memory>
#include <string>
#include <vector>

#include "base/work_queue.h"
#include "engine/file_stream.h"
#include "format/column_batch.h"
#include "format/compress.h"

namespace cu::engine {

class StreamPool {
 public:
  struct Stream {
    std::shared_ptr<FileStream> files;  // null once closed
    WorkQueue::Strand strand;
  };

  StreamPool(unsigned threads, unload::Compression codec, size_t max_weight)
      : comps_(make_comps(threads, codec)),
        queue_({.threads = threads, .max_weight = max_weight}) {}

  void write_block(Stream& s, std::string block, uint64_t rows, size_t weight) {
    queue_.submit(
        s.strand,
        [f = s.files.get(), block = std::move(block), rows, this](unsigned worker) {
          f->write_block(block, rows, *comps_[worker]);
        },
        weight);
  }
  void write_batch(Stream& s, std::shared_ptr<const format::ColumnBatch> batch, size_t weight) {
    queue_.submit(
        s.strand,
        [f = s.files.get(), batch = std::move(batch)](unsigned) { f->write_batch(*batch); },
        weight);
  }
  // Finishes the stream's last file after its queued blocks. The task owns the FileStream
  // from then on: it is freed (or, dropped, aborted) there.
  void close(Stream& s) {
    queue_.submit(
        s.strand, [f = std::move(s.files)](unsigned) { f->finish(); }, 0);
  }
  void wait() { queue_.wait(); }

  // A batch's weight: its strings and ~17 bytes per value.
  static size_t weight_of(const format::ColumnBatch& b) {
    return b.arena_bytes() + b.num_rows() * b.num_columns() * 17;
  }

 private:
  static std::vector<std::unique_ptr<format::BlockCompressor>> make_comps(
      unsigned threads, unload::Compression codec) {
    std::vector<std::unique_ptr<format::BlockCompressor>> out;
    for (unsigned i = 0; i < std::max(1u, threads); ++i) {
      out.push_back(std::make_unique<format::BlockCompressor>(codec));
    }
    return out;
  }

  std::vector<std::unique_ptr<format::BlockCompressor>> comps_;
  WorkQueue queue_;  // last: joined (its tasks dropped) before the compressors go
};

}  // namespace cu::engine
