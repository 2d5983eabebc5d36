// The binary COPY decoder on streams built by hand from PostgreSQL's documented format
// (docs: COPY, "Binary Format"): 11-byte signature "PGCOPY\n\377\r\n\0", int32 flags (bit 16
// = OIDs), int32 header-extension length, then tuples of int16 field count and int32-length
// fields (-1 = NULL), then the int16 trailer -1. Values are in each type's send format:
// big-endian integers and IEEE floats; numeric = ndigits, weight, sign (0x0000 +, 0x4000 -,
// 0xC000 NaN, 0xD000 +Inf, 0xF000 -Inf), dscale, then base-10000 digits; date = days since
// 2000-01-01; timestamp = microseconds since 2000-01-01; jsonb = version byte 1 + text.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/copy_binary_decoder.h"

namespace cu::engine {
namespace {

namespace oid = pg::oid;

using format::ColumnBatch;
using format::ColumnType;
using format::ValueKind;

std::string be16(int v) {
  return {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}
std::string be32(int64_t v) {
  std::string s;
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}
std::string be64(int64_t v) {
  std::string s;
  for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}
std::string header(uint32_t flags = 0, std::string ext = "") {
  return std::string("PGCOPY\n\377\r\n\0", 11) + be32(flags) + be32(ext.size()) + ext;
}
std::string field(const std::string& bytes) { return be32(bytes.size()) + bytes; }
std::string null_field() { return be32(-1); }
std::string trailer() { return be16(-1); }
std::string numeric(int weight, int sign, int dscale, std::vector<int> digits) {
  std::string s = be16(digits.size()) + be16(weight) + be16(sign) + be16(dscale);
  for (int d : digits) s += be16(d);
  return s;
}

ColumnType col(const char* name, uint32_t oid, int32_t typmod = -1) {
  ColumnType t;
  EXPECT_TRUE(describe_column({name, oid, typmod}, &t));
  return t;
}
int32_t numeric_typmod(int p, int s) { return ((p << 16) | s) + 4; }

// Decodes `stream` fed in chunks of `chunk` bytes; returns all rows in one batch.
struct Decoded {
  std::vector<ColumnBatch> batches;
};
Decoded decode(const std::vector<ColumnType>& types, const std::string& stream,
               size_t chunk = SIZE_MAX, CopyBinaryDecoder::Limits limits = {}) {
  Decoded d;
  CopyBinaryDecoder dec(
      types, [&](const ColumnBatch& b) { d.batches.push_back(b); }, limits);
  for (size_t i = 0; i < stream.size(); i += std::min(chunk, stream.size() - i)) {
    dec.feed(std::string_view(stream).substr(i, std::min(chunk, stream.size() - i)));
  }
  dec.finish();
  return d;
}

TEST(CopyBinary, IntegersFloatsBoolAndNull) {
  std::vector<ColumnType> types = {col("a", oid::kInt2),   col("b", oid::kInt4),
                                   col("c", oid::kInt8),   col("d", oid::kFloat4),
                                   col("e", oid::kFloat8), col("f", oid::kBool)};
  std::string s = header();
  s += be16(6) + field(be16(-2)) + field(be32(42)) + field(be64(INT64_MIN)) +
       field(be32(0x40490FDB)) /* 3.14159274f */ + field(be64(0x3FF8000000000000)) /* 1.5 */ +
       field("\x01");
  s += be16(6) + null_field() + null_field() + null_field() + field(be32(0x7FC00000)) /* NaN */ +
       field(be64(0xFFF0000000000000)) /* -inf */ + field(std::string(1, '\0'));
  s += trailer();
  for (size_t chunk : {SIZE_MAX, size_t{1}, size_t{7}}) {
    SCOPED_TRACE(chunk);
    auto d = decode(types, s, chunk);
    ASSERT_EQ(d.batches.size(), 1u);
    const auto& b = d.batches[0];
    ASSERT_EQ(b.num_rows(), 2u);
    EXPECT_EQ(b.column(0).int_at(0), -2);
    EXPECT_EQ(b.column(1).int_at(0), 42);
    EXPECT_EQ(b.column(2).int_at(0), INT64_MIN);
    EXPECT_EQ(b.column(3).double_at(0), 3.14159274101257324219);
    EXPECT_EQ(b.column(4).double_at(0), 1.5);
    EXPECT_EQ(b.column(5).int_at(0), 1);
    EXPECT_TRUE(b.column(0).is_null(1));
    EXPECT_TRUE(b.column(2).is_null(1));
    EXPECT_EQ(b.column(0).null_count(), 1u);
    EXPECT_TRUE(std::isnan(b.column(3).double_at(1)));
    EXPECT_EQ(b.column(4).double_at(1), -INFINITY);
    EXPECT_EQ(b.column(5).int_at(1), 0);
  }
}

TEST(CopyBinary, NumericToUnscaledDecimalAndText) {
  std::vector<ColumnType> types = {col("p", oid::kNumeric, numeric_typmod(38, 10)),
                                   col("q", oid::kNumeric, numeric_typmod(5, 2)),
                                   col("r", oid::kNumeric)};
  EXPECT_EQ(types[0].kind, ValueKind::kDecimal);
  EXPECT_EQ(types[0].precision, 38);
  EXPECT_EQ(types[0].scale, 10);
  EXPECT_EQ(types[2].kind, ValueKind::kNumericText);
  // 9999999999999999999999999999.9999999999: 7 integer groups of 9999, fraction
  // 9999 9999 9900 (dscale 10), weight 6.
  std::string max38 =
      numeric(6, 0x4000, 10, {9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9999, 9900});
  std::string s = header();
  // -9999…9999.9999999999 | 12.50 (12, 5000; weight 0) | -0.0001 (1; weight -1)
  s += be16(3) + field(max38) + field(numeric(0, 0, 2, {12, 5000})) +
       field(numeric(-1, 0x4000, 4, {1}));
  // 0.0000000001 (digit 100 at weight -3: 100 × 10000^-3) | 999.99 | NaN
  s += be16(3) + field(numeric(-3, 0, 10, {100})) + field(numeric(0, 0, 2, {999, 9900})) +
       field(numeric(0, 0xC000, 0, {}));
  // 0 | -999.99 | 123456789.5 with dscale 3 → "123456789.500"
  s += be16(3) + field(numeric(0, 0, 10, {})) + field(numeric(0, 0x4000, 2, {999, 9900})) +
       field(numeric(2, 0, 3, {1, 2345, 6789, 5000}));
  // | | +Infinity, -Infinity
  s += be16(3) + null_field() + null_field() + field(numeric(0, 0xD000, 0, {}));
  s += be16(3) + null_field() + null_field() + field(numeric(0, 0xF000, 0, {}));
  s += trailer();
  auto d = decode(types, s, 3);
  const auto& b = d.batches.at(0);
  __int128 max = 1;
  for (int i = 0; i < 38; ++i) max *= 10;
  max -= 1;
  EXPECT_TRUE(b.column(0).decimal_at(0) == -max);
  EXPECT_TRUE(b.column(1).decimal_at(0) == 1250);
  EXPECT_EQ(b.column(2).bytes_at(0), "-0.0001");
  EXPECT_TRUE(b.column(0).decimal_at(1) == 1);
  EXPECT_TRUE(b.column(1).decimal_at(1) == 99999);
  EXPECT_EQ(b.column(2).bytes_at(1), "NaN");
  EXPECT_TRUE(b.column(0).decimal_at(2) == 0);
  EXPECT_TRUE(b.column(1).decimal_at(2) == -99999);
  EXPECT_EQ(b.column(2).bytes_at(2), "123456789.500");
  EXPECT_EQ(b.column(2).bytes_at(3), "Infinity");
  EXPECT_EQ(b.column(2).bytes_at(4), "-Infinity");
  EXPECT_EQ(numeric_to_text(max38), "-9999999999999999999999999999.9999999999");
  EXPECT_EQ(numeric_to_text(numeric(0, 0, 10, {})), "0.0000000000");
}

TEST(CopyBinary, NaNInADeclaredDecimalIsAnError) {
  std::vector<ColumnType> types = {col("n", oid::kNumeric, numeric_typmod(10, 2))};
  std::string s = header() + be16(1) + field(numeric(0, 0xC000, 0, {})) + trailer();
  try {
    decode(types, s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kSource);
    EXPECT_NE(e.message().find("numeric NaN"), std::string::npos) << e.message();
  }
}

TEST(CopyBinary, TextJsonJsonbUuidByteaDatesTimes) {
  std::vector<ColumnType> types = {col("t", oid::kText),         col("c", oid::kBpchar),
                                   col("j", oid::kJson),         col("jb", oid::kJsonb),
                                   col("u", oid::kUuid),         col("by", oid::kBytea),
                                   col("d", oid::kDate),         col("ts", oid::kTimestamp),
                                   col("tz", oid::kTimestamptz), col("tm", oid::kTime)};
  std::string uuid("\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11", 16);
  std::string s = header(0, "ext!");  // a header extension is skipped
  s += be16(10) + field("h\xC3\xA9llo\n\"") + field("ab   ") + field("{\"a\": 1}") +
       field("\x01{\"a\": 1}") + field(uuid) + field(std::string("\0\xff", 2)) +
       field(be32(-10957)) /* 1970-01-01 */ + field(be64(86400000000LL + 1)) + field(be64(-1)) +
       field(be64(45296000000LL)) /* 12:34:56 */;
  s += be16(10) + field("") + field("") + field("\"\"") + field("\x01null") + null_field() +
       field("") + null_field() + null_field() + null_field() + null_field();
  s += trailer();
  auto d = decode(types, s, 5);
  const auto& b = d.batches.at(0);
  EXPECT_EQ(b.column(0).bytes_at(0), "h\xC3\xA9llo\n\"");
  EXPECT_EQ(b.column(1).bytes_at(0), "ab   ");
  EXPECT_EQ(b.column(2).bytes_at(0), "{\"a\": 1}");
  EXPECT_EQ(b.column(3).bytes_at(0), "{\"a\": 1}");
  EXPECT_EQ(b.column(4).bytes_at(0), uuid);
  EXPECT_EQ(b.column(5).bytes_at(0), std::string("\0\xff", 2));
  EXPECT_EQ(b.column(6).int_at(0), -10957);
  EXPECT_EQ(b.column(7).int_at(0), 86400000001LL);
  EXPECT_EQ(b.column(8).int_at(0), -1);
  EXPECT_EQ(b.column(9).int_at(0), 45296000000LL);
  EXPECT_EQ(b.column(0).bytes_at(1), "");
  EXPECT_FALSE(b.column(0).is_null(1));
  EXPECT_EQ(b.column(3).bytes_at(1), "null");
  EXPECT_TRUE(b.column(4).is_null(1));
  EXPECT_EQ(b.column(5).bytes_at(1), "");
}

TEST(CopyBinary, BatchesAreBoundedByRowsAndBytes) {
  std::vector<ColumnType> types = {col("t", oid::kText)};
  std::string s = header();
  for (int i = 0; i < 10; ++i) s += be16(1) + field(std::string(100, 'x'));
  s += trailer();
  auto by_rows = decode(types, s, SIZE_MAX, {4, 1 << 20});
  ASSERT_EQ(by_rows.batches.size(), 3u);
  EXPECT_EQ(by_rows.batches[0].num_rows(), 4u);
  EXPECT_EQ(by_rows.batches[2].num_rows(), 2u);
  auto by_bytes = decode(types, s, 13, {1000, 250});
  ASSERT_EQ(by_bytes.batches.size(), 4u);  // 3 rows = 300 bytes ≥ 250 closes a batch
  EXPECT_EQ(by_bytes.batches[0].num_rows(), 3u);
  EXPECT_EQ(by_bytes.batches[3].num_rows(), 1u);
}

TEST(CopyBinary, ZeroRows) {
  std::vector<ColumnType> types = {col("t", oid::kText)};
  auto d = decode(types, header() + trailer());
  EXPECT_TRUE(d.batches.empty());
}

void expect_stream_error(const std::string& stream, const std::string& needle) {
  std::vector<ColumnType> types = {col("a", oid::kInt4)};
  try {
    decode(types, stream);
    FAIL() << "no error for " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kSource);
    EXPECT_NE(e.message().find(needle), std::string::npos) << e.message();
  }
}

TEST(CopyBinary, MalformedStreams) {
  expect_stream_error(std::string("PGCOPX\n\377\r\n\0xxxxxxxx", 19), "bad signature");
  expect_stream_error(header(1u << 16) + trailer(), "OIDs");
  expect_stream_error(header() + be16(2) + field(be32(1)) + field(be32(2)) + trailer(),
                      "tuple has 2 fields, expected 1");
  expect_stream_error(header() + be16(1) + field(be16(1)) + trailer(),
                      "field of 2 bytes, expected 4");
  expect_stream_error(header() + be16(1) + field(be32(1)), "without the binary COPY trailer");
  expect_stream_error(header() + be16(1) + be32(4) + "ab", "without the binary COPY trailer");
  expect_stream_error(header() + trailer() + "x", "bytes after the binary COPY trailer");
  expect_stream_error(std::string("PGCOPY", 6), "before the binary COPY header");
}

TEST(CopyBinary, UnsupportedTypesAreNamedWithAHint) {
  try {
    describe_columns({{"ok", oid::kInt4, -1}, {"iv", 1186, -1}, {"tz", 1266, -1}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(e.message(),
              "column type not supported by the binary reader: \"iv\" (interval), \"tz\" (time "
              "with time zone)");
    EXPECT_NE(e.hint().find("::text"), std::string::npos);
  }
}

}  // namespace
}  // namespace cu::engine
