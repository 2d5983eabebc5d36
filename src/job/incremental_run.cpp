#include "job/incremental_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "aws/context.h"
#include "aws/s3.h"
#include "base/error.h"
#include "base/log.h"
#include "job/job_steps.h"
#include "sink/object_store.h"
#include "unload/naming.h"

namespace cu::job {

namespace {

nlohmann::json window_report(const Window& w, const std::string& prefix,
                             const std::string& outcome) {
  return {{"column", w.column},
          {"type", to_string(w.type)},
          {"from", w.from ? nlohmann::json(*w.from) : nlohmann::json(nullptr)},
          {"to", w.to.empty() ? nlohmann::json(nullptr) : nlohmann::json(w.to)},
          {"prefix", prefix.empty() ? nlohmann::json(nullptr) : nlohmann::json(prefix)},
          {"outcome", outcome}};
}

}  // namespace

IncrementalRun begin_window(const JobConfig& job, const WindowSource& source, aws::AwsContext& aws,
                            const aws::CredentialsProviderPtr& state_as,
                            const aws::CredentialsProviderPtr& dest_as, unload::UnloadSpec& spec,
                            Report& report) {
  const IncrementalConfig& ic = *job.incremental;
  report.state = ic.state;
  std::optional<WatermarkType> type = source.column_type(spec.select, ic.column);
  if (!type) {
    throw Error(ErrorKind::kUsage, "incremental window", ic.column,
                "the query's result has no column " + ic.column)
        .with_hint("incremental_column names a column of the result (as the query names it)");
  }
  if (masked_columns(report).contains(ic.column)) {
    throw Error(
        ErrorKind::kUsage, "incremental window", ic.column,
        "incremental_column " + ic.column + " is masked: its masked values are no watermark")
        .with_hint("keep the column unmasked, or use another monotonic column");
  }
  IncrementalRun run{StateStore(ic.state, aws, state_as), State{}, Window{}, "unload"};
  std::optional<State> prior = run.store.read();
  if (prior && prior->column != ic.column) {
    throw Error(ErrorKind::kUsage, "incremental window", ic.state,
                fmt::format("the state is the watermark of column {}, the job's "
                            "incremental_column is {}",
                            prior->column, ic.column))
        .with_hint(
            "give this job a state of its own, or remove the state to unload every row "
            "again (or from incremental_start)");
  }
  if (prior && prior->type != *type) {
    throw Error(ErrorKind::kUsage, "incremental window", ic.state,
                fmt::format("the state's watermark is a {}, column {} is now {}",
                            to_string(prior->type), ic.column, to_string(*type)))
        .with_hint("cast the column in the query to the state's type, or remove the state");
  }
  if (prior && prior->pending && !prior->to.empty() && prior->to != job.unload.destination) {
    // The repeated window must land where the failed run may have published it.
    throw Error(ErrorKind::kUsage, "incremental window", ic.state,
                fmt::format("a window of this state is pending under to = {}, and the job's to "
                            "is now {}",
                            prior->to, job.unload.destination))
        .with_hint(
            "run once more with the earlier `to` so that the pending window is finished, "
            "then change it");
  }
  std::optional<std::string> from = prior ? prior->watermark : ic.start;
  if (!prior && ic.start) {
    window_literal(*type, *ic.start, "incremental_start");
  }
  if (source.begin_snapshot) {
    source.begin_snapshot();
  }
  std::optional<std::string> to;
  if (prior && prior->pending) {
    to = prior->pending->to;  // a run with this window did not save: repeat it
    log::info("repeating the window ({}, {}] of a run that did not save its state",
              from.value_or("start"), *to);
  } else {
    to = source.max(max_query(spec.select, ic.column, *type, from));
  }
  Window w{.column = ic.column, .type = *type, .from = from, .to = to.value_or("")};
  if (!to) {
    report.window = window_report(w, "", "empty");
    report.rows = 0;
    run.outcome = "empty";
    return run;
  }
  spec.destination = render_window_prefix(job.unload.destination, w);
  spec.select = window_query(spec.select, w);
  report.destination = spec.destination;
  run.window = w;
  run.state = State{.column = ic.column,
                    .type = *type,
                    .watermark = from,
                    .window = prior ? prior->window : std::nullopt,
                    .pending = w,
                    .to = job.unload.destination};
  if (!prior || !prior->pending) {
    run.store.write(run.state);
  }
  report.window = window_report(w, spec.destination, "published");

  // What an earlier attempt of this window left under its prefix.
  unload::Destination d = unload::parse_destination(spec.destination);
  std::unique_ptr<aws::S3Client> s3;
  std::unique_ptr<sink::ObjectStore> store;
  if (d.s3) {
    s3 = aws.s3(dest_as, spec.region);
    store = sink::make_s3_store(*s3, d.bucket);
  } else {
    store = sink::make_folder_store();
  }
  std::vector<sink::StoredObject> there = store->list(d.prefix);
  if (there.empty()) {
    return run;
  }
  const std::string manifest = unload::manifest_name(d.prefix, spec.partition_by.has_value());
  bool has_manifest = spec.manifest != unload::Manifest::kNone &&
                      std::any_of(there.begin(), there.end(),
                                  [&](const sink::StoredObject& o) { return o.key == manifest; });
  if (!has_manifest) {
    throw Error(ErrorKind::kDestination, "incremental window", spec.destination,
                fmt::format("the window's prefix already holds {} object(s) of an earlier "
                            "attempt{}",
                            there.size(),
                            spec.manifest == unload::Manifest::kNone
                                ? " (without a manifest the job cannot tell whether they are "
                                  "complete)"
                                : " and no manifest: that attempt did not finish publishing"))
        .with_hint("check them against the window in " + ic.state +
                   " (pending) and delete them to unload the window again; with manifest on, a "
                   "window published before its state was saved is recognised");
  }
  log::info(
      "window ({}, {}] is already published at {} (a run stopped before saving its "
      "state): saving the state",
      from.value_or("start"), *to, store->url(manifest));
  report.manifest = store->url(manifest);
  report.window = window_report(w, spec.destination, "published earlier");
  run.outcome = "published earlier";
  run.state.watermark = w.to;
  run.state.window = w;
  run.state.pending.reset();
  run.store.write(run.state);
  return run;
}

// After the publish: the window's end becomes the watermark.
void save_window(IncrementalRun& run) {
  run.state.watermark = run.window.to;
  run.state.window = run.window;
  run.state.pending.reset();
  run.store.write(run.state);
}

}  // namespace cu::job
