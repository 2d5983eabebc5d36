#pragma once
// JobConfig — what one `crossunload run` is told to do: where the query runs and how we
// reach it (conninfo, or a secret read through a role), what to run, where the result goes,
// the UNLOAD options, and how to report. The same keys come from three places, which are
// layered so that later ones win:
//
//   auto values = cu::job::parse_toml(file_text, "job.toml");        // --config FILE
//   cu::job::overlay(values, cu::job::parse_json(lambda_event));     // or the Lambda event
//   cu::job::overlay(values, flags.values());                        // config_flags.h
//   cu::job::JobConfig job = cu::job::build(values);                 // checks everything
//   job.unload;   // the UnloadSpec: TO, IAM_ROLE chain, every option; select from `query`
//
// Every `run` flag has the same-named key (dashes become underscores). List keys
// (iam_role, partition_by) take an array or one comma-separated string. Unknown keys and
// ill-typed values are cu::Error(kUsage, "configure", "<key>", …). All of this is pure:
// reading the --config file or query_file is the caller's (read_text_file, load_query).

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"
#include "base/strings.h"
#include "job/catalog.h"
#include "job/incremental.h"
#include "job/progress.h"
#include "unload/mask.h"
#include "unload/pii.h"
#include "unload/query_check.h"
#include "unload/unload_spec.h"

namespace cu::job {

// How the result is produced: `server` sends UNLOAD to Redshift; `client` runs the query
// and writes the objects itself; `auto` picks server on Redshift, client elsewhere.
enum class Mode { kAuto, kServer, kClient };
inline constexpr Keyword<Mode> kModeWords[] = {
    {Mode::kAuto, "auto"}, {Mode::kServer, "server"}, {Mode::kClient, "client"}};
const char* to_string(Mode m);
// How the query is read: Redshift SQL in server mode, PostgreSQL's in client mode; in auto
// mode either, until the source is known (unload/query_check.h).
unload::QueryDialect query_dialect(Mode m);

// How the job reaches the cluster: a database session (libpq), or Amazon Redshift's Data
// API (HTTPS; no connection, no network path into the cluster's VPC).
enum class Via { kConnection, kDataApi };
inline constexpr Keyword<Via> kViaWords[] = {{Via::kConnection, "connection"},
                                             {Via::kDataApi, "data-api"}};
const char* to_string(Via v);

// What one invocation does with the Data API path: `crossunload run`, `run --no-wait`
// (submit) or `crossunload check` — and the Lambda event's "action".
enum class Action { kRun, kSubmit, kCheck };

// One configuration value as the file, event or flags gave it, before typing.
using Value = std::variant<bool, std::int64_t, std::string, std::vector<std::string>>;
// key -> value; one layer (a file, an event, the flags).
using Values = std::map<std::string, Value>;

// kBool: true/false (a bare flag; `--no-<flag>` for false). kWord: a word that may also be
// given as a bare flag meaning "true" (`--manifest` = plain, `--encrypted=auto`). kList: an
// array or a comma-separated string. kSize: "256 MB", "6.2 GB", or an integer in MB. kMap: a
// TOML table / JSON object of strings, kept as "name=value" items (a repeatable flag).
enum class KeyType { kString, kBool, kInt, kList, kSize, kWord, kMap };

struct KeyInfo {
  const char* name;  // e.g. "query_file"; the flag is "--query-file"
  KeyType type;
  const char* help;
};

// Every key, in the order `run --help` lists them.
const std::vector<KeyInfo>& keys();
const KeyInfo* find_key(std::string_view name);
// The words a yes/no key takes (any case): true, on, yes, 1 and false, off, no, 0 — as
// Redshift's `PARALLEL ON|OFF` and `HEADER` read; nullopt for any other.
std::optional<bool> bool_word(const std::string& word);

// TOML text (a flat table of keys) -> values. `origin` names the file in errors.
Values parse_toml(std::string_view text, std::string_view origin);
// A JSON object (the Lambda event) -> values. null means "not given".
Values parse_json(std::string_view text, std::string_view origin = "event");
// The same for an already parsed document (the Lambda runtime's event).
Values parse_json_value(const nlohmann::json& doc, std::string_view origin = "event");
// Sets every key of `top` in `base` (flags over file).
void overlay(Values& base, const Values& top);

// A job file (or Lambda event) of many unloads: the shared keys at its top, and one layer
// per [[unload]] entry (the event's "unloads" array). An entry is the shared keys overlaid
// with its own, then built and checked as a single job (entry_values, then build).
//
//   on_error = "continue"   # or "stop" (default): the entries after a failure are skipped
//   concurrency = 2          # entries run at once (default 1: one after another)
//   to = "out/"              # shared by every entry unless it gives its own
//   [[unload]]
//   table = "sales"
//   to = "out/sales_"
enum class OnError { kStop, kContinue };
inline constexpr std::int64_t kMaxConcurrency = 16;
struct JobFile {
  Values shared;
  std::vector<Values> unloads;
  bool multi = false;  // it has [[unload]] (an empty list is refused)
  // File level only (never in an entry, never a flag); refused without [[unload]].
  std::optional<OnError> on_error;
  std::optional<int> concurrency;
};
// The file as parse_toml reads it, with [[unload]], on_error and concurrency. Refuses an
// [[unload]] list without entries, and on_error/concurrency without [[unload]].
JobFile parse_toml_file(std::string_view text, std::string_view origin);
// The Lambda event: "unloads": [{…}, …] beside the shared keys.
JobFile parse_json_file(const nlohmann::json& doc, std::string_view origin = "event");
// The refusals both parsers share.
void check_job_file(const JobFile& file, std::string_view origin);
// Entry `index` (0-based): the shared keys, the entry's over them (its table, query or
// query_file replaces the shared ones), then `over` (the command line's flags).
Values entry_values(const JobFile& file, size_t index, const Values& over = {});
// "unload 3 (table sales)" or "unload 3 (to s3://…)": how errors and reports name it.
std::string entry_label(const Values& values, size_t index);
// `e` with the entry's label in front of its step: "unload 3 (table sales): configure to: …".
Error in_entry(const Error& e, std::string_view label);

struct JobConfig {
  // AWS region for our own API calls (STS, Secrets Manager, S3 in client mode).
  std::optional<std::string> region;

  // The source database: a libpq conninfo, or a Secrets Manager secret read through an
  // optional role (assumed with external_id and role_session_name).
  std::optional<std::string> source;
  std::optional<std::string> secret_id;
  std::optional<std::string> secret_role_arn;
  std::optional<std::string> external_id;
  std::string role_session_name = "crossunload";
  std::optional<std::string> database;  // overrides the secret's / conninfo's
  std::optional<std::string> sslmode;   // unset: require, except on loopback
  int connect_timeout = 10;             // seconds

  // The query: inline text or a file to read (then unload.select is empty until read).
  std::optional<std::string> query;
  std::optional<std::string> query_file;

  Mode mode = Mode::kAuto;
  // Client mode: the role our process assumes to write; unset = its own identity.
  std::optional<std::string> write_role_arn;

  // The UNLOAD: destination (`to`), authorization (`iam_role`), every option.
  unload::UnloadSpec unload;

  // Columns masked in the source database before rows leave it (run_job wraps the query).
  unload::MaskRules mask;
  // mask_policy: the policy file's path, and its rules once read (load_mask_policy).
  std::optional<std::string> mask_policy;
  unload::MaskPolicy mask_policy_rules;
  // The hash rule's salt (registered as a secret); unset = a random one per run.
  std::optional<std::string> mask_salt;

  // The personal-data guard (unload/pii.h): pii = refuse | warn | off, allow_pii,
  // pii_sample_rows (server mode), pii_threshold.
  unload::PiiSettings pii;

  std::optional<std::string> report;  // file path, or "-" for stdout
  bool dry_run = false;
  // Live progress on stderr during the unload (job/progress.h): auto | bar | plain | json |
  // none, and progress_interval (seconds).
  ProgressSettings progress;

  // via = "data-api": the cluster (or Serverless workgroup) and login the Data API uses —
  // secret_id (the secret's ARN) or db_user — as the role secret_role_arn (assumed with
  // external_id), the PROD role; `database` is required; mode is server.
  Via via = Via::kConnection;
  std::optional<std::string> cluster_id;
  std::optional<std::string> workgroup;
  std::optional<std::string> db_user;
  // Whether to follow the statement until it ends: unset = yes for a run, no for a check
  // (one DescribeStatement). `wait = false` on a run submits and exits (`--no-wait`).
  std::optional<bool> wait;
  // run (submit and, unless --no-wait, follow), submit (= run --no-wait), or check the
  // statement `statement_id` (an id or the job token a submit reported).
  Action action = Action::kRun;
  std::optional<std::string> statement_id;
  // Client mode, zero rows: "none" (no file, no manifest, as Redshift) or "schema" (one
  // file with just the schema, and the manifest).
  std::string empty_result = "none";

  // catalog_database + catalog_table: after a successful run, the output is registered as
  // that Glue table (docs/catalog.md); catalog_partitions says how its partitions are.
  std::optional<CatalogConfig> catalog;
  // Print the Athena DDL of the table and exit: connects and describes the query, unloads
  // nothing, registers nothing.
  bool print_ddl = false;

  // incremental_column + state (+ incremental_start): each run unloads the rows above the
  // saved watermark, up to the column's maximum at its start, into the prefix `to` names
  // with {from} / {to} (docs/incremental.md).
  std::optional<IncrementalConfig> incremental;
};

// Types and checks every value, then the combinations: `to` and one of query/query_file,
// one of source/secret_id, role ARNs, mode, the UNLOAD option rules (unload::validate, with
// a placeholder select when the query is in a file). Registers secrets found in `source`.
JobConfig build(const Values& values);

// Reads a whole text file (the --config file, query_file); kUsage error naming `key` for a
// file that cannot be read, that is not a regular file (a directory, /dev/zero, a FIFO) or
// that is larger than kMaxTextFile.
inline constexpr std::uint64_t kMaxTextFile = std::uint64_t{1} << 20;  // 1 MiB
std::string read_text_file(const std::string& path, std::string_view key);

// The query as UNLOAD takes it: surrounding blanks and one trailing `;` removed (a .sql
// file usually ends with one; inside UNLOAD ('…') it would be a syntax error).
std::string normalize_query(std::string_view text);

// When the query is in query_file: reads it into job.unload.select (normalized) and
// checks it as build() checked the inline query. Does nothing for an inline query.
void load_query(JobConfig& job);

// A mask policy file (TOML): rules tried in order, the first whose pattern matches a column's
// name decides its rule (unload::MaskPolicyRule has the pattern syntax):
//
//   [[rule]]
//   columns = ["email", "*_email"]
//   mask = "email"
//
// Throws cu::Error(kUsage, "configure", "<origin> rule N", …) for anything else.
unload::MaskPolicy parse_mask_policy(std::string_view text, std::string_view origin);

// When the job names a mask_policy: reads and parses it into job.mask_policy_rules.
void load_mask_policy(JobConfig& job);

// True when the job masks columns (`mask`, or a policy that has rules).
bool masks_columns(const JobConfig& job);

// The mask step's detail for reports: "2 columns, mask_policy pii.toml (5 patterns)".
std::string mask_detail(const JobConfig& job);

}  // namespace cu::job
