#include "format/compress.h"

#include <bzlib.h>
#include <libdeflate.h>
#include <zstd.h>

#include <climits>

#include "base/error.h"

namespace cu::format {

struct BlockCompressor::State {
  libdeflate_compressor* deflate = nullptr;
  ZSTD_CCtx* zstd = nullptr;
  ~State() {
    if (deflate) libdeflate_free_compressor(deflate);
    if (zstd) ZSTD_freeCCtx(zstd);
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
      state_->deflate = libdeflate_alloc_compressor(level_ < 0 ? 6 : level_);
      if (!state_->deflate) fail("gzip", "cannot allocate a compressor");
      break;
    case unload::Compression::kZstd:
      state_->zstd = ZSTD_createCCtx();
      if (!state_->zstd) fail("zstd", "cannot allocate a compressor");
      ZSTD_CCtx_setParameter(state_->zstd, ZSTD_c_compressionLevel, level_ < 0 ? 3 : level_);
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
      size_t bound = libdeflate_gzip_compress_bound(state_->deflate, block.size());
      out.resize(old + bound);
      size_t n = libdeflate_gzip_compress(state_->deflate, block.data(), block.size(),
                                          out.data() + old, bound);
      if (n == 0) fail("gzip", "the compressed block did not fit its bound");
      out.resize(old + n);
      return;
    }
    case unload::Compression::kZstd: {
      size_t bound = ZSTD_compressBound(block.size());
      out.resize(old + bound);
      size_t n = ZSTD_compress2(state_->zstd, out.data() + old, bound, block.data(), block.size());
      if (ZSTD_isError(n)) fail("zstd", ZSTD_getErrorName(n));
      out.resize(old + n);
      return;
    }
    case unload::Compression::kBzip2: {
      // bzip2's documented bound: 1% + 600 bytes.
      size_t bound = block.size() + block.size() / 100 + 601;
      if (block.size() > UINT_MAX / 2) fail("bzip2", "block too large");
      out.resize(old + bound);
      auto dest_len = static_cast<unsigned>(bound);
      int rc = BZ2_bzBuffToBuffCompress(out.data() + old, &dest_len,
                                        const_cast<char*>(block.data()),  // NOLINT: C API
                                        static_cast<unsigned>(block.size()),
                                        level_ < 0 ? 9 : level_, 0, 0);
      if (rc != BZ_OK)
        fail("bzip2", "BZ2_bzBuffToBuffCompress failed (" + std::to_string(rc) + ")");
      out.resize(old + dest_len);
      return;
    }
  }
}

}  // namespace cu::format
