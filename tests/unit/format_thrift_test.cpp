// Thrift compact protocol bytes, checked against encodings worked out by hand from the
// Thrift compact-protocol specification (thrift/doc/specs/thrift-compact-protocol.md):
// field header = (delta << 4) | type for deltas 1..15, else type then zigzag varint id;
// ints are zigzag varints; binary is varint length + bytes; list header = (size << 4) |
// element type for size < 15, else 0xF0 | type then varint size; STOP = 0.

#include <gtest/gtest.h>

#include <string>

#include "format/parquet_metadata.h"
#include "format/thrift_compact.h"

namespace cu::format {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

TEST(ThriftCompact, SmallFieldDeltasAndZigzagInts) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.struct_begin();
  w.field_i32(1, 3);        // 0x15, zigzag(3)=6
  w.field_i64(2, 150);      // delta 1: 0x16, zigzag(150)=300 = 0xAC 0x02
  w.field_binary(5, "ab");  // delta 3: 0x38, len 2
  w.field_i32(6, -1);       // 0x15, zigzag(-1)=1
  w.struct_end();
  EXPECT_EQ(out, bytes({0x15, 0x06, 0x16, 0xAC, 0x02, 0x38, 0x02, 'a', 'b', 0x15, 0x01, 0x00}));
}

TEST(ThriftCompact, LongFieldDeltaUsesTypeThenZigzagId) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.struct_begin();
  w.field_i32(17, 1);  // delta 17 > 15: 0x05, zigzag(17)=34=0x22, value 0x02
  w.struct_end();
  EXPECT_EQ(out, bytes({0x05, 0x22, 0x02, 0x00}));
}

TEST(ThriftCompact, BoolsAreInTheFieldType) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.struct_begin();
  w.field_bool(1, true);   // 0x11
  w.field_bool(2, false);  // 0x12
  w.struct_end();
  EXPECT_EQ(out, bytes({0x11, 0x12, 0x00}));
}

TEST(ThriftCompact, I8AndI16) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.struct_begin();
  w.field_i8(1, 16);   // 0x13, one raw byte
  w.field_i16(2, -2);  // delta 1: 0x14, zigzag(-2)=3
  w.struct_end();
  EXPECT_EQ(out, bytes({0x13, 0x10, 0x14, 0x03, 0x00}));
}

TEST(ThriftCompact, ListsShortAndLong) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.struct_begin();
  w.field_list(2, ThriftCompactWriter::kI32, 3);  // 0x29, header 0x35
  for (int v : {1, 2, 3}) w.element_i32(v);
  w.field_list(3, ThriftCompactWriter::kBinary, 15);  // 0x19, 0xF8, size 15
  for (int i = 0; i < 15; ++i) w.element_binary("x");
  w.struct_end();
  std::string want = bytes({0x29, 0x35, 0x02, 0x04, 0x06, 0x19, 0xF8, 0x0F});
  for (int i = 0; i < 15; ++i) want += bytes({0x01, 'x'});
  want += bytes({0x00});
  EXPECT_EQ(out, want);
}

TEST(ThriftCompact, NestedStructsRestartFieldIds) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.struct_begin();
  w.field_struct(3);  // 0x3C
  w.struct_begin();
  w.field_i32(1, 0);  // 0x15 0x00: the delta counts from 0 again
  w.struct_end();
  w.field_i32(4, 0);  // delta 1 from field 3 of the outer struct
  w.struct_end();
  EXPECT_EQ(out, bytes({0x3C, 0x15, 0x00, 0x00, 0x15, 0x00, 0x00}));
}

TEST(ThriftCompact, LargeVarint) {
  std::string out;
  ThriftCompactWriter w(&out);
  w.varint(ThriftCompactWriter::zigzag64(INT64_MIN));  // 2^64-1: nine 0xFF then 0x01
  EXPECT_EQ(out, bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
}

// parquet.thrift PageHeader {1: type, 2: uncompressed_page_size, 3: compressed_page_size,
// 5: DataPageHeader {1: num_values, 2: encoding, 3: def enc, 4: rep enc, 5: statistics}}.
TEST(ParquetThrift, DataPageHeader) {
  parquet::PageHeader h;
  h.type = parquet::PageType::kDataPage;
  h.uncompressed_page_size = 100;
  h.compressed_page_size = 80;
  parquet::DataPageHeader d;
  d.num_values = 10;
  d.encoding = parquet::Encoding::kRleDictionary;
  parquet::Statistics s;
  s.null_count = 2;
  s.max_value = bytes({9, 0, 0, 0});
  s.min_value = bytes({1, 0, 0, 0});
  d.statistics = s;
  h.data_page_header = d;
  std::string want = bytes({
      0x15, 0x00,                 // 1: type DATA_PAGE (0)
      0x15, 0xC8, 0x01,           // 2: 100 → zigzag 200
      0x15, 0xA0, 0x01,           // 3: 80 → zigzag 160
      0x2C,                       // 5: struct (delta 2)
      0x15, 0x14,                 //   1: num_values 10
      0x15, 0x10,                 //   2: RLE_DICTIONARY (8)
      0x15, 0x06,                 //   3: RLE (3)
      0x15, 0x06,                 //   4: RLE (3)
      0x1C,                       //   5: statistics
      0x36, 0x04,                 //     3: null_count 2 (i64)
      0x28, 0x04, 9,    0, 0, 0,  // 5: max_value
      0x18, 0x04, 1,    0, 0, 0,  // 6: min_value
      0x00,                       //     stop
      0x00,                       //   stop
      0x00,                       // stop
  });
  EXPECT_EQ(parquet::serialize(h), want);
}

TEST(ParquetThrift, DictionaryPageHeader) {
  parquet::PageHeader h;
  h.type = parquet::PageType::kDictionaryPage;
  h.uncompressed_page_size = 7;
  h.compressed_page_size = 7;
  h.dictionary_page_header = parquet::DictionaryPageHeader{3, parquet::Encoding::kPlain};
  EXPECT_EQ(parquet::serialize(h), bytes({0x15, 0x04, 0x15, 0x0E, 0x15, 0x0E,
                                          0x4C,  // 7: struct (delta 4)
                                          0x15, 0x06, 0x15, 0x00, 0x00, 0x00}));
}

// A one-column footer: FileMetaData {1: version, 2: schema, 3: num_rows, 4: row_groups,
// 6: created_by, 7: column_orders}, SchemaElement {1: type, 3: repetition, 4: name,
// 5: num_children, 6: converted_type, 10: logicalType}.
TEST(ParquetThrift, FileMetaDataWithEmptyRowGroups) {
  parquet::FileMetaData m;
  m.version = 1;
  parquet::SchemaElement root;
  root.name = "s";
  root.num_children = 1;
  parquet::SchemaElement leaf;
  leaf.type = parquet::Type::kByteArray;
  leaf.repetition = parquet::Repetition::kOptional;
  leaf.name = "c";
  leaf.converted_type = parquet::ConvertedType::kUtf8;
  parquet::LogicalType lt;
  lt.kind = parquet::LogicalType::Kind::kString;
  leaf.logical_type = lt;
  m.schema = {root, leaf};
  m.num_rows = 0;
  m.created_by = "x";
  m.leaf_columns = 1;
  std::string want = bytes({
      0x15, 0x02,        // 1: version 1
      0x19, 0x2C,        // 2: list of 2 structs
      0x48, 0x01, 's',   //   root: 4: name (delta 4)
      0x15, 0x02, 0x00,  //   5: num_children 1, stop
      0x15, 0x0C,        //   leaf: 1: type BYTE_ARRAY (6)
      0x25, 0x02,        //   3: OPTIONAL (1)
      0x18, 0x01, 'c',   //   4: name
      0x25, 0x00,        //   6: converted UTF8 (0), delta 2
      0x4C,              //   10: logicalType (delta 4)
      0x1C, 0x00, 0x00,  //     1: STRING {} ; stop of LogicalType
      0x00,              //   stop of leaf
      0x16, 0x00,        // 3: num_rows 0
      0x19, 0x0C,        // 4: empty list of structs
      0x28, 0x01, 'x',   // 6: created_by
      0x19, 0x1C,        // 7: list of 1 struct
      0x1C, 0x00, 0x00,  //   ColumnOrder {1: TYPE_ORDER {}}
      0x00,              // stop
  });
  EXPECT_EQ(parquet::serialize(m), want);
}

}  // namespace
}  // namespace cu::format
