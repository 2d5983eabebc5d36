#pragma once
// engine::FileStream — the files of one slice (or one partition): part after part
// (`…_part_00`, `…_part_01`, …), each cut before MAXFILESIZE would be passed, the header at
// the top of each, compressed blocks or Parquet row groups in between. engine::RunFiles is
// what every stream of one run shares: the store, the names, the write options, and the
// files written — sealed (stored, not visible: sink/object_store.h) until the commit phase
// (engine/commit.h) publishes them.
//
//   RunFiles files(store, settings);
//   FileStream s(files, "out/x_", /*slice=*/0, /*first_part=*/0);
//   s.write_block(encoded_rows, rows, compressor);    // or s.write_batch(parquet_batch)
//   s.finish();                                       // the last file is sealed
//   auto sealed = files.take_sealed();                // for the commit
//
// A FileStream is used by one thread at a time; RunFiles is thread-safe. A stream destroyed
// before finish() aborts its open object; RunFiles destroyed with sealed files aborts them.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "format/compress.h"
#include "format/parquet_writer.h"
#include "sink/object_store.h"
#include "unload/naming.h"
#include "unload/unload_spec.h"

namespace cu::engine {

struct UnloadedFile {
  std::string key;
  std::string url;
  uint64_t bytes = 0;
  uint64_t rows = 0;  // data rows (a header line is not counted)
};

// What a file starts with and how it is cut.
struct FileSettings {
  unload::ObjectNaming naming;
  sink::WriteOptions write_options;
  uint64_t max_file_size = 0;
  std::string header_bytes;                         // uncompressed header line; empty: none
  bool parquet = false;                             // FORMAT PARQUET: the two below
  std::vector<format::ColumnType> parquet_columns;  // the columns written
  format::ParquetOptions parquet_options;
};

// A file whose bytes are all stored and which is not visible yet.
struct SealedFile {
  UnloadedFile file;
  std::unique_ptr<sink::ObjectWriter> writer;
};

class RunFiles {
 public:
  // `written`, when given, counts the bytes every stream writes (relaxed, per block).
  RunFiles(sink::ObjectStore& store, FileSettings settings,
           std::atomic<uint64_t>* written = nullptr)
      : store_(store), settings_(std::move(settings)), written_(written) {}
  ~RunFiles() { abort(); }
  RunFiles(const RunFiles&) = delete;
  RunFiles& operator=(const RunFiles&) = delete;

  sink::ObjectStore& store() { return store_; }
  const FileSettings& settings() const { return settings_; }
  // A finished file, sealed.
  void add(SealedFile f);
  // The files so far, sorted by key.
  std::vector<UnloadedFile> files() const;
  // Waits until every sealed file is stored (a store may upload in the background:
  // ObjectWriter::settle()); throws the first failure. Once the router has finished.
  void settle();
  // The sealed files, sorted by key, handed to the commit.
  std::vector<SealedFile> take_sealed();
  // Aborts every sealed file still held (several at a time); never throws.
  void abort() noexcept;
  // `n` more bytes were written to the store (for the live count).
  void wrote(uint64_t n) {
    if (written_) {
      written_->fetch_add(n, std::memory_order_relaxed);
    }
  }

 private:
  sink::ObjectStore& store_;
  FileSettings settings_;
  mutable std::mutex mu_;
  std::vector<SealedFile> files_;
  std::atomic<uint64_t>* written_;
};

// Aborts these writers, several at a time (an S3 abort is a request each); never throws.
void abort_all(std::vector<std::unique_ptr<sink::ObjectWriter>> writers) noexcept;

class FileStream {
 public:
  FileStream(RunFiles& files, std::string prefix, unsigned slice, unsigned first_part)
      : files_(files), prefix_(std::move(prefix)), slice_(slice), part_(first_part) {}
  ~FileStream();
  FileStream(const FileStream&) = delete;
  FileStream& operator=(const FileStream&) = delete;

  // One block of encoded rows (uncompressed), compressed here as one member.
  void write_block(std::string_view data, uint64_t rows, format::BlockCompressor& comp);
  // One batch of typed rows (Parquet).
  void write_batch(const format::ColumnBatch& batch);
  // Ensures a file exists even without rows (a zero-row unload).
  void touch(format::BlockCompressor& comp);
  // Finishes (seals) the current file, if any.
  void finish();

 private:
  void start(format::BlockCompressor* comp);

  RunFiles& files_;
  std::string prefix_;
  unsigned slice_;
  unsigned part_;
  std::unique_ptr<sink::ObjectWriter> writer_;
  std::unique_ptr<format::ByteSink> sink_;
  std::unique_ptr<format::ParquetWriter> parquet_;
  uint64_t rows_ = 0;
  std::string scratch_;
};

}  // namespace cu::engine
