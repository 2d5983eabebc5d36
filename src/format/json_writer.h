#pragma once
// JsonWriter — Redshift's UNLOAD … FORMAT JSON: one JSON object per row and per line,
// keys = result column names in result order, no spaces (`{"venueid":2,"name":"x"}`).
// Numbers are JSON numbers, booleans JSON booleans, NULL is `null`, json/jsonb values are
// nested as JSON; the other renderings (dates, timestamps, decimals, floats' NaN/Infinity,
// bytea, uuid) are the choices written down in docs/formats.md ("JSON", OPEN-15).
//
//   JsonWriter json(types);                 // throws kUsage on duplicate column names
//   std::string out;
//   json.write(batch, out);                 // appends one line per row, '\n' included
//
// The writer appends to a caller-owned buffer and allocates nothing per row once warm.

#include <string>
#include <string_view>
#include <vector>

#include "format/column_batch.h"

namespace cu::format {

class JsonWriter {
 public:
  explicit JsonWriter(std::vector<ColumnType> columns);

  // Appends every row of the batch.
  void write(const ColumnBatch& batch, std::string& out) const;
  // Appends one row, '\n' included.
  void write_row(const ColumnBatch& batch, size_t row, std::string& out) const;

 private:
  std::vector<ColumnType> columns_;
  std::vector<std::string>
      keys_;  // `"name":` with the name JSON-escaped, a leading ',' after the first
};

// JSON string escaping (RFC 8259): `"` and `\` escaped, control characters as \b \f \n \r \t
// or \u00XX; everything else (UTF-8 included) copied. Appends the quoted string.
void append_json_string(std::string_view value, std::string& out);

// Text renderings shared with other writers: PostgreSQL's ISO forms, UTC for timestamptz.
void append_date(int64_t pg_days, std::string& out);         // 2008-01-05, 0044-03-15 BC
void append_time(int64_t micros, std::string& out);          // 14:30:00, 14:30:00.5
void append_timestamp(int64_t pg_micros, std::string& out);  // 2008-01-05 14:30:00
// With a zone suffix ("+00"), placed where PostgreSQL puts it: before " BC".
void append_timestamp(int64_t pg_micros, std::string_view zone, std::string& out);
void append_decimal(__int128 unscaled, int scale, std::string& out);  // -12.50

}  // namespace cu::format
