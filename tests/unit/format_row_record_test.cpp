// format::append_row_record / read_row_record: every value kind, NULLs and edge values come
// back exactly, in the chosen columns' order.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "base/error.h"
#include "format/row_record.h"

namespace cu::format {
namespace {

TEST(RowRecord, EveryKindRoundTripsExactly) {
  std::vector<ColumnType> types = {
      {"b", ValueKind::kBool},         {"i2", ValueKind::kInt16},
      {"i8", ValueKind::kInt64},       {"f4", ValueKind::kFloat32},
      {"f8", ValueKind::kFloat64},     {"d", ValueKind::kDecimal, 38, 10},
      {"n", ValueKind::kNumericText},  {"t", ValueKind::kText},
      {"j", ValueKind::kJson},         {"dt", ValueKind::kDate},
      {"ts", ValueKind::kTimestampTz}, {"u", ValueKind::kUuid},
      {"by", ValueKind::kBytes}};
  ColumnBatch src(types);
  __int128 big = static_cast<__int128>(std::numeric_limits<int64_t>::max()) * 1000000 + 7;
  // Row 0: edge values; row 1: NULL everywhere.
  src.column(0).append_int(1);
  src.column(1).append_int(-32768);
  src.column(2).append_int(std::numeric_limits<int64_t>::min());
  src.column(3).append_double(-0.0);
  src.column(4).append_double(std::numeric_limits<double>::quiet_NaN());
  src.column(5).append_decimal(-big);
  src.column(6).append_bytes("123456789012345678901234567890.5");
  src.column(7).append_bytes(std::string(300, 'x') + std::string("\n\0\xe2\x82\xac", 5));
  src.column(8).append_bytes("{\"a\": [1, null]}");
  src.column(9).append_int(-730120);
  src.column(10).append_int(std::numeric_limits<int64_t>::max());
  src.column(11).append_bytes(
      std::string("\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16));
  src.column(12).append_bytes("");
  for (size_t c = 0; c < types.size(); ++c) src.column(c).append_null();

  std::vector<size_t> all;
  for (size_t c = 0; c < types.size(); ++c) all.push_back(c);
  std::string rec;
  append_row_record(src, 0, all, rec);
  append_row_record(src, 1, all, rec);
  ColumnBatch dst(types);
  std::string_view in = rec;
  read_row_record(in, dst);
  read_row_record(in, dst);
  EXPECT_TRUE(in.empty());
  ASSERT_EQ(dst.num_rows(), 2u);
  EXPECT_EQ(dst.column(0).int_at(0), 1);
  EXPECT_EQ(dst.column(1).int_at(0), -32768);
  EXPECT_EQ(dst.column(2).int_at(0), std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(std::signbit(dst.column(3).double_at(0)));
  EXPECT_TRUE(std::isnan(dst.column(4).double_at(0)));
  EXPECT_TRUE(dst.column(5).decimal_at(0) == -big);
  EXPECT_EQ(dst.column(6).bytes_at(0), "123456789012345678901234567890.5");
  EXPECT_EQ(dst.column(7).bytes_at(0), src.column(7).bytes_at(0));
  EXPECT_EQ(dst.column(8).bytes_at(0), "{\"a\": [1, null]}");
  EXPECT_EQ(dst.column(9).int_at(0), -730120);
  EXPECT_EQ(dst.column(10).int_at(0), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(dst.column(11).bytes_at(0), src.column(11).bytes_at(0));
  EXPECT_FALSE(dst.column(12).is_null(0));
  EXPECT_EQ(dst.column(12).bytes_at(0), "");
  for (size_t c = 0; c < types.size(); ++c) EXPECT_TRUE(dst.column(c).is_null(1)) << c;
}

TEST(RowRecord, KeepsOnlyTheChosenColumnsInTheirOrder) {
  ColumnBatch src({{"a", ValueKind::kInt32}, {"b", ValueKind::kText}, {"c", ValueKind::kInt32}});
  src.column(0).append_int(1);
  src.column(1).append_bytes("two");
  src.column(2).append_int(3);
  std::string rec;
  append_row_record(src, 0, {2, 1}, rec);
  ColumnBatch dst({{"c", ValueKind::kInt32}, {"b", ValueKind::kText}});
  std::string_view in = rec;
  read_row_record(in, dst);
  EXPECT_EQ(dst.column(0).int_at(0), 3);
  EXPECT_EQ(dst.column(1).bytes_at(0), "two");
}

TEST(RowRecord, ATruncatedRecordIsAnError) {
  ColumnBatch src({{"t", ValueKind::kText}});
  src.column(0).append_bytes("hello");
  std::string rec;
  append_row_record(src, 0, {0}, rec);
  rec.pop_back();
  ColumnBatch dst({{"t", ValueKind::kText}});
  std::string_view in = rec;
  EXPECT_THROW(read_row_record(in, dst), Error);
}

}  // namespace
}  // namespace cu::format
