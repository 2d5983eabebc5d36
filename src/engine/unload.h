#pragma once
// engine::run_unload — carries out one UNLOAD: rows from a CopySource (pg/copy_source.h)
// into objects of an ObjectStore (sink/object_store.h: S3 or a folder), with Redshift's
// names, formats, compression, layout and manifest. Both client mode (libpq) and the local
// Redshift gateway drive it.
//
//   pg::Connection conn(pg::parse_target(conninfo));
//   pg::PgCopySource source(conn);
//   auto store = sink::make_folder_store();                 // or make_s3_store(s3, bucket)
//   engine::UnloadResult r = engine::run_unload(spec, source, *store, {});
//   std::cout << engine::to_json(r).dump() << "\n";
//
// The pipeline, one file per stage (src/engine/):
//   partition_key  PARTITION BY: key columns, kept columns, each row's folder
//   encoding       what rows become (delimited encoder / JSON / Parquet), checked up front
//   copy_reader    COPY stream → encoded rows → the lane of the row's folder
//   router         lanes → blocks → the slices' streams (PARALLEL ON: N slices round-robin,
//                  OFF: one) or the partitions' streams (the first max_open_partitions open,
//                  the rest waiting in partition_spool), written by one WorkQueue's workers
//                  (stream_pool) beside the COPY
//   file_stream    blocks → files cut at MAXFILESIZE, header per file, via the ObjectStore
//   manifest       the manifest's bytes, written last
// Everything written is committed object by object; on any failure the open objects are
// aborted, the committed ones of this run deleted, no manifest is written, and the error
// says so.
//
// Choices (docs/formats.md "Layout"): N = hardware threads (at least 2); files split at
// block boundaries (≤ MAXFILESIZE unless one block is larger); Parquet MAXFILESIZE rounded
// down to a multiple of 32 MB (at least 32 MB); zero rows → one empty (or header-only, or
// row-less Parquet) file named as slice 0 / part 0, none when partitioned.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/file_stream.h"
#include "pg/copy_source.h"
#include "sink/object_store.h"
#include "unload/unload_spec.h"

namespace cu::engine {

struct UnloadOptions {
  unsigned parallelism = 0;          // slices with PARALLEL ON; 0 = hardware threads (≥ 2)
  size_t block_bytes = 1u << 20;     // encoded bytes per block (compression unit)
  unsigned max_open_partitions = 0;  // 0 = chosen from the store's per-writer memory
  // PARTITION BY beyond max_open_partitions: where rows wait (empty = $TMPDIR or /tmp) and
  // how many bytes of them are buffered in memory before they go to disk.
  std::string spool_dir = {};
  uint64_t spool_memory = 32ull << 20;
};

struct UnloadResult {
  std::vector<UnloadedFile> files;  // sorted by key
  uint64_t rows = 0;
  uint64_t bytes = 0;
  std::string manifest_url;  // empty without MANIFEST
  unsigned slices = 1;
  double describe_seconds = 0, unload_seconds = 0, total_seconds = 0;
};

// Throws cu::Error: kUsage for options it cannot honour or columns a format refuses (before
// anything is written); kDestination when the prefix is not empty (spec §1.6) or a write
// fails; kSource for the database. On failure nothing of this run is left in the store.
UnloadResult run_unload(const unload::UnloadSpec& spec, pg::CopySource& source,
                        sink::ObjectStore& store, const UnloadOptions& options = {});

nlohmann::json to_json(const UnloadResult& result);

}  // namespace cu::engine
