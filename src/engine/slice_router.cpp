// The slice router (engine/router.h): one lane whose full blocks go round-robin to N slice
// streams (`0000_part_00`, `0001_part_00`, …; PARALLEL OFF is one stream, `000`, `001`, …),
// written by N workers, at most 4 blocks per slice queued or being written.
#include <memory>

#include "engine/router.h"
#include "engine/stream_pool.h"

namespace cu::engine {
namespace {

class SliceRouter final : public Router, private Lane {
 public:
  SliceRouter(RunFiles& files, const std::string& prefix, const SliceRouterOptions& o)
      : Lane(o.block_bytes),
        files_(files),
        streams_(std::max(1u, o.slices)),
        pool_(std::max(1u, o.slices), files.settings().naming.compression,
              kBlocksPerSlice * std::max(1u, o.slices)) {
    for (unsigned i = 0; i < streams_.size(); ++i) {
      streams_[i].files = std::make_shared<FileStream>(files, prefix, i, 0);
    }
    text_.reserve(block_bytes_ + (64 << 10));
  }

  Lane& lane(const std::string&) override { return *this; }

  void add_typed_row(const format::ColumnBatch& b, size_t r,
                     const std::vector<size_t>& keep) override {
    // Not used without PARTITION BY (whole batches come through add_batch); kept correct.
    auto one = std::make_shared<format::ColumnBatch>(files_.settings().parquet_columns);
    for (size_t j = 0; j < keep.size(); ++j) {
      copy_value(b.column(keep[j]), r, one->column(j));
    }
    pool_.write_batch(next(), std::move(one), 1);
  }
  void add_batch(const format::ColumnBatch& b) override {
    pool_.write_batch(next(), std::make_shared<format::ColumnBatch>(b), 1);
  }

  void finish() override {
    if (rows_ > 0) {
      flush_text();
    }
    for (size_t i = 0; i < streams_.size(); ++i) {
      pool_.close(streams_[i]);
    }
    pool_.wait();
  }

 private:
  static constexpr size_t kBlocksPerSlice = 4;  // 3 waiting and 1 being written

  void flush_text() override {
    std::string block = std::move(text_);
    uint64_t rows = rows_;
    text_ = std::string();
    text_.reserve(block_bytes_ + (64 << 10));
    rows_ = 0;
    pool_.write_block(next(), std::move(block), rows, 1);
  }
  StreamPool::Stream& next() {
    StreamPool::Stream& s = streams_[next_];
    next_ = (next_ + 1) % streams_.size();
    return s;
  }

  RunFiles& files_;
  size_t next_ = 0;
  std::vector<StreamPool::Stream> streams_;
  StreamPool pool_;  // last: stopped before the streams go
};

}  // namespace

std::unique_ptr<Router> make_slice_router(RunFiles& files, const std::string& prefix,
                                          const SliceRouterOptions& options) {
  return std::make_unique<SliceRouter>(files, prefix, options);
}

}  // namespace cu::engine
