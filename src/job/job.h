#pragma once
// The cross-account job — the AWS pattern's Lambda logic, done properly. One JobConfig
// (config.h: from a job file, flags or a Lambda event) runs as a sequence of named, timed
// steps:
//
//   credentials → assume secret_role_arn (external id) → read secret → connect →
//   detect server → server mode: UNLOAD on Redshift, then verify the objects in S3
//                 → client mode: stream the query through the engine into S3 or a folder
//
// Every failure is a cu::Error naming its step and resource; the Report says what was
// done, by which identity, in how long. Nothing in a Report is secret.
//
//   job::Report r = job::run_job(cfg, aws::Environment::from_process());
//   std::cout << job::to_json(r).dump(2);

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/config_file.h"
#include "job/config.h"
#include "unload/pii.h"

namespace cu::job {

struct StepReport {
  std::string name;      // "assume role", "read secret", "connect", "unload", …
  double ms = 0;         // wall time
  std::string identity;  // who did it: an ARN, a provider description, or a database user
  std::string detail;    // the resource: role ARN, secret id, host:port/db, s3:// URL
};

struct FileReport {
  std::string url;  // s3://bucket/key or a path
  std::uint64_t bytes = 0;
  std::optional<std::uint64_t> rows;  // when known (client mode, a verbose manifest)
};

struct Report {
  std::string status = "ok";  // "ok" or "failed"
  std::string mode;           // "server" or "client"
  std::string source;         // host:port/db — never a password
  std::string server;         // version() of the source
  std::string destination;    // TO
  std::optional<std::uint64_t> rows;
  std::uint64_t bytes = 0;
  std::vector<FileReport> files;
  std::optional<std::string> manifest;  // URL of the manifest, when one was written
  std::vector<StepReport> steps;
  std::optional<std::string> unload_sql;  // server mode; credentials redacted
  // Masked columns: column -> rule as written (never the salt).
  std::vector<std::pair<std::string, std::string>> masked;
  // "given" (mask_salt) or "random" (hashes of this run compare with no other run's).
  std::string mask_salt;
  // The digest behind hash, email and shift: "sha256", or "md5" on PostgreSQL before 11.
  std::string mask_digest;
  // The personal-data guard: its policy, what it checked ("every value" in client mode, "a
  // sample of N rows in the database" in server mode) and the flagged columns with their
  // decisions — counts and shares, never a value.
  std::string pii_policy;
  std::string pii_checked;
  double pii_threshold = 0;
  std::vector<unload::PiiFinding> pii_findings;
  // via = "data-api": "data-api"; the statement's id and the job token `check` takes.
  // status is then also "submitted" (--no-wait) or "running" (a check that did not wait).
  std::string via;
  std::optional<std::string> statement_id;
  std::optional<std::string> job_token;
  // catalog_database/catalog_table: what was registered (database, table, location,
  // action created|updated, partitions created/updated), once it was.
  std::optional<nlohmann::json> catalog;
  // incremental_column: the window {column, type, from, to, prefix, outcome} — outcome
  // "published", "empty" (nothing new: nothing written, state unchanged) or "published
  // earlier" (a run that published it stopped before saving the state) — and the state's
  // location.
  std::optional<nlohmann::json> window;
  std::optional<std::string> state;
  // --print-ddl: the table's Athena DDL (nothing else was done).
  std::optional<std::string> ddl;
  std::optional<std::string> error;  // the failure's one-line message
  // What the run leaves at the destination when it did not succeed: "nothing: …" for a
  // failed run; while it runs, what to clean if the process dies.
  std::optional<std::string> left;
  int exit_code = 0;
};

nlohmann::json to_json(const Report& report);
// A short human summary (several lines) for stderr.
std::string summary(const Report& report);

// Why `stop` is requested, as the messages of a stopped run say it: the Lambda deadline's
// stop margin (the default), or a signal to `crossunload run` (SIGINT, SIGTERM, SIGHUP).
// `what` is asked only once stop was requested, so a signal's name can be known by then.
struct StopCause {
  std::function<std::string()> what;  // the message starts with it
  std::string hint;
  static StopCause deadline() {
    return {[] { return std::string("stopped before the deadline"); },
            "give the function more time (its timeout), or unload less per run"};
  }
  // `signal_name` returns "SIGTERM", … once the signal arrived.
  static StopCause signal(std::function<std::string()> signal_name) {
    return {[name = std::move(signal_name)] { return "interrupted by " + name(); },
            "run it again; what this run had written was removed"};
  }
};

// Runs the job. Throws cu::Error on failure after cleaning up; `partial`, when given,
// receives the steps done so far (for a report of a failed run).
// `stop` (the Lambda deadline's stop margin, or a signal): once requested, no new step
// starts, the running query is cancelled on the server (PQcancel), the engine aborts its
// uploads and deletes the objects of this run, no manifest is written, and a cu::Error
// whose message starts with `cause.what` ("stopped before the deadline") is thrown. A
// client-mode run that finished just as the stop came is undone the same way, so it never
// leaves objects behind; a server-mode UNLOAD that finished before the stop stays (the job
// cannot delete what Redshift wrote).
Report run_job(const JobConfig& job, const aws::Environment& env, Report* partial = nullptr,
               std::stop_token stop = {}, const StopCause& cause = StopCause::deadline());

// What --dry-run prints: each step with the identity it would use, and the exact UNLOAD
// it would send (server mode) or the objects it would write (client mode). Reads nothing,
// writes nothing, connects to nothing.
std::string describe_plan(const JobConfig& job, const aws::Environment& env);

// Whether a dry run also runs the personal-data check (run_job with dry_run: it reads a
// sample of the masked query, writes nothing): with the guard on, over a connection. Through
// the Data API the check is left to the run.
bool dry_run_checks_pii(const JobConfig& job);

// The Lambda face: the event is a JSON object with the job file's keys; the answer is the
// report as JSON, or with `dry_run` {"status": "dry_run", "destination", "plan": [lines of
// describe_plan], "pii": the report's pii (when dry_run_checks_pii)} and nothing written; a
// flagged column under `pii = "refuse"` is the error, as in a run. `query_file` is refused
// (kUsage): an invoker does not name the function's files. Errors propagate as cu::Error (the
// runtime turns them into an error response).
nlohmann::json handle_event(const nlohmann::json& event, const aws::Environment& env,
                            std::stop_token stop = {});

}  // namespace cu::job
