#include "job/client_unload.h"

#include <fmt/format.h>

#include <memory>
#include <optional>

#include "aws/context.h"
#include "aws/s3.h"
#include "base/error.h"
#include "engine/commit.h"
#include "engine/unload.h"
#include "pg/copy_source.h"
#include "sink/object_store.h"

namespace cu::job {

ClientUnloadResult client_unload(const unload::UnloadSpec& spec, pg::Connection& conn,
                                 aws::AwsContext& aws, const aws::CredentialsProviderPtr& writer,
                                 const std::stop_token& stop, bool schema_when_empty,
                                 const StopCause& cause, engine::PiiGuard* pii,
                                 const ProgressSettings& progress) {
  unload::Destination d = sink::parse_destination(spec.destination);
  std::unique_ptr<aws::S3Client> s3;
  std::unique_ptr<sink::ObjectStore> store;
  if (d.s3) {
    if (!writer) {
      throw Error(ErrorKind::kUsage, "unload", spec.destination,
                  "an s3:// destination needs credentials to write with");
    }
    s3 = aws.s3(writer, spec.region);
    store = sink::make_s3_store(*s3, d.bucket);
  } else {
    store = sink::make_folder_store();
  }
  pg::PgCopySource source(conn);
  if (stop.stop_requested()) {
    throw Error(ErrorKind::kOther, "unload", spec.destination,
                cause.what() + ": the unload did not start; nothing was written")
        .with_hint(cause.hint);
  }
  // A stop before the commit publishes nothing (the engine checks it once the query is read).
  engine::UnloadOptions options;
  options.stop = stop;
  options.pii = pii;
  options.empty_result =
      schema_when_empty ? engine::EmptyResult::kSchema : engine::EmptyResult::kNone;
  engine::ProgressCounters counters;
  std::optional<ProgressReporter> reporter;
  const ProgressMode mode = resolve_mode(progress.mode);
  if (mode != ProgressMode::kNone) {
    options.progress = &counters;
    std::optional<uint64_t> estimate = planner_rows(conn, spec.select);
    reporter.emplace(
        mode, interval_of(progress, mode),
        [&counters] {
          using Phase = engine::ProgressCounters::Phase;
          static constexpr Keyword<Phase> kPhases[] = {{Phase::kDescribe, "describe"},
                                                       {Phase::kRead, "copy"},
                                                       {Phase::kCommit, "commit"},
                                                       {Phase::kDone, "commit"}};
          return ProgressSample{.status = std::string(keyword_of(
                                    kPhases, counters.phase.load(std::memory_order_relaxed))),
                                .rows = counters.rows.load(std::memory_order_relaxed),
                                .bytes = counters.bytes.load(std::memory_order_relaxed),
                                .objects = std::nullopt};
        },
        estimate);
  }
  engine::UnloadResult r = engine::run_unload(spec, source, *store, options);
  if (reporter) {
    reporter->finish(
        {.status = "done", .rows = r.rows, .bytes = r.bytes, .objects = r.files.size()});
  }
  ClientUnloadResult out;
  out.rows = r.rows;
  out.bytes = r.bytes;
  for (const engine::UnloadedFile& f : r.files) {
    out.files.push_back({f.url, f.bytes, f.rows});
  }
  if (!r.manifest_url.empty()) {
    out.manifest = r.manifest_url;
  }
  return out;
}

std::string clean_path_plan(const unload::UnloadSpec& spec) {
  unload::Destination d = sink::parse_destination(spec.destination);
  std::string prefix = d.prefix;
  const bool partitioned = spec.partition_by.has_value();
  if (partitioned && !prefix.empty() && prefix.back() != '/') {
    prefix += '/';
  }
  const std::string when = partitioned
                               ? "once the query has succeeded, in the partition folders that "
                                 "receive new files only"
                               : "once the query has succeeded";
  if (d.s3) {
    return fmt::format(
        "clean path: delete the objects under s3://{}/{} that this run does not "
        "replace, {} (the dry run does not list them)",
        d.bucket, prefix, when);
  }
  auto store = sink::make_folder_store();
  std::vector<std::string> keys = engine::clean_path_keys(*store, d, prefix, {prefix});
  std::string out = fmt::format(
      "clean path: delete {} file(s) named as crossunload names its output under {}, {}{}",
      keys.size(), store->url(prefix), when, keys.empty() ? "" : ":");
  for (const std::string& k : keys) {
    out += "\n       " + store->url(k);
  }
  return out;
}

}  // namespace cu::job
