#pragma once
// engine::read_copy — the reading end of the pipeline: runs the COPY of `encoding`, turns
// its stream into encoded rows (text COPY lines through the delimited encoder; binary COPY
// through the decoder, then the JSON writer or typed rows for Parquet), finds each row's
// partition folder, and puts the row into that folder's lane of `router`.
//
//   read_copy(source, encoding, keys, prefix, *router);   // returns the rows read
//
// With `pii`, every non-null value of its by_value columns (indexes of the query's
// columns) is also handed to the personal-data scan. With `rows_read`, the rows read so
// far are stored there (relaxed) every few thousand rows and once at the end.

#include <atomic>
#include <cstdint>
#include <string>

#include "engine/encoding.h"
#include "engine/partition_key.h"
#include "engine/router.h"
#include "pg/copy_source.h"
#include "unload/pii.h"

namespace cu::engine {

uint64_t read_copy(pg::CopySource& source, Encoding& encoding, PartitionKeys& keys,
                   const std::string& prefix, Router& router, unload::PiiScan* pii = nullptr,
                   std::atomic<uint64_t>* rows_read = nullptr);

}  // namespace cu::engine
