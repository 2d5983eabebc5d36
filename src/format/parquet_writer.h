#pragma once
// ParquetWriter — writes column batches (format/column_batch.h) as one Apache Parquet file,
// the way Redshift's UNLOAD … FORMAT PARQUET does: flat schema of OPTIONAL columns, data
// pages v1, dictionary encoding (RLE_DICTIONARY with a PLAIN dictionary page, falling back
// to PLAIN when the dictionary outgrows its page), RLE definition levels, statistics per
// page and per column chunk, SNAPPY compression by default, row groups closed by size.
// Types are mapped by parquet_column_type() (docs/formats.md, "Parquet").
//
//   parquet::check_columns(types);                      // Redshift's refusals (TIME)
//   MyFileSink sink(path);                              // any ByteSink
//   ParquetWriter writer(types, sink, ParquetOptions{});
//   decoder callback: writer.write(batch);
//   writer.close();                                     // last row group + footer
//
// Memory: only the current row group is held, as compressed pages per column (plus one
// open page and one dictionary per column); it is written out when it reaches
// `row_group_size` bytes of encoded data. A page closes at `page_size` encoded bytes or
// `page_values` values, whichever comes first, so the open pages stay small even when
// values encode to a fraction of a byte; a row group also closes when what it holds in
// memory (dictionaries included) reaches `row_group_memory`.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/version.h"
#include "format/column_batch.h"
#include "format/parquet_metadata.h"

namespace cu::format {

// Where encoded bytes go: a file, an S3 multipart upload, a string in tests.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(std::string_view bytes) = 0;
  virtual uint64_t bytes_written() const = 0;
};

// A ByteSink into memory (tests, small outputs).
class StringByteSink : public ByteSink {
 public:
  void write(std::string_view bytes) override { data_.append(bytes); }
  uint64_t bytes_written() const override { return data_.size(); }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

struct ParquetOptions {
  parquet::Codec codec = parquet::Codec::kSnappy;
  int compression_level = -1;             // codec default (ZSTD 3, GZIP 6)
  uint64_t row_group_size = 32ull << 20;  // ROWGROUPSIZE: encoded bytes per row group
  uint64_t page_size = 1ull << 20;        // encoded bytes per data page
  // Values per data page, at most (parquet-mr's default). The open page keeps ~5 bytes per
  // value whatever they encode to, so on repetitive data that dictionary + RLE shrink to
  // almost nothing, a page closed on encoded size alone would hold millions of values.
  uint64_t page_values = 20000;
  // Memory the open row group may hold (compressed pages, open pages, dictionaries and their
  // hash tables) before it is written out, even short of `row_group_size` encoded bytes.
  uint64_t row_group_memory = 40ull << 20;
  uint64_t dictionary_page_size = 1ull << 20;  // dictionary larger than this → PLAIN
  bool dictionary = true;
  std::string created_by = std::string("crossunload version ") + kVersion;
};

namespace parquet {

// How one column is written: physical type, length for FIXED_LEN_BYTE_ARRAY, annotations.
struct ColumnMapping {
  Type physical = Type::kByteArray;
  int32_t type_length = 0;  // FIXED_LEN_BYTE_ARRAY only
  std::optional<ConvertedType> converted;
  std::optional<LogicalType> logical;
};

// The table from our column kinds to Parquet types (OPEN-16's suggested mapping; see
// docs/formats.md). Throws for kinds Parquet output refuses (see check_columns).
ColumnMapping parquet_column_type(const ColumnType& column);

// Throws Redshift's error for columns UNLOAD refuses to write as Parquet:
// `UNLOAD time without time zone column "<c>" is only supported for TEXT/CSV.` (kUsage).
void check_columns(const std::vector<ColumnType>& columns);

// Bytes of a FIXED_LEN_BYTE_ARRAY that hold any DECIMAL of this precision (1..38).
int decimal_byte_length(int precision);

}  // namespace parquet

class ParquetWriter {
 public:
  // Writes the leading magic "PAR1" at once. Throws like parquet::check_columns.
  ParquetWriter(std::vector<ColumnType> columns, ByteSink& sink, ParquetOptions options);
  ~ParquetWriter();
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  // Appends the batch's rows; may write a row group to the sink.
  void write(const ColumnBatch& batch);

  // Writes the open row group (if it has rows), the footer and the trailing magic.
  void close();

  uint64_t rows_written() const { return rows_; }
  size_t row_groups_written() const;
  // Bytes in the sink plus the encoded bytes of the open row group: what the file would
  // roughly be if closed now (for MAXFILESIZE decisions between batches).
  uint64_t estimated_file_size() const;

 private:
  class ColumnWriter;
  void flush_row_group();

  std::vector<ColumnType> columns_;
  ByteSink& sink_;
  ParquetOptions options_;
  std::vector<std::unique_ptr<ColumnWriter>> writers_;
  parquet::FileMetaData metadata_;
  uint64_t rows_ = 0;
  uint64_t group_rows_ = 0;
  bool closed_ = false;
};

}  // namespace cu::format
