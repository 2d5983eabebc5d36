#pragma once
// engine::Encoding — what a run's rows become, decided and checked before anything is
// written: text and CSV (and fixed width) through text COPY and a delimited encoder; JSON
// and Parquet through binary COPY, the binary decoder and the typed writers. It also fixes
// the files' settings (names, header, MAXFILESIZE, Parquet columns).
//
//   PartitionKeys keys(spec, columns, prefix);
//   Encoding enc = make_encoding(spec, columns, keys);    // throws kUsage before writing
//   enc.copy_sql                                          // "COPY (…) TO STDOUT [(FORMAT binary)]"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/file_stream.h"
#include "engine/partition_key.h"
#include "format/column_batch.h"
#include "format/encoder.h"
#include "format/json_writer.h"
#include "pg/copy_source.h"
#include "unload/unload_spec.h"

namespace cu::engine {

struct Encoding {
  std::string copy_sql;
  // Text COPY (text, CSV, fixed width): the encoder of the kept columns.
  std::unique_ptr<format::RowEncoder> encoder;
  // Binary COPY (JSON, Parquet): every column's type, and the JSON writer of the kept ones.
  std::vector<format::ColumnType> all_types;
  std::unique_ptr<format::JsonWriter> json;
  FileSettings files;
  bool binary() const { return !encoder; }
};

Encoding make_encoding(const unload::UnloadSpec& spec, const std::vector<pg::SourceColumn>& columns,
                       const PartitionKeys& keys);

}  // namespace cu::engine
