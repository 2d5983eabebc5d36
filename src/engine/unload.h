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
//   file_stream    blocks → files cut at MAXFILESIZE, header per file, sealed in the store
//   manifest       the manifest's bytes
//   commit         once the whole query was read: the files published, CLEANPATH's
//                  deletions, the manifest last; before that nothing is visible, and a
//                  failure or a stop aborts everything (docs/formats.md "Commit")
//
// Choices (docs/formats.md "Layout"): N = hardware threads (at least 2); files split at
// block boundaries (≤ MAXFILESIZE unless one block is larger); Parquet MAXFILESIZE rounded
// down to a multiple of 32 MB (at least 32 MB); zero rows → no file and no manifest, or
// with EmptyResult::kSchema one file named as slice 0 / part 0.

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "engine/file_stream.h"
#include "pg/copy_source.h"
#include "sink/object_store.h"
#include "unload/pii.h"
#include "unload/unload_spec.h"

namespace cu::engine {

// What a query of zero rows writes: nothing — no file, no manifest, as Redshift — or one
// file with just the schema (a header line with HEADER, an empty file, a Parquet file
// without row groups) and the manifest.
enum class EmptyResult { kNone, kSchema };

// The personal-data guard of a client-mode run (unload/pii.h): every non-null value of the
// query's text-like columns is checked as it streams; once the whole query is read and
// before anything is published, the flagged columns (other than `masked`) are put in
// `findings`, and a refused one fails the run (kUsage, nothing published).
struct PiiGuard {
  unload::PiiSettings settings;
  std::set<std::string> masked;
  std::vector<unload::PiiFinding> findings;  // out
};

// The guard's view of a query's columns: text-like ones (text, varchar, char, json) are
// checked by value unless `masked`; every one by name. The one rule for both modes.
std::vector<unload::PiiColumn> pii_columns(const std::vector<pg::SourceColumn>& columns,
                                           const std::set<std::string>& masked);

// A run's live counters, for a progress display on another thread: the engine updates them
// once per block or batch with relaxed atomics (nothing per value), anyone may read them at
// any time. The run's result (UnloadResult) is the final word; these only approach it.
struct ProgressCounters {
  enum class Phase : int { kDescribe, kRead, kCommit, kDone };
  std::atomic<uint64_t> rows{0};   // rows read from the COPY so far
  std::atomic<uint64_t> bytes{0};  // bytes written to the store so far (as stored: compressed)
  std::atomic<Phase> phase{Phase::kDescribe};
};

struct UnloadOptions {
  unsigned parallelism = 0;          // slices with PARALLEL ON; 0 = hardware threads (≥ 2)
  size_t block_bytes = 1u << 20;     // encoded bytes per block (compression unit)
  unsigned max_open_partitions = 0;  // 0 = chosen from the store's per-writer memory
  // PARTITION BY beyond max_open_partitions: where rows wait (empty = $TMPDIR or /tmp) and
  // how many bytes of them are buffered in memory before they go to disk.
  std::string spool_dir = {};
  uint64_t spool_memory = 32ull << 20;
  EmptyResult empty_result = EmptyResult::kNone;
  // Requested (the job's deadline, SIGINT/SIGTERM) before the commit: the run publishes
  // nothing and throws kOther. A stop during the read cancels the query on its own
  // (job::run_job); once the commit has begun it runs to its end.
  std::stop_token stop = {};
  // The personal-data guard; null (or pii = off) checks nothing.
  PiiGuard* pii = nullptr;
  // Live counters for a progress display; null counts nothing.
  ProgressCounters* progress = nullptr;
};

struct UnloadResult {
  std::vector<UnloadedFile> files;  // sorted by key
  uint64_t rows = 0;
  uint64_t bytes = 0;
  std::string manifest_url;          // empty without MANIFEST or without files
  std::vector<std::string> cleaned;  // keys CLEANPATH deleted
  unsigned slices = 1;
  double describe_seconds = 0, unload_seconds = 0, total_seconds = 0;
};

// Throws cu::Error: kUsage for options it cannot honour or columns a format refuses (before
// anything is written); kDestination when the prefix is not empty (spec §1.6) or a write
// fails; kSource for the database. A failure before the commit publishes nothing and
// leaves nothing open; one during the commit says what was published (engine/commit.h).
UnloadResult run_unload(const unload::UnloadSpec& spec, pg::CopySource& source,
                        sink::ObjectStore& store, const UnloadOptions& options = {});

nlohmann::json to_json(const UnloadResult& result);

}  // namespace cu::engine
