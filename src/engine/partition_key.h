#pragma once
// engine::PartitionKeys — PARTITION BY for one run: which columns are keys, which stay in
// the files, and the folder each row goes to (`P/col=value/…`, unload::partition_prefix),
// spelled the same whether the row came as COPY text (text, CSV, fixed width) or typed from
// binary COPY (JSON, Parquet): PostgreSQL's text of each value, booleans `true`/`false` as
// Hive writes them (docs/formats.md "Layout").
//
//   PartitionKeys keys(spec, columns, "out/sales/");   // throws kUsage for bad keys
//   std::string_view data;
//   const std::string& folder = keys.folder_of_text(copy_text_row, data);
//   const std::string& folder = keys.folder_of_typed(batch, r);
//
// Without PARTITION BY every column is kept and there is no folder to compute.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "format/column_batch.h"
#include "format/text_copy_row.h"
#include "pg/copy_source.h"
#include "unload/naming.h"
#include "unload/unload_spec.h"

namespace cu::engine {

class PartitionKeys {
 public:
  PartitionKeys(const unload::UnloadSpec& spec, const std::vector<pg::SourceColumn>& columns,
                std::string prefix);

  bool partitioned() const { return !key_idx_.empty(); }
  // Column i stays in the files (not a key, or INCLUDE).
  bool kept(size_t i) const { return kept_[i]; }
  const std::vector<size_t>& kept_columns() const { return kept_idx_; }

  // A row of COPY text: its folder; `data_row` is the row without the key columns (the row
  // itself with INCLUDE).
  const std::string& folder_of_text(std::string_view row, std::string_view& data_row);
  // Row `r` of a typed batch (all columns): its folder.
  const std::string& folder_of_typed(const format::ColumnBatch& b, size_t r);

 private:
  std::string prefix_;
  bool include_ = false;
  std::vector<size_t> key_idx_;
  std::vector<bool> key_is_bool_;
  std::vector<bool> kept_;
  std::vector<size_t> kept_idx_;
  std::vector<unload::PartitionValue> values_;
  std::string folder_;
  std::vector<std::string_view> raw_;
  std::string data_row_;
  format::CopyTextFields fields_;
};

// A typed value as partition folders spell it; nullopt for NULL.
std::optional<std::string> partition_text(const format::Column& c, size_t r);

// PostgreSQL's text of a real / double precision (float4out/float8out, PostgreSQL ≥ 12).
std::string pg_float_text(double v, bool real);

}  // namespace cu::engine
