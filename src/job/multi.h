#pragma once
// Many unloads in one job: a job file's [[unload]] entries (the Lambda event's "unloads"),
// each built and checked as a single job, then run one after another (or `concurrency` at a
// time), each with its own steps and verification, in one report with one row per entry.
//
//   job::JobFile file = job::parse_toml_file(text, "job.toml");
//   std::vector<job::Entry> entries = job::build_entries(file, flags.values());
//   job::MultiReport r = job::run_entries(entries, file, env);
//   std::cout << job::to_json(r).dump(2);   // r.exit_code: the worst failure's
#include <functional>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/config_file.h"
#include "job/config.h"
#include "job/job.h"

namespace cu::job {

struct Entry {
  std::string label;  // "unload 3 (table sales)"
  std::optional<std::string> table;
  JobConfig config;
};

// Every entry built (and, with `read_files`, its query_file and mask_policy read) before any
// runs: a mistake in the last entry is found before the first one writes. Errors are the
// entry's (in_entry). `report` and `dry_run` are the job's, refused inside an entry.
std::vector<Entry> build_entries(const JobFile& file, const Values& over, bool read_files);

struct MultiReport {
  std::string status = "ok";  // "ok" or "failed"
  int exit_code = 0;
  OnError on_error = OnError::kStop;
  int concurrency = 1;
  // One per entry, in the file's order: status "ok", "failed" or "skipped" (on_error = stop
  // after a failure, or the run was stopped before it started).
  std::vector<std::string> labels;
  std::vector<std::optional<std::string>> tables;
  std::vector<Report> reports;
};

// The exit code of several failures: access (3) over source (4) over destination (5) over
// usage (2) over other (1); 0 when every code is 0.
int worst_exit_code(const std::vector<int>& codes);

// Runs the entries. `on_failure` may add to a failed entry's report (what it left behind);
// `on_done` is called as each entry ends (under a lock: one at a time).
MultiReport run_entries(const std::vector<Entry>& entries, const JobFile& file,
                        const aws::Environment& env, std::stop_token stop = {},
                        const StopCause& cause = StopCause::deadline(),
                        const std::function<void(const Error&, Report&)>& on_failure = {},
                        const std::function<void(const std::string&, const Report&)>& on_done = {});

// {"status", "exit_code", "on_error", "concurrency", "unloads": [{index, label, table or
// query, to, status, exit_code, rows, bytes, files, error, report}]} — `report` is the
// entry's whole report as a single job's (absent for a skipped entry).
nlohmann::json to_json(const MultiReport& report, const std::vector<Entry>& entries);

// What --dry-run prints for every entry, each under its label.
std::string describe_plans(const std::vector<Entry>& entries, const aws::Environment& env);

}  // namespace cu::job
