#pragma once
// Client mode's one call into the engine: stream `spec.select` from an open connection
// into the destination (a folder, or S3 with `writer`'s credentials) and say what was
// written. Kept apart from job.cpp so the job's steps don't depend on the engine's shape.

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "job/job.h"
#include "job/progress.h"
#include "pg/connection.h"
#include "unload/unload_spec.h"

namespace cu::aws {
class AwsContext;
}  // namespace cu::aws
namespace cu::engine {
struct PiiGuard;
}  // namespace cu::engine

namespace cu::job {

struct ClientUnloadResult {
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  std::vector<FileReport> files;
  std::optional<std::string> manifest;
};

// `writer` is null for a local destination. When `stop` is requested before the engine's
// commit, nothing is published and kOther is thrown, its message starting with
// `cause.what()`. `schema_when_empty`: a query of zero rows writes one schema-only file (job
// key empty_result = "schema") instead of nothing. `pii`: the personal-data guard, which
// checks every value and refuses before anything is published (engine/unload.h).
// `progress`: live progress on stderr (job/progress.h) — the engine's rows and bytes, and an
// ETA from the planner's estimate (EXPLAIN of `spec.select`); the final event holds the
// result's rows and bytes.
ClientUnloadResult client_unload(const unload::UnloadSpec& spec, pg::Connection& conn,
                                 aws::AwsContext& aws, const aws::CredentialsProviderPtr& writer,
                                 const std::stop_token& stop = {}, bool schema_when_empty = false,
                                 const StopCause& cause = StopCause::deadline(),
                                 engine::PiiGuard* pii = nullptr,
                                 const ProgressSettings& progress = {.mode = ProgressMode::kNone,
                                                                     .interval = {}});

// The dry run's line about CLEANPATH: for a folder, the files it would remove now (only
// names crossunload writes; with PARTITION BY only those in the partition folders that get
// new files are removed, after the query succeeded); for S3, the rule (a dry run calls no
// AWS API).
std::string clean_path_plan(const unload::UnloadSpec& spec);

}  // namespace cu::job
