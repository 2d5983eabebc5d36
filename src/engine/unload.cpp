#include "engine/unload.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "base/error.h"
#include "base/log.h"
#include "engine/partition_spool.h"
#include "engine/value_class.h"
#include "format/compress.h"
#include "format/encoder.h"
#include "format/fixedwidth_encoder.h"
#include "format/json_writer.h"
#include "format/parquet_writer.h"
#include "format/row_record.h"
#include "format/text_copy_row.h"
#include "pg/copy_binary_decoder.h"
#include "unload/naming.h"
#include "unload/validate.h"

namespace cu::engine {
namespace {

// Calls `row` with each complete line of a text COPY stream that arrives in arbitrary
// chunks (libpq hands over one row per CopyData; any other split works too), keeping an
// incomplete tail in `pending` for the next chunk.
template <typename Row>
void for_each_copy_line(std::string& pending, std::string_view chunk, Row& row) {
  if (!pending.empty()) {
    pending.append(chunk);
    chunk = pending;
  }
  size_t pos = 0;
  while (pos < chunk.size()) {
    size_t nl = chunk.find('\n', pos);
    if (nl == std::string_view::npos) {
      break;
    }
    row(chunk.substr(pos, nl - pos));
    pos = nl + 1;
  }
  pending = std::string(chunk.substr(pos));
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

constexpr uint64_t kMB = 1ull << 20;
constexpr uint64_t kDefaultMaxFileSize = 6200 * kMB;  // 6.2 GB (spec §4.4)
constexpr uint64_t kParquetUnit = 32 * kMB;

[[noreturn]] void unsupported(const std::string& what) {
  throw Error(ErrorKind::kUsage, "validate options", what,
              what + " is not supported by crossunload's engine");
}

// What every file stream of one run shares: the store, naming, options, and the record of
// committed objects (for the result, the manifest, and cleanup on failure).
struct RunContext {
  sink::ObjectStore& store;
  const unload::UnloadSpec& spec;
  unload::ObjectNaming naming;
  sink::WriteOptions write_options;
  uint64_t max_file_size = kDefaultMaxFileSize;
  std::string header_bytes;  // the (uncompressed) header line, empty without HEADER
  std::vector<format::ColumnType> parquet_columns;
  format::ParquetOptions parquet_options;

  std::mutex mu;
  std::vector<UnloadedFile> committed;
  std::vector<sink::ObjectWriter*> open;  // for abort on failure

  void add_open(sink::ObjectWriter* w) {
    std::lock_guard lock(mu);
    open.push_back(w);
  }
  void remove_open(sink::ObjectWriter* w) {
    std::lock_guard lock(mu);
    open.erase(std::remove(open.begin(), open.end(), w), open.end());
  }
  void add_committed(UnloadedFile f) {
    std::lock_guard lock(mu);
    committed.push_back(std::move(f));
  }
};

// format::ByteSink over an object writer (Parquet writes through it).
class WriterSink : public format::ByteSink {
 public:
  explicit WriterSink(sink::ObjectWriter& w) : w_(w) {}
  void write(std::string_view bytes) override { w_.write(bytes); }
  uint64_t bytes_written() const override { return w_.bytes_written(); }

 private:
  sink::ObjectWriter& w_;
};

// The files of one slice (or one partition's slice): part after part, each cut before
// MAXFILESIZE would be passed. Used by one thread at a time.
class FileStream {
 public:
  FileStream(RunContext& ctx, std::string prefix, unsigned slice, unsigned first_part)
      : ctx_(ctx), prefix_(std::move(prefix)), slice_(slice), part_(first_part) {}
  ~FileStream() { drop(); }
  FileStream(const FileStream&) = delete;
  FileStream& operator=(const FileStream&) = delete;

  // One block of encoded rows (uncompressed); compressed here as one member.
  void write_block(std::string_view data, uint64_t rows, format::BlockCompressor& comp) {
    std::string_view out = data;
    if (comp.codec() != unload::Compression::kNone) {
      scratch_.clear();
      comp.compress(data, scratch_);
      out = scratch_;
    }
    if (writer_ && rows_ > 0 && writer_->bytes_written() + out.size() > ctx_.max_file_size) {
      finish();
    }
    if (!writer_) {
      start(&comp);
    }
    writer_->write(out);
    rows_ += rows;
  }

  void write_batch(const format::ColumnBatch& batch) {
    if (parquet_ && rows_ > 0 && parquet_->estimated_file_size() >= ctx_.max_file_size) {
      finish();
    }
    if (!writer_) {
      start(nullptr);
    }
    parquet_->write(batch);
    rows_ += batch.num_rows();
  }

  // Ensures a file exists even without rows (zero-row unload).
  void touch(format::BlockCompressor* comp) {
    if (!writer_) {
      start(comp);
    }
  }

  // Commits the current file, if any.
  void finish() {
    if (!writer_) {
      return;
    }
    if (parquet_) {
      parquet_->close();
    }
    parquet_.reset();
    sink_.reset();
    uint64_t bytes = writer_->commit();
    ctx_.remove_open(writer_.get());
    ctx_.add_committed({writer_->key(), ctx_.store.url(writer_->key()), bytes, rows_});
    writer_.reset();
    rows_ = 0;
  }

  unsigned next_part() const { return part_; }

 private:
  void start(format::BlockCompressor* comp) {
    std::string key = unload::object_name(prefix_, slice_, part_++, ctx_.naming);
    writer_ = ctx_.store.open(key, ctx_.write_options);
    ctx_.add_open(writer_.get());
    rows_ = 0;
    if (ctx_.spec.format == unload::Format::kParquet) {
      sink_ = std::make_unique<WriterSink>(*writer_);
      parquet_ = std::make_unique<format::ParquetWriter>(ctx_.parquet_columns, *sink_,
                                                         ctx_.parquet_options);
    } else if (!ctx_.header_bytes.empty()) {
      if (comp && comp->codec() != unload::Compression::kNone) {
        std::string h;
        comp->compress(ctx_.header_bytes, h);
        writer_->write(h);
      } else {
        writer_->write(ctx_.header_bytes);
      }
    }
  }
  void drop() {
    parquet_.reset();
    sink_.reset();
    if (writer_) {
      ctx_.remove_open(writer_.get());
      writer_->abort();
    }
    writer_.reset();
  }

  RunContext& ctx_;
  std::string prefix_;
  unsigned slice_;
  unsigned part_;
  std::unique_ptr<sink::ObjectWriter> writer_;
  std::unique_ptr<WriterSink> sink_;
  std::unique_ptr<format::ParquetWriter> parquet_;
  uint64_t rows_ = 0;
  std::string scratch_;
};

// One block handed to a slice thread.
struct Block {
  std::string data;
  uint64_t rows = 0;
  std::unique_ptr<format::ColumnBatch> batch;  // Parquet
};

// A slice thread: takes blocks from a bounded queue, compresses and writes them.
class SliceWorker {
 public:
  SliceWorker(RunContext& ctx, const std::string& prefix, unsigned slice)
      : stream_(ctx, prefix, slice, 0), comp_(ctx.spec.compression) {
    thread_ = std::thread([this] { run(); });
  }
  ~SliceWorker() {
    close_queue();
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  SliceWorker(const SliceWorker&) = delete;
  SliceWorker& operator=(const SliceWorker&) = delete;

  // Blocks while the queue is full; throws the worker's failure.
  void push(Block b) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < kQueueDepth || failure_; });
    if (failure_) {
      std::rethrow_exception(failure_);
    }
    queue_.push_back(std::move(b));
    cv_.notify_all();
  }

  // Drains the queue, commits the last file (and an empty one when `touch`), joins.
  void finish(bool touch) {
    touch_ = touch;
    close_queue();
    thread_.join();
    if (failure_) {
      std::rethrow_exception(failure_);
    }
  }

  bool failed() {
    std::lock_guard lock(mu_);
    return failure_ != nullptr;
  }

 private:
  static constexpr size_t kQueueDepth = 3;

  void close_queue() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

  void run() {
    try {
      for (;;) {
        Block b;
        {
          std::unique_lock lock(mu_);
          cv_.wait(lock, [&] { return !queue_.empty() || closed_; });
          if (queue_.empty()) {
            break;
          }
          b = std::move(queue_.front());
          queue_.pop_front();
          cv_.notify_all();
        }
        if (b.batch) {
          stream_.write_batch(*b.batch);
        } else {
          stream_.write_block(b.data, b.rows, comp_);
        }
      }
      if (touch_) {
        stream_.touch(&comp_);
      }
      stream_.finish();
    } catch (...) {
      std::lock_guard lock(mu_);
      failure_ = std::current_exception();
      queue_.clear();
      cv_.notify_all();
    }
  }

  FileStream stream_;
  format::BlockCompressor comp_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Block> queue_;
  bool closed_ = false;
  bool touch_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

// Destination of encoded rows without partitions: blocks round-robin to the slices.
class SliceRouter {
 public:
  SliceRouter(RunContext& ctx, const std::string& prefix, unsigned slices) {
    for (unsigned i = 0; i < slices; ++i) {
      workers_.push_back(std::make_unique<SliceWorker>(ctx, prefix, i));
    }
  }
  void push(Block b) {
    workers_[next_]->push(std::move(b));
    next_ = (next_ + 1) % workers_.size();
    any_ = true;
  }
  // `failed`: the run is being abandoned, so no empty zero-row file is made for it.
  void finish(bool failed = false) {
    // Every worker is finished (and joined) even when one failed, then the first failure.
    std::exception_ptr first;
    for (size_t i = 0; i < workers_.size(); ++i) {
      try {
        workers_[i]->finish(i == 0 && !any_ && !failed);
      } catch (...) {
        if (!first) {
          first = std::current_exception();
        }
      }
    }
    if (first) {
      std::rethrow_exception(first);
    }
  }

 private:
  std::vector<std::unique_ptr<SliceWorker>> workers_;
  size_t next_ = 0;
  bool any_ = false;
};

// Copies row `r` of `src` to the end of `dst` (same column type).
void copy_value(const format::Column& src, size_t r, format::Column& dst) {
  using K = format::ValueKind;
  if (src.is_null(r)) {
    dst.append_null();
    return;
  }
  switch (src.type().kind) {
    case K::kFloat32:
    case K::kFloat64:
      dst.append_double(src.double_at(r));
      break;
    case K::kDecimal:
      dst.append_decimal(src.decimal_at(r));
      break;
    case K::kNumericText:
    case K::kText:
    case K::kJson:
    case K::kUuid:
    case K::kBytes:
      dst.append_bytes(src.bytes_at(r));
      break;
    default:
      dst.append_int(src.int_at(r));
  }
}

// Runs the partitions' block work (compression, Parquet encoding, writes and uploads) on
// worker threads while the caller goes on reading COPY. A FileStream is used by one thread
// at a time and its files must keep the rows' order, so each partition has a Strand: its
// tasks run one after the other, in submission order; different partitions run in
// parallel. Memory stays bounded: submit() blocks while the tasks waiting or running hold
// `max_bytes` or more. The first failure is rethrown by the next submit() or wait(), and
// the tasks still queued then are dropped (their FileStreams abort their objects).
class StrandPool {
 public:
  using Task = std::function<void(format::BlockCompressor&)>;
  struct Strand {
    std::deque<std::pair<Task, size_t>> tasks;  // with the bytes each one holds
    bool scheduled = false;
  };

  StrandPool(unsigned threads, unload::Compression codec, size_t max_bytes)
      : max_bytes_(max_bytes) {
    for (unsigned i = 0; i < std::max(1u, threads); ++i) {
      comps_.push_back(std::make_unique<format::BlockCompressor>(codec));
    }
    for (auto& c : comps_) {
      threads_.emplace_back([this, comp = c.get()] { run(*comp); });
    }
  }
  ~StrandPool() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_) {
      t.join();
    }
    for (Strand* s : ready_) {
      s->tasks.clear();
    }
  }
  StrandPool(const StrandPool&) = delete;
  StrandPool& operator=(const StrandPool&) = delete;

  void submit(Strand& s, Task task, size_t bytes) {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return held_ < max_bytes_ || failure_; });
    if (failure_) {
      std::rethrow_exception(failure_);
    }
    s.tasks.emplace_back(std::move(task), bytes);
    held_ += bytes;
    ++pending_;
    if (!s.scheduled) {
      s.scheduled = true;
      ready_.push_back(&s);
      work_cv_.notify_one();
    }
  }

  // Returns once every submitted task has run (or was dropped after a failure).
  void wait() {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return pending_ == 0; });
    if (failure_) {
      std::rethrow_exception(failure_);
    }
  }

 private:
  void run(format::BlockCompressor& comp) {
    std::unique_lock lock(mu_);
    for (;;) {
      work_cv_.wait(lock, [&] { return stop_ || !ready_.empty(); });
      if (stop_) {
        return;
      }
      Strand* s = ready_.front();
      ready_.pop_front();
      while (!s->tasks.empty() && !stop_) {
        auto [task, bytes] = std::move(s->tasks.front());
        s->tasks.pop_front();
        std::exception_ptr error;
        if (!failure_) {
          lock.unlock();
          try {
            task(comp);
          } catch (...) {
            error = std::current_exception();
          }
          task = nullptr;  // releases what the task held before the lock is taken again
          lock.lock();
        } else {
          lock.unlock();
          task = nullptr;  // a dropped close task aborts its partition's object here
          lock.lock();
        }
        if (error && !failure_) {
          failure_ = error;
        }
        held_ -= bytes;
        --pending_;
        done_cv_.notify_all();
      }
      s->scheduled = false;
    }
  }

  size_t max_bytes_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Strand*> ready_;
  size_t held_ = 0;
  size_t pending_ = 0;
  bool stop_ = false;
  std::exception_ptr failure_;
  std::vector<std::unique_ptr<format::BlockCompressor>> comps_;
  std::vector<std::thread> threads_;
};

// Partitioned output: one stream of files per partition, in the rows' arrival order, with
// memory bounded however many partitions there are. The first `max_open` partitions seen
// get an open FileStream each; rows of every later one wait in a PartitionSpool (local
// temporary file) and are written partition after partition by finish(). Either way a
// partition's rows pass through the same block/batch logic below in the same order, so
// names and bytes are those of a run with a file open for every partition.
class PartitionRouter {
 public:
  PartitionRouter(RunContext& ctx, unsigned max_open, size_t block_bytes,
                  PartitionSpoolOptions spool_options, unsigned threads)
      : ctx_(ctx),
        max_open_(std::max(1u, max_open)),
        block_bytes_(block_bytes),
        spool_(std::move(spool_options)),
        pool_(threads, ctx.spec.compression, kPoolBytes) {}

  // One encoded row (text, CSV, fixed width, JSON).
  void add_row(const std::string& folder, std::string_view encoded) {
    Part& p = get(folder);
    if (p.stream) {
      put_encoded(p, encoded);
    } else {
      spool_.append(p.spool_id, encoded);
    }
  }
  // Row `r` of `b`, columns `keep` (Parquet).
  void add_typed_row(const std::string& folder, const format::ColumnBatch& b, size_t r,
                     const std::vector<size_t>& keep) {
    Part& p = get(folder);
    if (p.stream) {
      if (!p.batch) {
        p.batch = std::make_unique<format::ColumnBatch>(ctx_.parquet_columns);
      }
      for (size_t j = 0; j < keep.size(); ++j) {
        copy_value(b.column(keep[j]), r, p.batch->column(j));
      }
      put_batch_row(p);
    } else {
      record_.clear();
      format::append_row_record(b, r, keep, record_);
      spool_.append(p.spool_id, record_);
    }
  }

  void finish() {
    for (auto& [folder, p] : parts_) {
      if (p.stream) {
        close(p);
      }
    }
    if (!spooled_.empty()) {
      cu::log::info(
          "PARTITION BY: {} partition(s) beyond the {} open file(s) were held in a temporary "
          "file ({} bytes) and are written now",
          spooled_.size(), max_open_, spool_.spilled_bytes());
    }
    const bool parquet = ctx_.spec.format == unload::Format::kParquet;
    for (const std::string* folder : spooled_) {
      Part& p = parts_.at(*folder);
      p.stream = std::make_unique<FileStream>(ctx_, *folder, 0, 0);
      if (parquet) {
        p.batch = std::make_unique<format::ColumnBatch>(ctx_.parquet_columns);
        spool_.replay(p.spool_id, [&](std::string_view rec) {
          format::read_row_record(rec, *p.batch);
          put_batch_row(p);
        });
      } else {
        spool_.replay(p.spool_id, [&](std::string_view row) { put_encoded(p, row); });
      }
      close(p);
    }
    pool_.wait();
  }

 private:
  static constexpr size_t kNotSpooled = static_cast<size_t>(-1);
  // What blocks and batches waiting for (or in) the workers may hold at once.
  static constexpr size_t kPoolBytes = 32ull << 20;
  struct Part {
    std::unique_ptr<FileStream> stream;  // set while the partition's files are written
    std::string buffer;                  // encoded rows not yet a block
    uint64_t rows = 0;
    std::unique_ptr<format::ColumnBatch> batch;  // Parquet rows not yet a batch
    size_t spool_id = kNotSpooled;
    StrandPool::Strand strand;  // the partition's queue of work for the pool
  };

  Part& get(const std::string& folder) {
    auto it = parts_.find(folder);
    if (it != parts_.end()) {
      return it->second;
    }
    it = parts_.emplace(folder, Part{}).first;
    Part& p = it->second;
    if (open_ < max_open_) {
      p.stream = std::make_unique<FileStream>(ctx_, folder, 0, 0);
      ++open_;
    } else {
      p.spool_id = spool_.add_partition();
      spooled_.push_back(&it->first);  // node-based map: the key's address is stable
    }
    return p;
  }
  void put_encoded(Part& p, std::string_view encoded) {
    p.buffer.append(encoded);
    ++p.rows;
    if (p.buffer.size() >= block_bytes_) {
      flush(p);
    }
  }
  void put_batch_row(Part& p) {
    if (p.batch->num_rows() >= kPartitionBatchRows) {
      submit_batch(p);
      p.batch = std::make_unique<format::ColumnBatch>(ctx_.parquet_columns);
    }
  }
  void submit_batch(Part& p) {
    const format::ColumnBatch& b = *p.batch;
    size_t bytes = b.arena_bytes() + b.num_rows() * b.num_columns() * 17;
    pool_.submit(
        p.strand,
        [s = p.stream.get(), batch = std::shared_ptr<format::ColumnBatch>(std::move(p.batch))](
            format::BlockCompressor&) { s->write_batch(*batch); },
        bytes);
  }
  void flush(Part& p) {
    if (p.buffer.empty()) {
      return;
    }
    size_t bytes = p.buffer.size();
    pool_.submit(
        p.strand,
        [s = p.stream.get(), block = std::move(p.buffer),
         rows = p.rows](format::BlockCompressor& comp) { s->write_block(block, rows, comp); },
        bytes);
    p.buffer = std::string();
    p.buffer.reserve(block_bytes_ + block_bytes_ / 4);
    p.rows = 0;
  }
  // Hands what is left to the pool, then the commit of the partition's last file, which
  // owns the FileStream from then on; frees the partition's memory here.
  void close(Part& p) {
    flush(p);
    if (p.batch && p.batch->num_rows() > 0) {
      submit_batch(p);
    }
    pool_.submit(
        p.strand,
        [s = std::shared_ptr<FileStream>(std::move(p.stream))](format::BlockCompressor&) {
          s->finish();
        },
        0);
    p.batch.reset();
    std::string().swap(p.buffer);
  }

  static constexpr size_t kPartitionBatchRows = 8192;
  RunContext& ctx_;
  unsigned max_open_;
  unsigned open_ = 0;
  size_t block_bytes_;
  PartitionSpool spool_;
  std::string record_;
  std::unordered_map<std::string, Part> parts_;
  std::vector<const std::string*> spooled_;  // in order of first row
  StrandPool pool_;  // after parts_: stopped and joined before the Parts (and Strands) go
};

// PostgreSQL's text of a real / double precision (float4out/float8out, PostgreSQL ≥ 12):
// the shortest digits that read back to the same value, in fixed notation when the decimal
// exponent e is -4 ≤ e < 6 (real) or < 15 (double precision), else d.ddde±XX; NaN and
// [-]Infinity spelled out. Partition folders use it so the binary COPY path (JSON, Parquet)
// names the same folders as the text path, which gets PostgreSQL's text itself.
std::string pg_float_text(double v, bool real) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "Infinity" : "-Infinity";
  }
  char buf[64];
  auto done = real ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v),
                                   std::chars_format::scientific)
                   : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(done.ptr - buf));  // -d.ddde±XX
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits(1, sci.front());
  if (e > 1) {
    digits.append(sci.substr(2, e - 2));
  }
  int exp = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= (real ? 6 : 15)) {
    out += digits.front();
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += exp < 0 ? "e-" : "e+";
    out += fmt::format("{:02d}", std::abs(exp));
  } else if (exp < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exp - 1), '0');
    out += digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out += digits;
    out.append(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out.append(digits, 0, static_cast<size_t>(exp) + 1);
    out += '.';
    out.append(digits, static_cast<size_t>(exp) + 1);
  }
  return out;
}

// A typed value as partition folders spell it (PostgreSQL's text forms, booleans as
// true/false as Hive writes them; docs/formats.md).
std::optional<std::string> partition_text(const format::Column& c, size_t r) {
  using K = format::ValueKind;
  if (c.is_null(r)) {
    return std::nullopt;
  }
  std::string s;
  switch (c.type().kind) {
    case K::kBool:
      return c.int_at(r) ? "true" : "false";
    case K::kInt16:
    case K::kInt32:
    case K::kInt64:
      return std::to_string(c.int_at(r));
    case K::kFloat32:
      return pg_float_text(c.double_at(r), true);
    case K::kFloat64:
      return pg_float_text(c.double_at(r), false);
    case K::kDecimal:
      format::append_decimal(c.decimal_at(r), c.type().scale, s);
      return s;
    case K::kDate:
      format::append_date(c.int_at(r), s);
      return s;
    case K::kTime:
      format::append_time(c.int_at(r), s);
      return s;
    case K::kTimestamp:
      format::append_timestamp(c.int_at(r), s);
      return s;
    case K::kTimestampTz:
      format::append_timestamp(c.int_at(r), s);
      return s + "+00";
    case K::kUuid: {
      auto b = c.bytes_at(r);
      static constexpr char kHex[] = "0123456789abcdef";
      for (size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
          s += '-';
        }
        s += kHex[static_cast<unsigned char>(b[i]) >> 4];
        s += kHex[static_cast<unsigned char>(b[i]) & 15];
      }
      return s;
    }
    case K::kBytes: {
      auto b = c.bytes_at(r);
      static constexpr char kHex[] = "0123456789abcdef";
      for (unsigned char ch : b) {
        s += kHex[ch >> 4];
        s += kHex[ch & 15];
      }
      return s;
    }
    default:
      return std::string(c.bytes_at(r));
  }
}

// Redshift's base type name and dimensions for MANIFEST VERBOSE.
nlohmann::ordered_json manifest_type(const SourceColumn& c) {
  nlohmann::ordered_json t;
  t["base"] = pg::type_name(c.type_oid);
  if ((c.type_oid == pg::oid::kVarchar || c.type_oid == pg::oid::kBpchar) && c.type_modifier >= 4) {
    t["length"] = c.type_modifier - 4;
  }
  if (c.type_oid == pg::oid::kNumeric && c.type_modifier >= 4) {
    t["precision"] = ((c.type_modifier - 4) >> 16) & 0xffff;
    t["scale"] = (c.type_modifier - 4) & 0xffff;
  }
  return t;
}

std::string not_empty_message(bool s3) {
  return s3 ? "Specified unload destination on S3 is not empty. Consider using a different "
              "bucket / prefix, manually removing the target files in S3, or using the "
              "ALLOWOVERWRITE option."
            : "Specified unload destination is not empty. Consider using a different prefix, "
              "manually removing the target files, or using the ALLOWOVERWRITE option.";
}

}  // namespace

std::string manifest_json(const std::vector<UnloadedFile>& files,
                          const std::vector<SourceColumn>& columns, bool verbose, bool header) {
  // Layout of Redshift's documented manifests (one entry per line); OPEN-18: readers parse
  // it as JSON, the whitespace is ours.
  std::string out = "{\n  \"entries\": [\n";
  uint64_t total_bytes = 0, total_rows = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    uint64_t records = f.rows + (header ? 1 : 0);
    total_bytes += f.bytes;
    total_rows += records;
    out += "    {\"url\":" + nlohmann::json(f.url).dump() +
           ", \"meta\": { \"content_length\": " + std::to_string(f.bytes);
    if (verbose) {
      out += ", \"record_count\": " + std::to_string(records);
    }
    out += " }}";
    out += i + 1 < files.size() ? ",\n" : "\n";
  }
  out += "  ]";
  if (verbose) {
    out += ",\n  \"schema\": {\n    \"elements\": [\n";
    for (size_t i = 0; i < columns.size(); ++i) {
      out += "      {\"name\": " + nlohmann::json(columns[i].name).dump() +
             ", \"type\": " + manifest_type(columns[i]).dump() + "}";
      out += i + 1 < columns.size() ? ",\n" : "\n";
    }
    out += "    ]\n  },\n";
    out += fmt::format(
        "  \"meta\": {{\n    \"content_length\": {},\n    \"record_count\": {}\n  }},\n",
        total_bytes, total_rows);
    out += "  \"author\": {\n    \"name\": \"Amazon Redshift\",\n    \"version\": \"1.0.0\"\n  }";
  }
  out += "\n}\n";
  return out;
}

UnloadResult run_unload(const unload::UnloadSpec& spec_in, CopySource& source,
                        sink::ObjectStore& store, const UnloadOptions& options) {
  auto start = Clock::now();
  unload::UnloadSpec spec = spec_in;
  unload::validate(spec, {.for_redshift = false});
  if (spec.master_symmetric_key) {
    unsupported("MASTER_SYMMETRIC_KEY");
  }
  const bool parquet = spec.format == unload::Format::kParquet;
  const bool json = spec.format == unload::Format::kJson;
  if (parquet && spec.compression != unload::Compression::kNone) {
    unsupported("GZIP/BZIP2/ZSTD with FORMAT PARQUET");
  }

  unload::Destination dest = sink::parse_destination(spec.destination);
  std::string prefix = dest.prefix;
  const bool partitioned = spec.partition_by.has_value();
  if (partitioned && !prefix.empty() && prefix.back() != '/') {
    prefix += '/';
  }

  UnloadResult result;
  auto t = Clock::now();
  std::vector<SourceColumn> columns = source.describe(spec.select);
  result.describe_seconds = seconds_since(t);

  // Partition keys and the columns that stay in the data.
  std::vector<size_t> part_idx;
  std::vector<bool> is_part(columns.size(), false);
  if (partitioned) {
    // Redshift's rules for keys (they exist, are of a key type, leave another column).
    std::vector<unload::ResultColumn> described;
    described.reserve(columns.size());
    for (const auto& c : columns) {
      described.push_back({c.name, pg::type_name(c.type_oid)});
    }
    unload::validate_partition_columns(spec, described);
    for (const auto& name : spec.partition_by->columns) {
      auto it = std::find_if(columns.begin(), columns.end(),
                             [&](const SourceColumn& c) { return c.name == name; });
      part_idx.push_back(static_cast<size_t>(it - columns.begin()));
      is_part[part_idx.back()] = true;
    }
  }
  auto kept = [&](size_t i) { return !is_part[i] || !partitioned || spec.partition_by->include; };

  RunContext ctx{store, spec, unload::ObjectNaming::of(spec), {}, {}, {}, {}, {}, {}, {}, {}};
  ctx.write_options.sse_kms = spec.kms_key_id.has_value();
  ctx.write_options.kms_key_id = spec.kms_key_id.value_or("");
  ctx.max_file_size = spec.max_file_size.value_or(kDefaultMaxFileSize);

  // Typed columns (JSON, Parquet) are checked before anything is written.
  std::vector<format::ColumnType> all_types;
  std::vector<format::ColumnType> data_types;
  std::unique_ptr<format::RowEncoder> encoder;
  std::unique_ptr<format::JsonWriter> json_writer;
  if (parquet || json) {
    std::vector<pg::ResultColumn> rc;
    rc.reserve(columns.size());
    for (const auto& c : columns) {
      rc.push_back({c.name, c.type_oid, c.type_modifier});
    }
    all_types = pg::describe_columns(rc);
    for (size_t i = 0; i < all_types.size(); ++i) {
      if (kept(i)) {
        data_types.push_back(all_types[i]);
      }
    }
    if (parquet) {
      format::parquet::check_columns(data_types);
      ctx.parquet_columns = data_types;
      if (spec.row_group_size) {
        ctx.parquet_options.row_group_size = *spec.row_group_size;
      }
      ctx.max_file_size = std::max(kParquetUnit, ctx.max_file_size / kParquetUnit * kParquetUnit);
    } else {
      json_writer = std::make_unique<format::JsonWriter>(data_types);
    }
  } else {
    format::DelimitedOptions o;
    o.format = spec.format == unload::Format::kCsv ? format::DelimitedFormat::kCsv
                                                   : format::DelimitedFormat::kText;
    if (spec.delimiter && !spec.delimiter->empty()) {
      o.delimiter = (*spec.delimiter)[0];
    }
    o.null_as = spec.null_as.value_or("");
    o.header = spec.header;
    o.escape = spec.escape;
    o.addquotes = spec.addquotes;
    format::validate(o);
    if (spec.fixedwidth) {
      o.format = format::DelimitedFormat::kFixedWidth;
    }
    std::vector<format::OutputColumn> out_cols;
    std::vector<size_t> out_idx;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (!kept(i)) {
        continue;
      }
      out_cols.push_back({columns[i].name, value_class_of(columns[i].type_oid)});
      out_idx.push_back(i);
    }
    if (spec.fixedwidth) {
      std::vector<std::string> names;
      names.reserve(columns.size());
      for (const auto& c : columns) {
        names.push_back(c.name);
      }
      std::vector<uint32_t> widths =
          format::resolve_fixed_widths(unload::parse_fixedwidth(*spec.fixedwidth), names, out_idx);
      for (size_t j = 0; j < out_cols.size(); ++j) {
        out_cols[j].width = widths[j];
        // Spec §1.4: VARBYTE (bytea) columns cannot be unloaded with FIXEDWIDTH.
        if (out_cols[j].value_class == format::ValueClass::kBinary) {
          throw Error(ErrorKind::kUsage, "validate options", out_cols[j].name,
                      fmt::format("UNLOAD varbyte column \"{}\" is not supported with FIXEDWIDTH",
                                  out_cols[j].name))
              .with_hint("cast it to text in the query (e.g. encode(col, 'hex'))");
        }
      }
    }
    encoder = format::make_delimited_encoder(o, out_cols);
    if (o.header) {
      encoder->encode_header(ctx.header_bytes);
    }
  }

  // Redshift's "not empty" rule, or CLEANPATH.
  std::vector<sink::StoredObject> existing = store.list(prefix);
  if (!existing.empty()) {
    if (spec.clean_path) {
      std::vector<std::string> keys;
      keys.reserve(existing.size());
      for (auto& o : existing) {
        keys.push_back(o.key);
      }
      store.remove(keys);
      cu::log::info("CLEANPATH: deleted {} object(s) under {}", keys.size(), store.url(prefix));
    } else if (!spec.allow_overwrite) {
      throw Error(ErrorKind::kDestination, "check destination", store.url(prefix),
                  not_empty_message(dest.s3))
          .with_hint(fmt::format("{} object(s) exist under it, the first {}", existing.size(),
                                 store.url(existing.front().key)));
    }
  }

  unsigned slices = 1;
  if (spec.is_parallel() && !partitioned) {
    slices = options.parallelism ? options.parallelism
                                 : std::max(2u, std::thread::hardware_concurrency());
  }
  result.slices = slices;
  // Partition files fill smaller blocks: many are open at once.
  const size_t partition_block = std::min<size_t>(options.block_bytes, 256 << 10);
  unsigned max_open = options.max_open_partitions;
  if (max_open == 0) {
    uint64_t per = store.writer_memory() + partition_block * 2 + (parquet ? 40 * kMB : 0);
    max_open = static_cast<unsigned>(std::clamp<uint64_t>((192 * kMB) / per, 4, 256));
  }

  const std::string copy_text = "COPY (\n" + spec.select + "\n) TO STDOUT";
  const std::string copy_binary = "COPY (\n" + spec.select + "\n) TO STDOUT (FORMAT binary)";

  t = Clock::now();
  try {
    if (!partitioned) {
      SliceRouter router(ctx, prefix, slices);
      try {
        if (encoder) {
          Block block;
          std::string pending;
          auto row = [&](std::string_view r) {
            encoder->encode_row(r, block.data);
            ++block.rows;
            if (block.data.size() >= options.block_bytes) {
              router.push(std::move(block));
              block = Block{};
              block.data.reserve(options.block_bytes + (64 << 10));
            }
          };
          block.data.reserve(options.block_bytes + (64 << 10));
          source.copy_out(copy_text,
                          [&](std::string_view chunk) { for_each_copy_line(pending, chunk, row); });
          if (block.rows > 0) {
            router.push(std::move(block));
          }
        } else {
          Block block;
          pg::CopyBinaryDecoder decoder(all_types, [&](const format::ColumnBatch& b) {
            if (parquet) {
              Block pb;
              pb.rows = b.num_rows();
              pb.batch = std::make_unique<format::ColumnBatch>(b);
              router.push(std::move(pb));
              return;
            }
            json_writer->write(b, block.data);
            block.rows += b.num_rows();
            if (block.data.size() >= options.block_bytes) {
              router.push(std::move(block));
              block = Block{};
            }
          });
          source.copy_out(copy_binary, [&](std::string_view chunk) { decoder.feed(chunk); });
          decoder.finish();
          if (block.rows > 0) {
            router.push(std::move(block));
          }
        }
      } catch (...) {
        try {
          router.finish(/*failed=*/true);
        } catch (...) {  // NOLINT(bugprone-empty-catch): the first error is the one reported
        }
        throw;
      }
      router.finish();
    } else {
      PartitionRouter router(ctx, max_open, partition_block,
                             {.dir = options.spool_dir, .memory_bytes = options.spool_memory},
                             options.parallelism
                                 ? options.parallelism
                                 : std::max(2u, std::thread::hardware_concurrency()));
      std::vector<unload::PartitionValue> values(part_idx.size());
      std::vector<bool> part_bool(part_idx.size());
      for (size_t k = 0; k < part_idx.size(); ++k) {
        values[k].column = columns[part_idx[k]].name;
        part_bool[k] = columns[part_idx[k]].type_oid == pg::oid::kBool;
      }
      if (encoder) {
        std::vector<std::string_view> raw;
        std::string data_row, encoded, pending;
        format::CopyTextFields fields;
        auto row = [&](std::string_view r) {
          raw.clear();
          size_t p = 0;
          for (;;) {
            size_t tab = r.find('\t', p);
            raw.push_back(r.substr(p, tab == std::string_view::npos ? tab : tab - p));
            if (tab == std::string_view::npos) {
              break;
            }
            p = tab + 1;
          }
          for (size_t k = 0; k < part_idx.size(); ++k) {
            std::string_view v;
            bool is_null = false;
            fields.reset(raw[part_idx[k]]);
            fields.next(v, is_null);
            if (!is_null && part_bool[k]) {
              v = v == "t" ? "true" : "false";  // as the binary path and Hive spell them
            }
            values[k].value = is_null ? std::nullopt : std::optional<std::string>(v);
          }
          std::string_view to_encode = r;
          if (!spec.partition_by->include) {
            data_row.clear();
            bool first = true;
            for (size_t i = 0; i < raw.size(); ++i) {
              if (is_part[i]) {
                continue;
              }
              if (!first) {
                data_row += '\t';
              }
              first = false;
              data_row.append(raw[i]);
            }
            to_encode = data_row;
          }
          encoded.clear();
          encoder->encode_row(to_encode, encoded);
          router.add_row(unload::partition_prefix(prefix, values), encoded);
        };
        source.copy_out(copy_text,
                        [&](std::string_view chunk) { for_each_copy_line(pending, chunk, row); });
      } else {
        std::vector<size_t> keep;
        for (size_t i = 0; i < all_types.size(); ++i) {
          if (kept(i)) {
            keep.push_back(i);
          }
        }
        format::ColumnBatch one(data_types);
        std::string out;
        pg::CopyBinaryDecoder decoder(all_types, [&](const format::ColumnBatch& b) {
          for (size_t r = 0; r < b.num_rows(); ++r) {
            for (size_t k = 0; k < part_idx.size(); ++k) {
              values[k].value = partition_text(b.column(part_idx[k]), r);
            }
            std::string folder = unload::partition_prefix(prefix, values);
            if (parquet) {
              router.add_typed_row(folder, b, r, keep);
            } else {
              one.clear();
              for (size_t j = 0; j < keep.size(); ++j) {
                copy_value(b.column(keep[j]), r, one.column(j));
              }
              out.clear();
              json_writer->write_row(one, 0, out);
              router.add_row(folder, out);
            }
          }
        });
        source.copy_out(copy_binary, [&](std::string_view chunk) { decoder.feed(chunk); });
        decoder.finish();
      }
      router.finish();
    }
  } catch (const std::exception& e) {
    // Abort what is open, delete what this run committed, write no manifest.
    std::vector<std::string> keys;
    {
      std::lock_guard lock(ctx.mu);
      for (auto* w : ctx.open) {
        w->abort();
      }
      for (const auto& f : ctx.committed) {
        keys.push_back(f.key);
      }
    }
    std::string cleanup;
    try {
      store.remove(keys);
      cleanup = fmt::format(
          "cleaned up: {} object(s) of this run deleted, unfinished uploads "
          "aborted, no manifest written",
          keys.size());
    } catch (const std::exception& e2) {
      cleanup = fmt::format("cleanup FAILED, {} object(s) of this run may remain under {}: {}",
                            keys.size(), store.url(prefix), e2.what());
    }
    if (const auto* err = dynamic_cast<const Error*>(&e)) {
      Error copy = *err;
      std::string hint = copy.hint().empty() ? cleanup : copy.hint() + "; " + cleanup;
      throw copy.with_hint(hint);
    }
    throw Error(ErrorKind::kOther, "unload", store.url(prefix),
                std::string(e.what()) + "; " + cleanup);
  }
  result.unload_seconds = seconds_since(t);

  result.files = std::move(ctx.committed);
  std::sort(result.files.begin(), result.files.end(),
            [](const UnloadedFile& a, const UnloadedFile& b) { return a.key < b.key; });
  for (const auto& f : result.files) {
    result.rows += f.rows;
    result.bytes += f.bytes;
  }

  if (spec.manifest != unload::Manifest::kNone) {
    std::string key = unload::manifest_name(dest.prefix, partitioned);
    std::string body = manifest_json(result.files, columns,
                                     spec.manifest == unload::Manifest::kVerbose, spec.header);
    try {
      auto w = store.open(key, ctx.write_options);
      w->write(body);
      w->commit();
    } catch (const Error& e) {
      std::vector<std::string> keys;
      for (const auto& f : result.files) {
        keys.push_back(f.key);
      }
      try {
        store.remove(keys);
      } catch (...) {  // NOLINT(bugprone-empty-catch): reported below as the first error
      }
      Error copy = e;
      throw copy.with_hint(
          fmt::format("the manifest could not be written; the {} data "
                      "object(s) of this run were deleted",
                      keys.size()));
    }
    result.manifest_url = store.url(key);
  }
  result.total_seconds = seconds_since(start);
  cu::log::info("unloaded {} rows into {} object(s), {} bytes, in {:.3f} s", result.rows,
                result.files.size(), result.bytes, result.total_seconds);
  return result;
}

nlohmann::json to_json(const UnloadResult& r) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : r.files) {
    files.push_back({{"url", f.url}, {"bytes", f.bytes}, {"rows", f.rows}});
  }
  auto ms = [](double sec) { return static_cast<int64_t>(std::llround(sec * 1000.0)); };
  nlohmann::json j = {{"files", files},
                      {"rows", r.rows},
                      {"bytes", r.bytes},
                      {"slices", r.slices},
                      {"timings_ms",
                       {{"describe", ms(r.describe_seconds)},
                        {"unload", ms(r.unload_seconds)},
                        {"total", ms(r.total_seconds)}}}};
  if (!r.manifest_url.empty()) {
    j["manifest"] = r.manifest_url;
  }
  return j;
}

}  // namespace cu::engine
