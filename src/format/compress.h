#pragma once
// Block compression for UNLOAD's GZIP, ZSTD and BZIP2 options. Each call compresses one
// block of whole records into one complete, independent member — a gzip member
// (ISA-L igzip), a zstd frame, a bzip2 stream — and a file is the concatenation of its
// blocks' members, which gzip, zstd, bzip2, DuckDB and Redshift's COPY all read as one
// stream. Independent members are what let the engine compress blocks on several threads
// and cut files at exact compressed sizes for MAXFILESIZE.
//
//   format::BlockCompressor gz(unload::Compression::kGzip);
//   std::string out;
//   gz.compress(block_of_rows, out);   // appends one member
//
// One compressor per thread (it keeps its codec state between blocks).

#include <memory>
#include <string>
#include <string_view>

#include "unload/unload_spec.h"

namespace cu::format {

class BlockCompressor {
 public:
  // level < 0: the codec's default as crossunload uses it (gzip: igzip level 1, levels
  // above igzip's 3 are taken as 3; zstd 1; bzip2 9). The gzip and zstd defaults are set by
  // the throughput targets (docs/formats.md).
  explicit BlockCompressor(unload::Compression codec, int level = -1);
  ~BlockCompressor();
  BlockCompressor(const BlockCompressor&) = delete;
  BlockCompressor& operator=(const BlockCompressor&) = delete;

  // Appends the compressed member of `block` to `out` (nothing is appended for kNone: the
  // caller copies). Throws cu::Error(kOther, "compress", …) if the codec fails.
  void compress(std::string_view block, std::string& out);

  unload::Compression codec() const { return codec_; }

 private:
  struct State;
  unload::Compression codec_;
  int level_;
  std::unique_ptr<State> state_;
};

}  // namespace cu::format
