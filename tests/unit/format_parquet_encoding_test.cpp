// The RLE / bit-packed hybrid and PLAIN booleans, against apache/parquet-format
// Encodings.md: bit-packed runs have header (groups << 1) | 1 and pack values LSB first
// (the spec's example: 0..7 at bit width 3 → 0x88 0xC6 0xFA); RLE runs have header
// count << 1 followed by the value in ceil(width / 8) little-endian bytes.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/parquet_encoding.h"
#include "format/parquet_writer.h"

namespace cu::format::parquet {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

TEST(RleHybrid, SpecExampleBitPacked) {
  std::vector<uint32_t> v = {0, 1, 2, 3, 4, 5, 6, 7};
  std::string out;
  rle_hybrid_encode(v.data(), v.size(), 3, &out);
  EXPECT_EQ(out, bytes({0x03, 0x88, 0xC6, 0xFA}));
}

TEST(RleHybrid, LongRunIsRle) {
  std::vector<uint8_t> v(100, 1);
  std::string out;
  rle_hybrid_encode(v.data(), v.size(), 1, &out);
  EXPECT_EQ(out, bytes({0xC8, 0x01, 0x01}));  // varint(200), value 1 in one byte
}

TEST(RleHybrid, RleValueWidthFollowsBitWidth) {
  std::vector<uint32_t> v(8, 0x1234);
  std::string out;
  rle_hybrid_encode(v.data(), v.size(), 13, &out);
  EXPECT_EQ(out, bytes({0x10, 0x34, 0x12}));  // 8 << 1, two bytes little-endian
}

TEST(RleHybrid, ShortTailIsPaddedToAGroupOfEight) {
  std::vector<uint8_t> v = {1, 1, 1, 0, 1};
  std::string out;
  rle_hybrid_encode(v.data(), v.size(), 1, &out);
  EXPECT_EQ(out, bytes({0x03, 0x17}));  // bits LSB first: 1 1 1 0 1 0 0 0
}

TEST(RleHybrid, LiteralsThenRun) {
  // 8 mixed values then 10 ones: one bit-packed group, then an RLE run.
  std::vector<uint8_t> v = {0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  std::string out;
  rle_hybrid_encode(v.data(), v.size(), 1, &out);
  EXPECT_EQ(out, bytes({0x03, 0xAA, 0x14, 0x01}));
}

TEST(RleHybrid, RunThenLiterals) {
  std::vector<uint8_t> v = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
  std::string out;
  rle_hybrid_encode(v.data(), v.size(), 1, &out);
  EXPECT_EQ(out, bytes({0x12, 0x00, 0x03, 0x01}));  // 9 zeros; then 1,0 padded
}

TEST(RleHybrid, ManyLiteralsSplitIntoRunsOfAtMost63Groups) {
  std::vector<uint32_t> v(8 * 64);
  for (size_t i = 0; i < v.size(); ++i) v[i] = i % 2;
  std::string out;
  rle_hybrid_encode(v.data(), v.size(), 1, &out);
  // 63 groups (header 127 = 0x7F, 63 bytes 0xAA) then 1 group (0x03, 0xAA).
  std::string want = bytes({0x7F}) + std::string(63, static_cast<char>(0xAA)) + bytes({0x03, 0xAA});
  EXPECT_EQ(out, want);
}

TEST(BitWidth, Values) {
  EXPECT_EQ(bit_width(0), 0);
  EXPECT_EQ(bit_width(1), 1);
  EXPECT_EQ(bit_width(7), 3);
  EXPECT_EQ(bit_width(8), 4);
  EXPECT_EQ(bit_width(UINT32_MAX), 32);
}

TEST(PlainBooleans, PackedLsbFirst) {
  std::vector<uint8_t> v = {1, 0, 0, 0, 0, 0, 0, 1, 1};
  std::string out;
  plain_encode_bools(v.data(), v.size(), &out);
  EXPECT_EQ(out, bytes({0x81, 0x01}));
}

// LogicalTypes.md: n bytes hold floor(log10(2^(8n-1) - 1)) decimal digits.
TEST(DecimalLength, MatchesTheSpecTable) {
  const int max_digits[17] = {0, 2, 4, 6, 9, 11, 14, 16, 18, 21, 23, 26, 28, 31, 33, 35, 38};
  for (int p = 1; p <= 38; ++p) {
    int n = 1;
    while (max_digits[n] < p) ++n;
    EXPECT_EQ(decimal_byte_length(p), n) << "precision " << p;
  }
}

TEST(Compression, SnappyOfShortInputIsALiteral) {
  // Snappy format: varint uncompressed length, then a literal tag (len-1) << 2.
  std::string out;
  compress_page(Codec::kSnappy, -1, "abc", &out);
  EXPECT_EQ(out, bytes({0x03, 0x08, 'a', 'b', 'c'}));
}

TEST(Compression, GzipIsAGzipMember) {
  std::string out;
  compress_page(Codec::kGzip, -1, std::string(1000, 'x'), &out);
  ASSERT_GE(out.size(), 18u);
  EXPECT_EQ(out.substr(0, 3), bytes({0x1F, 0x8B, 0x08}));  // RFC 1952 magic, deflate
}

TEST(Compression, ZstdFrameMagic) {
  std::string out;
  compress_page(Codec::kZstd, -1, std::string(1000, 'x'), &out);
  EXPECT_EQ(out.substr(0, 4), bytes({0x28, 0xB5, 0x2F, 0xFD}));  // RFC 8878 magic
}

}  // namespace
}  // namespace cu::format::parquet
