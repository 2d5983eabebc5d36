// The partition router (engine/router.h): one stream of files per partition, in the rows'
// arrival order, with memory bounded however many partitions there are. The first
// `max_open` partitions seen get an open FileStream each; the rows of every later one wait
// in a PartitionSpool (one local temporary file) and are written partition after partition
// by finish(). Either way a partition's rows pass through the same block and batch logic
// in the same order, so names and bytes are those of a run with a file open for every
// partition. Full blocks (and Parquet batches of 8,192 rows) are written by the pool's
// workers, one partition's in order; at most 32 MB of them wait.
#include <memory>
#include <unordered_map>

#include "base/log.h"
#include "engine/partition_spool.h"
#include "engine/router.h"
#include "engine/stream_pool.h"

namespace cu::engine {
namespace {

constexpr size_t kPoolBytes = 32ull << 20;
constexpr size_t kBatchRows = 8192;

// A partition with an open FileStream: blocks and batches go to the pool as they fill.
class OpenLane final : public Lane {
 public:
  OpenLane(RunFiles& files, StreamPool& pool, StreamPool::Stream& stream, size_t block_bytes)
      : Lane(block_bytes), files_(files), pool_(pool), stream_(stream) {}

  void add_typed_row(const format::ColumnBatch& b, size_t r,
                     const std::vector<size_t>& keep) override {
    format::ColumnBatch& batch = open_batch();
    for (size_t j = 0; j < keep.size(); ++j) {
      copy_value(b.column(keep[j]), r, batch.column(j));
    }
    added_typed();
  }
  // A row as the spool keeps it (format/row_record.h).
  void add_record(std::string_view record) {
    format::read_row_record(record, open_batch());
    added_typed();
  }
  // Hands what is left to the pool, then the finish of the partition's last file (which
  // owns the FileStream from then on); frees the partition's memory here.
  void close() {
    if (rows_ > 0) {
      flush_text();
    }
    if (batch_ && batch_->num_rows() > 0) {
      flush_batch();
    }
    pool_.close(stream_);
    batch_.reset();
    std::string().swap(text_);
  }

 private:
  format::ColumnBatch& open_batch() {
    if (!batch_) {
      batch_ = std::make_shared<format::ColumnBatch>(files_.settings().parquet_columns);
    }
    return *batch_;
  }
  void added_typed() {
    if (batch_->num_rows() >= kBatchRows) {
      flush_batch();
    }
  }
  void flush_batch() {
    size_t weight = StreamPool::weight_of(*batch_);
    pool_.write_batch(stream_, std::move(batch_), weight);
    batch_.reset();
  }
  void flush_text() override {
    if (text_.empty()) {
      return;
    }
    size_t weight = text_.size();
    pool_.write_block(stream_, std::move(text_), rows_, weight);
    text_ = std::string();
    text_.reserve(block_bytes_ + block_bytes_ / 4);
    rows_ = 0;
  }

  RunFiles& files_;
  StreamPool& pool_;
  StreamPool::Stream& stream_;
  std::shared_ptr<format::ColumnBatch> batch_;
};

// A partition beyond the open-file bound: each row goes to the spool as it comes.
class SpoolLane final : public Lane {
 public:
  SpoolLane(PartitionSpool& spool, size_t id) : Lane(0), spool_(spool), id_(id) {}
  void add_typed_row(const format::ColumnBatch& b, size_t r,
                     const std::vector<size_t>& keep) override {
    record_.clear();
    format::append_row_record(b, r, keep, record_);
    spool_.append(id_, record_);
  }
  size_t id() const { return id_; }

 private:
  void flush_text() override {
    spool_.append(id_, text_);
    text_.clear();
    rows_ = 0;
  }
  PartitionSpool& spool_;
  size_t id_;
  std::string record_;
};

class PartitionRouter final : public Router {
 public:
  PartitionRouter(RunFiles& files, const PartitionRouterOptions& o)
      : files_(files),
        options_(o),
        spool_({.dir = o.spool_dir, .memory_bytes = o.spool_memory}),
        pool_(o.threads, files.settings().naming.compression, kPoolBytes) {
    options_.max_open = std::max(1u, o.max_open);
  }

  Lane& lane(const std::string& folder) override {
    auto it = parts_.find(folder);
    if (it != parts_.end()) {
      return *it->second.lane;
    }
    it = parts_.emplace(folder, Part{}).first;
    Part& p = it->second;
    if (open_ < options_.max_open) {
      open(it->first, p);
      ++open_;
    } else {
      p.lane = std::make_unique<SpoolLane>(spool_, spool_.add_partition());
      spooled_.push_back(&it->first);  // node-based map: the key's address is stable
    }
    return *p.lane;
  }

  void finish() override {
    for (auto& [folder, p] : parts_) {
      if (auto* l = dynamic_cast<OpenLane*>(p.lane.get())) {
        l->close();
      }
    }
    if (!spooled_.empty()) {
      cu::log::info(
          "PARTITION BY: {} partition(s) beyond the {} open file(s) were held in a temporary "
          "file ({} bytes) and are written now",
          spooled_.size(), options_.max_open, spool_.spilled_bytes());
    }
    for (const std::string* folder : spooled_) {
      Part& p = parts_.at(*folder);
      size_t id = static_cast<SpoolLane&>(*p.lane).id();
      OpenLane& l = open(*folder, p);
      if (files_.settings().parquet) {
        spool_.replay(id, [&](std::string_view rec) { l.add_record(rec); });
      } else {
        spool_.replay(id, [&](std::string_view row) {
          l.text().append(row);
          l.added(1);
        });
      }
      l.close();
    }
    pool_.wait();
  }

 private:
  struct Part {
    StreamPool::Stream stream;
    std::unique_ptr<Lane> lane;
  };
  OpenLane& open(const std::string& folder, Part& p) {
    p.stream.files = std::make_shared<FileStream>(files_, folder, 0, 0);
    auto lane = std::make_unique<OpenLane>(files_, pool_, p.stream, options_.block_bytes);
    OpenLane& l = *lane;
    p.lane = std::move(lane);
    return l;
  }

  RunFiles& files_;
  PartitionRouterOptions options_;
  unsigned open_ = 0;
  PartitionSpool spool_;
  std::unordered_map<std::string, Part> parts_;
  std::vector<const std::string*> spooled_;  // in order of first row
  StreamPool pool_;  // last: stopped before the Parts (and their strands) go
};

}  // namespace

std::unique_ptr<Router> make_partition_router(RunFiles& files,
                                              const PartitionRouterOptions& options) {
  return std::make_unique<PartitionRouter>(files, options);
}

}  // namespace cu::engine
