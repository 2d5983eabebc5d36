#include "job/multi.h"

#include <fmt/format.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "base/log.h"
#include "base/redact.h"

namespace cu::job {

std::vector<Entry> build_entries(const JobFile& file, const Values& over, bool read_files) {
  std::vector<Entry> entries;
  for (size_t i = 0; i < file.unloads.size(); ++i) {
    Values values = entry_values(file, i, over);
    std::string label = entry_label(values, i);
    for (const char* key : {"report", "dry_run"}) {
      if (file.unloads[i].contains(key)) {
        throw Error(ErrorKind::kUsage, label + ": configure", key,
                    fmt::format("'{}' belongs to the job, not to one [[unload]]", key))
            .with_hint("set it at the top of the file (or as a flag): it covers every entry");
      }
    }
    Entry entry{label, std::nullopt, {}};
    if (auto it = values.find("table"); it != values.end()) {
      if (const auto* s = std::get_if<std::string>(&it->second)) {
        entry.table = *s;
      }
    }
    try {
      entry.config = build(values);
      if (read_files) {
        load_query(entry.config);
        load_mask_policy(entry.config);
      }
    } catch (const Error& e) {
      throw in_entry(e, label);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

int worst_exit_code(const std::vector<int>& codes) {
  // Access first (a role or a password to fix), then the source, the destination, the
  // configuration, anything else.
  constexpr int kOrder[] = {3, 4, 5, 2, 1};
  for (int code : kOrder) {
    for (int c : codes) {
      if (c == code) {
        return code;
      }
    }
  }
  for (int c : codes) {
    if (c != 0) {
      return c;  // a signal's exit code (128 + n)
    }
  }
  return 0;
}

MultiReport run_entries(const std::vector<Entry>& entries, const JobFile& file,
                        const aws::Environment& env, std::stop_token stop, const StopCause& cause,
                        const std::function<void(const Error&, Report&)>& on_failure,
                        const std::function<void(const std::string&, const Report&)>& on_done) {
  MultiReport out;
  out.on_error = file.on_error.value_or(OnError::kStop);
  out.concurrency = file.concurrency.value_or(1);
  out.reports.resize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    out.labels.push_back(entries[i].label);
    out.tables.push_back(entries[i].table);
    out.reports[i].status = "skipped";
    out.reports[i].destination = entries[i].config.unload.destination;
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex done_lock;
  auto worker = [&] {
    for (size_t i = next++; i < entries.size(); i = next++) {
      if (stop.stop_requested() || (failed && out.on_error == OnError::kStop)) {
        continue;  // stays "skipped"
      }
      Report& report = out.reports[i];
      report = Report{};
      report.destination = entries[i].config.unload.destination;
      auto fail = [&](const Error& e) {
        Error named = in_entry(e, entries[i].label);
        report.status = "failed";
        report.error = named.what();
        report.exit_code = e.exit_code();
        if (on_failure) {
          on_failure(e, report);
        }
        failed = true;
        log::error("{}", named.what());
      };
      try {
        run_job(entries[i].config, env, &report, stop, cause);
      } catch (const Error& e) {
        fail(e);
      } catch (const std::exception& e) {
        // Anything else is this entry's failure too (exit 1), not the end of the process:
        // with `concurrency` it would escape a worker thread.
        fail(Error(ErrorKind::kOther, "unload", entries[i].config.unload.destination,
                   std::string("internal error: ") + redact(e.what())));
      }
      if (on_done) {
        std::lock_guard lock(done_lock);
        on_done(entries[i].label, report);
      }
    }
  };
  int threads = std::min<int>(out.concurrency, static_cast<int>(entries.size()));
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    pool.reserve(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back(worker);
    }
  }
  std::vector<int> codes;
  for (const Report& r : out.reports) {
    codes.push_back(r.status == "skipped" ? 0 : r.exit_code);
  }
  out.exit_code = worst_exit_code(codes);
  out.status = out.exit_code == 0 ? "ok" : "failed";
  return out;
}

nlohmann::json to_json(const MultiReport& report, const std::vector<Entry>& entries) {
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < report.reports.size(); ++i) {
    const Report& r = report.reports[i];
    nlohmann::json row{{"index", i + 1}, {"label", report.labels[i]}};
    if (report.tables[i]) {
      row["table"] = *report.tables[i];
    } else if (entries[i].config.query) {
      row["query"] = *entries[i].config.query;
    } else if (entries[i].config.query_file) {
      row["query_file"] = *entries[i].config.query_file;
    }
    row["to"] = r.destination;
    row["status"] = r.status;
    row["exit_code"] = r.exit_code;
    if (r.status != "skipped") {
      row["rows"] = r.rows ? nlohmann::json(*r.rows) : nlohmann::json();
      row["bytes"] = r.bytes;
      row["files"] = r.files.size();
      if (r.error) {
        row["error"] = *r.error;
      }
      row["report"] = to_json(r);
    }
    rows.push_back(std::move(row));
  }
  return {{"status", report.status},
          {"exit_code", report.exit_code},
          {"on_error", report.on_error == OnError::kStop ? "stop" : "continue"},
          {"concurrency", report.concurrency},
          {"unloads", std::move(rows)}};
}

std::string describe_plans(const std::vector<Entry>& entries, const aws::Environment& env) {
  std::string out;
  for (const Entry& e : entries) {
    out += e.label + ":\n" + describe_plan(e.config, env);
    if (!out.ends_with('\n')) {
      out += '\n';
    }
  }
  return out;
}

}  // namespace cu::job
