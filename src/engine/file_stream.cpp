#include "engine/file_stream.h"

#include <algorithm>

#include "base/work_queue.h"

namespace cu::engine {
namespace {

// format::ByteSink over an object writer (Parquet writes through it).
class WriterSink : public format::ByteSink {
 public:
  WriterSink(sink::ObjectWriter& w, RunFiles& files) : w_(w), files_(files) {}
  void write(std::string_view bytes) override {
    w_.write(bytes);
    files_.wrote(bytes.size());
  }
  uint64_t bytes_written() const override { return w_.bytes_written(); }

 private:
  sink::ObjectWriter& w_;
  RunFiles& files_;
};

}  // namespace

void RunFiles::add(SealedFile f) {
  std::lock_guard lock(mu_);
  files_.push_back(std::move(f));
}

std::vector<UnloadedFile> RunFiles::files() const {
  std::vector<UnloadedFile> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& f : files_) {
      out.push_back(f.file);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const UnloadedFile& a, const UnloadedFile& b) { return a.key < b.key; });
  return out;
}

void RunFiles::settle() {
  std::lock_guard lock(mu_);
  for (auto& f : files_) {
    f.writer->settle();
  }
}

std::vector<SealedFile> RunFiles::take_sealed() {
  std::vector<SealedFile> out;
  {
    std::lock_guard lock(mu_);
    out.swap(files_);
  }
  std::sort(out.begin(), out.end(),
            [](const SealedFile& a, const SealedFile& b) { return a.file.key < b.file.key; });
  return out;
}

void RunFiles::abort() noexcept {
  std::vector<std::unique_ptr<sink::ObjectWriter>> writers;
  {
    std::lock_guard lock(mu_);
    for (auto& f : files_) {
      writers.push_back(std::move(f.writer));
    }
    files_.clear();
  }
  abort_all(std::move(writers));
}

void abort_all(std::vector<std::unique_ptr<sink::ObjectWriter>> writers) noexcept {
  if (writers.size() <= 1) {
    for (auto& w : writers) {
      w->abort();
    }
    return;
  }
  try {
    WorkQueue q({.threads = std::min<unsigned>(8, static_cast<unsigned>(writers.size())),
                 .max_weight = writers.size()});
    for (auto& w : writers) {
      q.submit([w = w.get()](unsigned) { w->abort(); }, 1);
    }
    q.wait();
  } catch (...) {  // NOLINT(bugprone-empty-catch): no thread: the destructors below abort
  }
  writers.clear();  // aborts any not aborted above
}

FileStream::~FileStream() {
  parquet_.reset();
  sink_.reset();
  if (writer_) {
    writer_->abort();
  }
}

void FileStream::write_block(std::string_view data, uint64_t rows, format::BlockCompressor& comp) {
  std::string_view out = data;
  if (comp.codec() != unload::Compression::kNone) {
    scratch_.clear();
    comp.compress(data, scratch_);
    out = scratch_;
  }
  if (writer_ && rows_ > 0 &&
      writer_->bytes_written() + out.size() > files_.settings().max_file_size) {
    finish();
  }
  if (!writer_) {
    start(&comp);
  }
  writer_->write(out);
  files_.wrote(out.size());
  rows_ += rows;
}

void FileStream::write_batch(const format::ColumnBatch& batch) {
  if (parquet_ && rows_ > 0 && parquet_->estimated_file_size() >= files_.settings().max_file_size) {
    finish();
  }
  if (!writer_) {
    start(nullptr);
  }
  parquet_->write(batch);
  rows_ += batch.num_rows();
}

void FileStream::touch(format::BlockCompressor& comp) {
  if (!writer_) {
    start(&comp);
  }
}

void FileStream::finish() {
  if (!writer_) {
    return;
  }
  if (parquet_) {
    parquet_->close();
  }
  parquet_.reset();
  sink_.reset();
  uint64_t bytes = writer_->seal();
  UnloadedFile f{writer_->key(), files_.store().url(writer_->key()), bytes, rows_};
  files_.add({std::move(f), std::move(writer_)});
  rows_ = 0;
}

void FileStream::start(format::BlockCompressor* comp) {
  const FileSettings& s = files_.settings();
  std::string key = unload::object_name(prefix_, slice_, part_++, s.naming);
  writer_ = files_.store().open(key, s.write_options);
  rows_ = 0;
  if (s.parquet) {
    sink_ = std::make_unique<WriterSink>(*writer_, files_);
    parquet_ =
        std::make_unique<format::ParquetWriter>(s.parquet_columns, *sink_, s.parquet_options);
  } else if (!s.header_bytes.empty()) {
    if (comp && comp->codec() != unload::Compression::kNone) {
      std::string h;
      comp->compress(s.header_bytes, h);
      writer_->write(h);
      files_.wrote(h.size());
    } else {
      writer_->write(s.header_bytes);
      files_.wrote(s.header_bytes.size());
    }
  }
}

}  // namespace cu::engine
