#pragma once
// engine::commit_run — the commit phase of a run, and the destination rules around it
// (docs/formats.md "Commit"). While the query is read every file is only sealed (stored,
// not visible: sink/object_store.h); once the whole query was read and every file sealed:
//
//   1. Without ALLOWOVERWRITE or CLEANPATH the prefix is listed again: an object another
//      run published meanwhile refuses this run (kDestination), nothing published.
//   2. CLEANPATH: the objects to replace are listed — under the prefix, or with PARTITION
//      BY under the partition folders that receive new files only; in a folder only names
//      crossunload could have written (could_be_output) — nothing is deleted yet.
//   3. The data files are published, the first (by key) alone, then the rest several at a
//      time; without ALLOWOVERWRITE or CLEANPATH conditionally (never replacing), so a run
//      that lost a race to the same names is refused at its first file, nothing published.
//   4. CLEANPATH: the listed objects that this run did not replace are deleted.
//   5. The manifest, last: it is the run's commit marker.
// A failure in 3–5 stops there: what was published stays, the rest is aborted, and the
// error says how far it got (the manifest is then missing).
//
//   check_destination(spec, dest, store, prefix);          // before reading: not empty?
//   …                                              // read, seal every file, settle them
//   CommitResult c = commit_run(store, files.take_sealed(), std::move(manifest), plan);

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/file_stream.h"
#include "sink/object_store.h"
#include "unload/naming.h"
#include "unload/unload_spec.h"

namespace cu::engine {

// Redshift's "not empty" rule before anything is read (kDestination with Redshift's
// message), unless ALLOWOVERWRITE or CLEANPATH.
void check_destination(const unload::UnloadSpec& spec, const unload::Destination& dest,
                       sink::ObjectStore& store, const std::string& prefix);

struct CommitPlan {
  const unload::UnloadSpec& spec;
  const unload::Destination& dest;
  std::string prefix;  // the data prefix: P, or P/ with PARTITION BY
  unsigned threads = 8;
};

struct CommitResult {
  std::vector<std::string> cleaned;  // keys CLEANPATH deleted
};

// Publishes `files` (sorted by key) and then `manifest` (may be null). Throws cu::Error;
// everything not published by then is aborted.
CommitResult commit_run(sink::ObjectStore& store, std::vector<SealedFile> files,
                        std::unique_ptr<sink::ObjectWriter> manifest, const CommitPlan& plan);

// What CLEANPATH would remove under `prefix` before a run with `spec` that writes into
// `folders` (PARTITION BY: the partition folders receiving files; else {prefix}). For a
// folder destination only names crossunload could have written count.
std::vector<std::string> clean_path_keys(sink::ObjectStore& store, const unload::Destination& dest,
                                         const std::string& prefix,
                                         const std::vector<std::string>& folders);

// Whether `rest` (a key with the data prefix taken off) is a name crossunload writes: data
// files `0000_part_00`, `000` (any digits more, any extension), `manifest`, with PARTITION
// BY under `col=value/` folders.
bool could_be_output(std::string_view rest);

}  // namespace cu::engine
