#pragma once
// The parts of parquet.thrift (apache/parquet-format) that our writer emits, as plain
// structs, and their Thrift compact-protocol serialisation: PageHeader (before every page)
// and FileMetaData (the footer). Field ids and enum values are those of parquet.thrift.
//
//   parquet::PageHeader h;  h.type = parquet::PageType::kDataPage; …
//   std::string bytes = parquet::serialize(h);

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cu::format::parquet {

enum class Type : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

enum class ConvertedType : int32_t {
  kUtf8 = 0,
  kDecimal = 5,
  kDate = 6,
  kTimestampMicros = 10,
  kInt16 = 16,
  kInt32 = 17,
  kInt64 = 18,
  kJson = 19,
};

enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kRleDictionary = 8,
};

enum class Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kZstd = 6,
};

enum class PageType : int32_t { kDataPage = 0, kDictionaryPage = 2 };

// LogicalType is a Thrift union; one member is set.
struct LogicalType {
  enum class Kind {
    kString = 1,
    kDecimal = 5,
    kDate = 6,
    kTimestamp = 8,
    kInteger = 10,
    kJson = 12,
    kUuid = 14,
  } kind;
  int32_t scale = 0, precision = 0;  // kDecimal
  bool is_adjusted_to_utc = false;   // kTimestamp (unit is always MICROS here)
  int8_t bit_width = 0;              // kInteger
  bool is_signed = true;             // kInteger
};

struct SchemaElement {
  std::optional<Type> type;
  std::optional<int32_t> type_length;
  std::optional<Repetition> repetition;
  std::string name;
  std::optional<int32_t> num_children;
  std::optional<ConvertedType> converted_type;
  std::optional<int32_t> scale;
  std::optional<int32_t> precision;
  std::optional<LogicalType> logical_type;
};

struct Statistics {
  std::optional<std::string> max_value;
  std::optional<std::string> min_value;
  std::optional<int64_t> null_count;
};

struct DataPageHeader {
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
  Encoding definition_level_encoding = Encoding::kRle;
  Encoding repetition_level_encoding = Encoding::kRle;
  std::optional<Statistics> statistics;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
};

struct PageHeader {
  PageType type = PageType::kDataPage;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  std::optional<DataPageHeader> data_page_header;
  std::optional<DictionaryPageHeader> dictionary_page_header;
};

struct ColumnMetaData {
  Type type = Type::kInt32;
  std::vector<Encoding> encodings;
  std::vector<std::string> path_in_schema;
  Codec codec = Codec::kUncompressed;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  std::optional<Statistics> statistics;
};

struct ColumnChunk {
  int64_t file_offset = 0;
  ColumnMetaData meta_data;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
  std::optional<int64_t> file_offset;
  std::optional<int64_t> total_compressed_size;
  std::optional<int16_t> ordinal;
};

struct FileMetaData {
  int32_t version = 1;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::optional<std::string> created_by;
  // column_orders: written as TypeDefinedOrder for every leaf column (so readers trust
  // min_value/max_value), one per leaf.
  size_t leaf_columns = 0;
};

std::string serialize(const PageHeader& header);
std::string serialize(const FileMetaData& metadata);
// Appends the serialisation to `out` (avoids a copy on the per-page path).
void serialize_to(const PageHeader& header, std::string* out);

}  // namespace cu::format::parquet
