#pragma once
// ColumnBatch — up to N rows of a query result held column by column, the unit that flows
// from the binary COPY decoder (engine/copy_binary_decoder.h) to the typed writers (Parquet,
// JSON). Each column keeps one slot per row (NULL rows hold a zero / empty slot and are
// marked in `nulls`), so a writer can walk rows or columns without index arithmetic.
// Strings and byte values live in one arena per column, addressed by `offsets`.
//
//   ColumnBatch batch(columns);          // columns: name, PostgreSQL type, precision/scale
//   batch.column(0).append_int(42);      // the decoder fills it…
//   writer.write(batch);                 // …a writer consumes it…
//   batch.clear();                       // …and it is reused; capacity stays.
//
// Memory is bounded by the decoder's rows-per-batch and bytes-per-batch limits. Header-only
// and free of PostgreSQL knowledge, so both pg/ (which fills it) and format/ can use it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cu::format {

// How a column's values are held in memory (and which slot vector they use).
enum class ValueKind : uint8_t {
  kBool,         // ints: 0/1
  kInt16,        // ints
  kInt32,        // ints
  kInt64,        // ints
  kFloat32,      // doubles (exact widening of the float4)
  kFloat64,      // doubles
  kDecimal,      // decimals: unscaled value at `scale` (numeric with a declared scale)
  kNumericText,  // bytes: exact decimal text (numeric without declared precision/scale)
  kText,         // bytes: UTF-8 (text, varchar, bpchar with its blanks, name, "char")
  kJson,         // bytes: JSON text (json, jsonb without its version byte)
  kDate,         // ints: days since 2000-01-01 (PostgreSQL's epoch)
  kTime,         // ints: microseconds since midnight
  kTimestamp,    // ints: microseconds since 2000-01-01 00:00, no zone
  kTimestampTz,  // ints: microseconds since 2000-01-01 00:00 UTC
  kUuid,         // bytes: 16 raw bytes
  kBytes,        // bytes: raw (bytea)
};

// Which vector of a ColumnBatch holds values of a kind (the comments above name it).
enum class Storage { kInts, kDoubles, kDecimals, kBytes };
inline Storage storage_of(ValueKind k) {
  switch (k) {
    case ValueKind::kFloat32:
    case ValueKind::kFloat64:
      return Storage::kDoubles;
    case ValueKind::kDecimal:
      return Storage::kDecimals;
    case ValueKind::kNumericText:
    case ValueKind::kText:
    case ValueKind::kJson:
    case ValueKind::kUuid:
    case ValueKind::kBytes:
      return Storage::kBytes;
    default:
      return Storage::kInts;
  }
}

// What a column holds: its result name, in-memory kind and, for decimals, the declared
// precision and scale. The binary COPY decoder derives it from PostgreSQL's type OID and
// modifier (engine::describe_column); writers map it to their own types.
struct ColumnType {
  std::string name;
  ValueKind kind = ValueKind::kText;
  int precision = 0;  // kDecimal only
  int scale = 0;      // kDecimal only
};

class Column {
 public:
  explicit Column(ColumnType type) : type_(std::move(type)) { offsets_.push_back(0); }

  const ColumnType& type() const { return type_; }
  size_t size() const { return nulls_.size(); }
  bool is_null(size_t row) const { return nulls_[row] != 0; }
  size_t null_count() const { return null_count_; }

  int64_t int_at(size_t row) const { return ints_[row]; }
  double double_at(size_t row) const { return doubles_[row]; }
  __int128 decimal_at(size_t row) const { return decimals_[row]; }
  std::string_view bytes_at(size_t row) const {
    return std::string_view(arena_.data() + offsets_[row], offsets_[row + 1] - offsets_[row]);
  }
  size_t arena_bytes() const { return arena_.size(); }

  void append_null() {
    nulls_.push_back(1);
    ++null_count_;
    switch (storage_of(type_.kind)) {
      case Storage::kInts:
        ints_.push_back(0);
        break;
      case Storage::kDoubles:
        doubles_.push_back(0);
        break;
      case Storage::kDecimals:
        decimals_.push_back(0);
        break;
      case Storage::kBytes:
        offsets_.push_back(static_cast<uint32_t>(arena_.size()));
        break;
    }
  }
  void append_int(int64_t v) {
    nulls_.push_back(0);
    ints_.push_back(v);
  }
  void append_double(double v) {
    nulls_.push_back(0);
    doubles_.push_back(v);
  }
  void append_decimal(__int128 v) {
    nulls_.push_back(0);
    decimals_.push_back(v);
  }
  void append_bytes(std::string_view v) {
    nulls_.push_back(0);
    arena_.append(v);
    offsets_.push_back(static_cast<uint32_t>(arena_.size()));
  }
  // For values built in place: append to arena() then call commit_bytes().
  std::string& arena() { return arena_; }
  void commit_bytes() {
    nulls_.push_back(0);
    offsets_.push_back(static_cast<uint32_t>(arena_.size()));
  }

  void clear() {
    nulls_.clear();
    ints_.clear();
    doubles_.clear();
    decimals_.clear();
    arena_.clear();
    offsets_.resize(1);
    null_count_ = 0;
  }

 private:
  ColumnType type_;
  std::vector<uint8_t> nulls_;
  size_t null_count_ = 0;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<__int128> decimals_;
  std::vector<uint32_t> offsets_;  // size() + 1 entries for byte kinds
  std::string arena_;
};

class ColumnBatch {
 public:
  explicit ColumnBatch(const std::vector<ColumnType>& types) {
    columns_.reserve(types.size());
    for (const auto& t : types) {
      columns_.emplace_back(t);
    }
  }

  size_t num_columns() const { return columns_.size(); }
  size_t num_rows() const { return columns_.empty() ? 0 : columns_[0].size(); }
  Column& column(size_t i) { return columns_[i]; }
  const Column& column(size_t i) const { return columns_[i]; }
  // Bytes held in string arenas, the part of a batch that is not bounded by its row count.
  size_t arena_bytes() const {
    size_t n = 0;
    for (const auto& c : columns_) {
      n += c.arena_bytes();
    }
    return n;
  }
  void clear() {
    for (auto& c : columns_) {
      c.clear();
    }
  }

 private:
  std::vector<Column> columns_;
};

}  // namespace cu::format
