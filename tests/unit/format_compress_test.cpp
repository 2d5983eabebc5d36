// BlockCompressor: each block is one complete member, and members concatenated decode as
// one stream with the reference decoders (zlib for gzip — not ISA-L, which writes it —,
// libzstd's streaming decoder, libbz2's streaming decoder).
#include <bzlib.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <string>

#include "format/compress.h"

namespace cu::format {
namespace {

// zlib inflate in gzip mode, restarted after each member (what gzip -d does).
std::string gunzip_all(const std::string& in) {
  std::string out;
  size_t pos = 0;
  while (pos < in.size()) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
    z.avail_in = static_cast<uInt>(in.size() - pos);
    char buf[65536];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        ADD_FAILURE() << "inflate " << rc;
        inflateEnd(&z);
        return out;
      }
      out.append(buf, sizeof buf - z.avail_out);
    }
    pos = in.size() - z.avail_in;
    inflateEnd(&z);
  }
  return out;
}

std::string unzstd_all(const std::string& in) {
  ZSTD_DStream* d = ZSTD_createDStream();
  ZSTD_initDStream(d);
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  std::string out;
  char buf[65536];
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob{buf, sizeof buf, 0};
    size_t rc = ZSTD_decompressStream(d, &ob, &ib);
    EXPECT_FALSE(ZSTD_isError(rc));
    out.append(buf, ob.pos);
  }
  ZSTD_freeDStream(d);
  return out;
}

std::string bunzip_all(const std::string& in) {
  std::string out;
  size_t pos = 0;
  while (pos < in.size()) {
    bz_stream b{};
    EXPECT_EQ(BZ2_bzDecompressInit(&b, 0, 0), BZ_OK);
    b.next_in = const_cast<char*>(in.data() + pos);
    b.avail_in = static_cast<unsigned>(in.size() - pos);
    char buf[65536];
    int rc = BZ_OK;
    while (rc != BZ_STREAM_END) {
      b.next_out = buf;
      b.avail_out = sizeof buf;
      rc = BZ2_bzDecompress(&b);
      if (rc != BZ_OK && rc != BZ_STREAM_END) {
        ADD_FAILURE() << "bzip2 " << rc;
        break;
      }
      out.append(buf, sizeof buf - b.avail_out);
    }
    pos = in.size() - b.avail_in;
    BZ2_bzDecompressEnd(&b);
  }
  return out;
}

std::string sample(size_t n, char seed) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

TEST(BlockCompressor, GzipMembersConcatenateIntoOneStream) {
  BlockCompressor c(unload::Compression::kGzip);
  std::string out;
  c.compress("1|a\n2|b\n", out);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x1f);  // gzip magic (RFC 1952)
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x8b);
  std::string big = sample(3 << 20, 1);
  c.compress(big, out);
  c.compress("", out);
  EXPECT_EQ(gunzip_all(out), "1|a\n2|b\n" + big);
}

// Random bytes do not compress: igzip must fall back to stored blocks within the output
// bound at every level it offers, and levels above igzip's 3 still give valid gzip.
TEST(BlockCompressor, GzipIncompressibleBlocksAtEveryLevel) {
  std::string noise;
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < (2u << 20) + 17; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    noise += static_cast<char>(x >> 56);
  }
  for (int level : {0, 1, 2, 3, 6, 9}) {
    BlockCompressor c(unload::Compression::kGzip, level);
    std::string out;
    c.compress(noise, out);
    c.compress("tail\n", out);
    EXPECT_EQ(gunzip_all(out), noise + "tail\n") << "level " << level;
  }
}

TEST(BlockCompressor, ZstdFramesConcatenate) {
  BlockCompressor c(unload::Compression::kZstd);
  std::string out;
  std::string big = sample(2 << 20, 3);
  c.compress("x\n", out);
  EXPECT_EQ(out.substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4));  // zstd frame magic
  c.compress(big, out);
  EXPECT_EQ(unzstd_all(out), "x\n" + big);
}

// The default level is zstd's level 1 (docs/formats.md): the frame equals the one
// libzstd's one-shot API writes at level 1 with a checksum, and differs from level 3's.
TEST(BlockCompressor, ZstdDefaultIsLevelOne) {
  // Rows like TICKIT's sales: numbers from a fixed LCG, so the levels' matchers differ.
  std::string block;
  uint32_t x = 12345;
  while (block.size() < (1u << 20)) {
    for (int col = 0; col < 8; ++col) {
      x = x * 1103515245u + 12345u;
      block += std::to_string((x >> 8) % (col < 4 ? 50000 : 500)) + (col < 7 ? "|" : "\n");
    }
  }
  auto reference = [&](int level) {
    ZSTD_CCtx* z = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
    std::string out(ZSTD_compressBound(block.size()), '\0');
    size_t n = ZSTD_compress2(z, out.data(), out.size(), block.data(), block.size());
    ZSTD_freeCCtx(z);
    EXPECT_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
  };
  std::string level1 = reference(1);
  ASSERT_NE(level1, reference(3)) << "the sample must tell the levels apart";
  std::string ours;
  BlockCompressor(unload::Compression::kZstd).compress(block, ours);
  EXPECT_EQ(ours, level1);
  std::string explicit3;
  BlockCompressor(unload::Compression::kZstd, 3).compress(block, explicit3);
  EXPECT_EQ(explicit3, reference(3));
}

TEST(BlockCompressor, Bzip2StreamsConcatenate) {
  BlockCompressor c(unload::Compression::kBzip2);
  std::string out;
  c.compress("hello\n", out);
  EXPECT_EQ(out.substr(0, 3), "BZh");
  std::string big = sample(1 << 20, 5);
  c.compress(big, out);
  EXPECT_EQ(bunzip_all(out), "hello\n" + big);
}

TEST(BlockCompressor, NoneAppendsNothing) {
  BlockCompressor c(unload::Compression::kNone);
  std::string out = "keep";
  c.compress("abc", out);
  EXPECT_EQ(out, "keep");
}

}  // namespace
}  // namespace cu::format
