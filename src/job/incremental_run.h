#pragma once
// The incremental steps of a run (docs/incremental.md), whichever way the database is
// reached — a connection (client and server mode) or the Data API, which hand over how
// they describe the query and run the maximum's statement:
//
//   IncrementalRun run = begin_window(job, source, aws, state_as, dest_as, spec, report);
//   if (run.outcome == "unload") { …unload spec… ; save_window(run); }

#include <functional>
#include <optional>
#include <string>

#include "aws/credentials.h"
#include "job/incremental.h"
#include "job/job.h"
#include "unload/unload_spec.h"

namespace cu::aws {
class AwsContext;
}  // namespace cu::aws

namespace cu::job {

struct WindowSource {
  // The watermark type of `column` in the result of `select` (watermark_type() refuses other
  // types); nullopt when the result has no such column.
  std::function<std::optional<WatermarkType>(const std::string& select, const std::string& column)>
      column_type;
  // Runs `sql` (max_query) and returns its one value; nullopt for NULL.
  std::function<std::optional<std::string>(const std::string& sql)> max;
  // Client mode: opens the snapshot the maximum and the COPY share; empty otherwise.
  std::function<void()> begin_snapshot;
};

// An incremental run's window, its state and where it stands.
struct IncrementalRun {
  StateStore store;
  State state;  // as it will be saved once the window is published
  Window window;
  std::string outcome;  // "unload", "empty" or "published earlier"
};

// Reads the state, takes the window's upper bound, saves it as pending, and points `spec`
// at the window's rows and prefix; the report gets `window` and `state`. `state_as` reads
// and writes an S3 state, `dest_as` lists an S3 destination (null for local ones). A window
// whose prefix already holds its manifest was published by a run that stopped before
// saving: the state is saved now and the outcome is "published earlier". Objects there
// without a manifest are kDestination.
IncrementalRun begin_window(const JobConfig& job, const WindowSource& source, aws::AwsContext& aws,
                            const aws::CredentialsProviderPtr& state_as,
                            const aws::CredentialsProviderPtr& dest_as, unload::UnloadSpec& spec,
                            Report& report);

// After the publish: the window's end becomes the watermark, nothing is pending.
void save_window(IncrementalRun& run);

}  // namespace cu::job
