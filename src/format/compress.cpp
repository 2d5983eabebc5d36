#include "format/compress.h"

#include <bzlib.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <climits>
#include <vector>

#include "base/error.h"

namespace cu::format {

// Default levels, chosen against the throughput targets on the 2-core reference machine
// (docs/performance.md, sizes per level in docs/formats.md): ISA-L igzip level 1 (several
// times libdeflate level 6's speed for ~13 % larger files) and zstd level 1.
constexpr int kGzipDefaultLevel = 1;
constexpr int kZstdDefaultLevel = 1;

struct BlockCompressor::State {
  ZSTD_CCtx* zstd = nullptr;
  std::vector<uint8_t> isal_level_buf;  // igzip's per-level hash tables, kept between blocks
  // Compressed output lands here and is appended to the caller's string: growing the string
  // by the codec's bound first would zero-fill about a block per call.
  std::vector<char> scratch;
  ~State() {
    if (zstd) {
      ZSTD_freeCCtx(zstd);
    }
  }
  char* scratch_of(size_t bound) {
    if (scratch.size() < bound) {
      scratch.resize(bound);
    }
    return scratch.data();
  }
};

namespace {
[[noreturn]] void fail(const char* codec, const std::string& what) {
  throw Error(ErrorKind::kOther, "compress", codec, what);
}
}  // namespace

BlockCompressor::BlockCompressor(unload::Compression codec, int level)
    : codec_(codec), level_(level), state_(std::make_unique<State>()) {
  switch (codec_) {
    case unload::Compression::kGzip:
      if (level_ < 0) {
        level_ = kGzipDefaultLevel;
      }
      if (level_ > ISAL_DEF_MAX_LEVEL) {
        level_ = ISAL_DEF_MAX_LEVEL;
      }
      state_->isal_level_buf.resize(level_ == 0   ? 0
                                    : level_ == 1 ? ISAL_DEF_LVL1_DEFAULT
                                    : level_ == 2 ? ISAL_DEF_LVL2_DEFAULT
                                                  : ISAL_DEF_LVL3_DEFAULT);
      break;
    case unload::Compression::kZstd:
      state_->zstd = ZSTD_createCCtx();
      if (!state_->zstd) {
        fail("zstd", "cannot allocate a compressor");
      }
      ZSTD_CCtx_setParameter(state_->zstd, ZSTD_c_compressionLevel,
                             level_ < 0 ? kZstdDefaultLevel : level_);
      ZSTD_CCtx_setParameter(state_->zstd, ZSTD_c_checksumFlag, 1);
      break;
    default:
      break;
  }
}

BlockCompressor::~BlockCompressor() = default;

void BlockCompressor::compress(std::string_view block, std::string& out) {
  size_t old = out.size();
  switch (codec_) {
    case unload::Compression::kNone:
      return;
    case unload::Compression::kGzip: {
      if (block.size() > UINT32_MAX / 2) {
        fail("gzip", "block too large");
      }
      // Stored blocks cost 5 bytes per 64 KiB; gzip's header and trailer 18; the rest is
      // slack for igzip's own header (ISAL_DEF_MAX_HDR_SIZE).
      size_t bound = block.size() + block.size() / 16384 * 5 + ISAL_DEF_MAX_HDR_SIZE + 1024;
      char* dst = state_->scratch_of(bound);
      isal_zstream s;
      isal_deflate_stateless_init(&s);
      s.level = static_cast<uint32_t>(level_);
      s.level_buf = state_->isal_level_buf.empty() ? nullptr : state_->isal_level_buf.data();
      s.level_buf_size = static_cast<uint32_t>(state_->isal_level_buf.size());
      s.gzip_flag = IGZIP_GZIP;
      s.end_of_stream = 1;
      s.flush = NO_FLUSH;
      // NOLINTNEXTLINE: igzip's input pointer is not const but is only read.
      s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(block.data()));
      s.avail_in = static_cast<uint32_t>(block.size());
      s.next_out = reinterpret_cast<uint8_t*>(dst);
      s.avail_out = static_cast<uint32_t>(bound);
      int rc = isal_deflate_stateless(&s);
      if (rc != COMP_OK || s.avail_in != 0) {
        fail("gzip", "isal_deflate_stateless failed (" + std::to_string(rc) + ")");
      }
      out.append(dst, s.total_out);
      return;
    }
    case unload::Compression::kZstd: {
      size_t bound = ZSTD_compressBound(block.size());
      char* dst = state_->scratch_of(bound);
      size_t n = ZSTD_compress2(state_->zstd, dst, bound, block.data(), block.size());
      if (ZSTD_isError(n)) {
        fail("zstd", ZSTD_getErrorName(n));
      }
      out.append(dst, n);
      return;
    }
    case unload::Compression::kBzip2: {
      // bzip2's documented bound: 1% + 600 bytes.
      size_t bound = block.size() + block.size() / 100 + 601;
      if (block.size() > UINT_MAX / 2) {
        fail("bzip2", "block too large");
      }
      out.resize(old + bound);
      auto dest_len = static_cast<unsigned>(bound);
      int rc = BZ2_bzBuffToBuffCompress(out.data() + old, &dest_len,
                                        const_cast<char*>(block.data()),  // NOLINT: C API
                                        static_cast<unsigned>(block.size()),
                                        level_ < 0 ? 9 : level_, 0, 0);
      if (rc != BZ_OK) {
        fail("bzip2", "BZ2_bzBuffToBuffCompress failed (" + std::to_string(rc) + ")");
      }
      out.resize(old + dest_len);
      return;
    }
  }
}

}  // namespace cu::format
