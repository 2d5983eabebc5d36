#pragma once
// Incremental unloads (docs/incremental.md): each run unloads the rows of the query whose
// `incremental_column` lies in a window (watermark, maximum at the start of the run], into
// a prefix that names the window, and saves the new watermark in `state` only after the
// run published.
//
//   WatermarkType t = watermark_type(column_oid, "sold_at");            // kUsage for text…
//   Window w{.column = "sold_at", .type = t, .from = state.watermark, .to = hi};
//   spec.select = window_query(spec.select, w, dialect);
//   spec.destination = render_window_prefix(job.unload.destination, w);
//
// A state is written before the unload with the window it is about to unload (`pending`)
// and after the publish with the new watermark: a run that failed or was killed is
// repeated with the same window, and so targets the same prefix, where the commit protocol
// refuses a second publish.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "unload/sql_lexer.h"

namespace cu::aws {
class AwsContext;
}  // namespace cu::aws

namespace cu::job {

// The job keys incremental_column, state and incremental_start.
struct IncrementalConfig {
  std::string column;                // a plain identifier, folded to lower case
  std::string state;                 // s3://bucket/key or a local file path
  std::optional<std::string> start;  // the watermark of a run without state
};

// The column types a watermark may have.
enum class WatermarkType { kSmallint, kInteger, kBigint, kDate, kTimestamp, kTimestamptz };

// "bigint", "timestamp", … as the state file and the report write it.
const char* to_string(WatermarkType t);
std::optional<WatermarkType> watermark_type_named(std::string_view name);

// Config time: `text` must be one plain identifier (a word of the SQL lexer, no quotes);
// returns it folded to lower case, as the database names an unquoted column. kUsage naming
// `incremental_column` otherwise.
std::string check_incremental_column(std::string_view text);
// Config time: s3://bucket/key (a key, not a folder) or a local file path. kUsage otherwise.
void check_state_location(std::string_view state);
// Config time: the placeholders of `to` — {from}, {to}, {from:FMT}, {to:FMT} with FMT made
// of %Y %m %d %H %M %S %% and other characters that are not braces. {to} must be there (each
// window its own prefix). kUsage naming `to` for an unknown placeholder or a missing {to}.
void check_window_template(std::string_view to);
// True when `to` holds a `{…}` placeholder of the window template.
bool has_window_placeholder(std::string_view to);

// The watermark type of a described column (pg/types.h OIDs); kUsage naming the column and
// its type for any other type.
WatermarkType watermark_type(std::uint32_t type_oid, std::string_view column);
// The same for a type's name: PostgreSQL's (`timestamp without time zone`, `bigint`) or
// pg_type's, as the Data API's ColumnMetadata gives it (`timestamp`, `int8`).
WatermarkType watermark_type(std::string_view type_name, std::string_view column);

// Checks that `value` is a value of `type` as the database prints it (ISO dates, UTC) and
// returns it as an SQL literal: `cast('2026-12-03 10:15:00' as timestamp)`, `42`. kUsage
// naming `origin` (state, incremental_start) for anything else: the text of a state file is
// never pasted into SQL unchecked.
std::string window_literal(WatermarkType type, std::string_view value, std::string_view origin);

// A window: rows with from < column <= to (no lower bound when `from` is unset).
struct Window {
  std::string column;
  WatermarkType type = WatermarkType::kBigint;
  std::optional<std::string> from;
  std::string to;
};

// `select * from (<select>) as cu_window where "c" > <from> and "c" <= <to>`.
std::string window_query(std::string_view select, const Window& w);
// The run's upper bound: `select max("c") from (<select>) as cu_window [where "c" > <from>]`
// (NULL: nothing new).
std::string max_query(std::string_view select, std::string_view column, WatermarkType type,
                      const std::optional<std::string>& from);

// `to` with its placeholders replaced by the window's bounds, path-safe: a date as
// 2026-12-03, a timestamp as 2026-12-03T10-15-00 (fraction kept: .123), with time zone
// followed by Z (UTC), an integer as its digits; {from} of a first run is "start".
std::string render_window_prefix(std::string_view to, const Window& w);

// The state document: {"column", "type", "watermark", "window": {from, to} of the last
// published run, "pending": {from, to} of a run started and not yet saved, "job": {"to"},
// "updated_at"}.
struct State {
  std::string column;
  WatermarkType type = WatermarkType::kBigint;
  std::optional<std::string> watermark;
  std::optional<Window> window;   // the last published window
  std::optional<Window> pending;  // a run started with this window and did not save
  std::string to;                 // the job's `to` template
};
std::string state_json(const State& s);
// Parses and checks a state document (kUsage naming `where`): its values go into SQL.
State parse_state(std::string_view text, std::string_view where);

// Where the state lives: an S3 object read and written as `writer` (the job's writing
// identity), or a local file written to a temporary file and renamed over it.
class StateStore {
 public:
  StateStore(std::string location, aws::AwsContext& aws, aws::CredentialsProviderPtr writer);
  // The state, or nullopt when there is none yet.
  std::optional<State> read();
  void write(const State& s);
  const std::string& location() const { return location_; }

 private:
  std::string location_;
  aws::AwsContext& aws_;
  aws::CredentialsProviderPtr writer_;
};

}  // namespace cu::job
