#pragma once
// Live progress of an unload (`progress = auto | bar | plain | json | none`): a reporter
// thread wakes every interval, takes a sample (the engine's counters in client mode; the
// statement's status and the objects under the prefix in server mode) and shows it on
// stderr — one redrawn line on a terminal (bar), one line per interval (plain), or one JSON
// object per interval (json, the Lambda face's: CloudWatch keeps each line). The last
// event holds the run's own numbers: the report's rows and bytes.
//
//   ProgressReporter p(ProgressMode::kJson, std::chrono::seconds(1),
//                      [&] { return ProgressSample{.status = "copy", .rows = n.load(), …}; },
//                      estimated_rows);
//   …the unload…
//   p.finish({.status = "done", .rows = r.rows, .bytes = r.bytes, .objects = r.files.size()});
//
// Fields of a json event (docs/job.md, "Progress"): event ("progress"), status, final,
// elapsed_s, rows, bytes, rate (rows/s), byte_rate (bytes/s), objects, estimated_rows and
// eta_s (when known).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "base/strings.h"

namespace cu::pg {
class Connection;
}  // namespace cu::pg

namespace cu::job {

enum class ProgressMode { kAuto, kBar, kPlain, kJson, kNone };
inline constexpr Keyword<ProgressMode> kProgressWords[] = {{ProgressMode::kAuto, "auto"},
                                                           {ProgressMode::kBar, "bar"},
                                                           {ProgressMode::kPlain, "plain"},
                                                           {ProgressMode::kJson, "json"},
                                                           {ProgressMode::kNone, "none"}};

// The job's choice: the mode, and the interval (unset: 0.2 s for the bar, 1 s otherwise).
struct ProgressSettings {
  ProgressMode mode = ProgressMode::kAuto;
  std::optional<std::chrono::milliseconds> interval;
};

// `auto` is the bar when stderr is a terminal, else nothing.
ProgressMode resolve_mode(ProgressMode mode, bool stderr_is_terminal);
// resolve_mode for this process's stderr.
ProgressMode resolve_mode(ProgressMode mode);
std::chrono::milliseconds interval_of(const ProgressSettings& settings, ProgressMode resolved);

// One look at a running unload.
struct ProgressSample {
  std::string status;               // client: describe, copy, commit; server: the statement's
  std::optional<uint64_t> rows;     // unknown in server mode until the statement ends
  uint64_t bytes = 0;               // written so far (client), under the prefix (server)
  std::optional<uint64_t> objects;  // server mode and the final event: objects written
};

// What one line or event shows.
struct ProgressView {
  ProgressSample sample;
  double elapsed_s = 0;
  std::optional<uint64_t> estimated_rows;  // the planner's, client mode
  bool final = false;
};

// Seconds left by the average rate so far, when the estimate is known and not yet reached;
// nothing rather than a wrong answer otherwise.
std::optional<double> eta_seconds(const ProgressView& v);
// The bar's and plain's text (no control characters).
std::string progress_text(const ProgressView& v);
// The json event.
nlohmann::ordered_json progress_event(const ProgressView& v);

// The planner's row estimate of `select` ("Plan Rows" of EXPLAIN (FORMAT JSON)); nothing when
// the database does not give one (Redshift has no FORMAT JSON).
std::optional<uint64_t> planner_rows(pg::Connection& conn, const std::string& select);

class ProgressReporter {
 public:
  // `mode` must be resolved (bar, plain or json); kNone and kAuto start nothing. `sample` is
  // called on the reporter's thread, once per interval.
  ProgressReporter(ProgressMode mode, std::chrono::milliseconds interval,
                   std::function<ProgressSample()> sample,
                   std::optional<uint64_t> estimated_rows = std::nullopt);
  // Without finish() (the run failed): a last event with status "failed" and the last
  // numbers seen; the bar's line stays.
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Stops the thread and shows the final event with `last`'s numbers.
  void finish(const ProgressSample& last);

 private:
  void loop();
  void stop_thread();
  void show(const ProgressView& v);
  double elapsed() const;

  ProgressMode mode_;
  std::chrono::milliseconds interval_;
  std::function<ProgressSample()> sample_;
  std::optional<uint64_t> estimated_rows_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool finished_ = false;
  ProgressSample last_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace cu::job
