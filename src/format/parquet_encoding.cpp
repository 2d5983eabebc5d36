#include "format/parquet_encoding.h"

#include <libdeflate.h>
#include <snappy.h>
#include <zstd.h>

#include <memory>

#include "base/error.h"

namespace cu::format::parquet {
namespace {

// Codec state kept per thread between pages: a zstd context and a libdeflate compressor
// cost more to set up (tables of hundreds of KB) than to compress a small page.
struct PageCodecs {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> zstd{nullptr, &ZSTD_freeCCtx};
  std::unique_ptr<libdeflate_compressor, decltype(&libdeflate_free_compressor)> gzip{
      nullptr, &libdeflate_free_compressor};
  int gzip_level = -1;
};
PageCodecs& page_codecs() {
  thread_local PageCodecs codecs;
  return codecs;
}

void put_varint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

constexpr size_t kMaxLiteralGroups = 63;  // keeps the run header one byte, as Arrow does

template <typename T>
size_t run_length(const T* v, size_t i, size_t n) {
  size_t r = 1;
  while (i + r < n && v[i + r] == v[i]) {
    ++r;
  }
  return r;
}

template <typename T>
void encode(const T* v, size_t n, int bw, std::string* out) {
  const int value_bytes = (bw + 7) / 8;
  size_t i = 0;
  while (i < n) {
    size_t run = run_length(v, i, n);
    if (run >= 8) {
      put_varint(static_cast<uint64_t>(run) << 1, out);
      uint32_t value = v[i];
      for (int b = 0; b < value_bytes; ++b) {
        out->push_back(static_cast<char>(value >> (8 * b)));
      }
      i += run;
      continue;
    }
    // Literal groups of 8 until a long run starts at a group boundary.
    size_t start = i;
    size_t groups = 0;
    while (i < n && groups < kMaxLiteralGroups) {
      i = std::min(i + 8, n);
      ++groups;
      if (i < n && i + 8 <= n && run_length(v, i, std::min(n, i + 8)) >= 8) {
        break;
      }
    }
    put_varint((static_cast<uint64_t>(groups) << 1) | 1, out);
    uint64_t acc = 0;
    int bits = 0;
    for (size_t k = 0; k < groups * 8; ++k) {
      uint64_t value = start + k < i ? static_cast<uint64_t>(v[start + k]) : 0;
      acc |= value << bits;
      bits += bw;
      while (bits >= 8) {
        out->push_back(static_cast<char>(acc & 0xff));
        acc >>= 8;
        bits -= 8;
      }
    }
    // groups * 8 * bw is a multiple of 8 bits, so nothing is left in acc.
  }
}

}  // namespace

int bit_width(uint64_t max_value) {
  int w = 0;
  while (max_value != 0) {
    ++w;
    max_value >>= 1;
  }
  return w;
}

void rle_hybrid_encode(const uint32_t* values, size_t count, int bw, std::string* out) {
  encode(values, count, bw, out);
}
void rle_hybrid_encode(const uint8_t* values, size_t count, int bw, std::string* out) {
  encode(values, count, bw, out);
}

void plain_encode_bools(const uint8_t* values, size_t count, std::string* out) {
  uint8_t byte = 0;
  int bit = 0;
  for (size_t i = 0; i < count; ++i) {
    byte |= static_cast<uint8_t>((values[i] & 1) << bit);
    if (++bit == 8) {
      out->push_back(static_cast<char>(byte));
      byte = 0;
      bit = 0;
    }
  }
  if (bit > 0) {
    out->push_back(static_cast<char>(byte));
  }
}

void compress_page(Codec codec, int level, std::string_view in, std::string* out) {
  switch (codec) {
    case Codec::kUncompressed:
      out->append(in);
      return;
    case Codec::kSnappy: {
      size_t base = out->size();
      out->resize(base + snappy::MaxCompressedLength(in.size()));
      size_t n = 0;
      snappy::RawCompress(in.data(), in.size(), out->data() + base, &n);
      out->resize(base + n);
      return;
    }
    case Codec::kZstd: {
      auto& z = page_codecs().zstd;
      if (!z) {
        z.reset(ZSTD_createCCtx());
        if (!z) {
          throw Error(ErrorKind::kOther, "compress page", "ZSTD", "out of memory");
        }
      }
      size_t base = out->size();
      out->resize(base + ZSTD_compressBound(in.size()));
      size_t n = ZSTD_compressCCtx(z.get(), out->data() + base, out->size() - base, in.data(),
                                   in.size(), level < 0 ? 3 : level);
      if (ZSTD_isError(n)) {
        throw Error(ErrorKind::kOther, "compress page", "ZSTD", ZSTD_getErrorName(n));
      }
      out->resize(base + n);
      return;
    }
    case Codec::kGzip: {
      PageCodecs& codecs = page_codecs();
      const int want = level < 0 ? 6 : level;
      if (!codecs.gzip || codecs.gzip_level != want) {
        codecs.gzip.reset(libdeflate_alloc_compressor(want));
        codecs.gzip_level = want;
      }
      libdeflate_compressor* c = codecs.gzip.get();
      if (!c) {
        throw Error(ErrorKind::kOther, "compress page", "GZIP", "out of memory");
      }
      size_t base = out->size();
      out->resize(base + libdeflate_gzip_compress_bound(c, in.size()));
      size_t n =
          libdeflate_gzip_compress(c, in.data(), in.size(), out->data() + base, out->size() - base);
      if (n == 0) {
        throw Error(ErrorKind::kOther, "compress page", "GZIP", "output too small");
      }
      out->resize(base + n);
      return;
    }
  }
  throw Error(ErrorKind::kOther, "compress page", "", "unknown codec");
}

}  // namespace cu::format::parquet
