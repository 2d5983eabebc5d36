#pragma once
// One row of a ColumnBatch as a flat byte string, and back: the form in which typed rows
// (JSON and Parquet input) wait on disk when PARTITION BY has to hold partitions back
// (engine/partition_spool.h). Values are kept exactly as the batch holds them — integers,
// IEEE doubles, 128-bit decimals and raw bytes — so a row read back is the row written.
//
//   std::string rec;
//   format::append_row_record(batch, row, {0, 2, 3}, rec);   // the columns to keep
//   format::ColumnBatch dst(kept_types);
//   std::string_view in = rec;
//   format::read_row_record(in, dst);                          // appends one row
//
// Layout per column: one byte (0 value, 1 NULL), then for a value 8 bytes (integer kinds,
// little-endian two's complement; doubles as their IEEE bits), 16 bytes (decimals), or a
// LEB128 length and the bytes (string and byte kinds). Not a storage format: only this
// process reads it back, with the same column types.

#include <string>
#include <string_view>
#include <vector>

#include "format/column_batch.h"

namespace cu::format {

// Appends row `row` of `batch`, columns `columns` in that order, to `out`.
void append_row_record(const ColumnBatch& batch, size_t row, const std::vector<size_t>& columns,
                       std::string& out);

// Appends the row at the front of `in` to `dst` (one value per column of `dst`) and
// consumes it from `in`. Throws cu::Error(kOther) when `in` ends inside the row.
void read_row_record(std::string_view& in, ColumnBatch& dst);

}  // namespace cu::format
