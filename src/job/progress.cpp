#include "job/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <exception>

#include "base/log.h"
#include "pg/connection.h"

namespace cu::job {
namespace {

std::string human_bytes(uint64_t n) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, kUnits[u]);
}

std::string clock_time(double seconds) {
  auto s = static_cast<uint64_t>(std::llround(std::max(0.0, seconds)));
  if (s >= 3600) {
    return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  }
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

double per_second(uint64_t n, double elapsed) {
  return elapsed > 0 ? static_cast<double>(n) / elapsed : 0.0;
}

// The bar's line fits the terminal: a longer one would wrap, and "\r" would then redraw
// only its last part. No limit when the width is unknown.
std::string fit_terminal(std::string text) {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && text.size() >= ws.ws_col) {
    text.resize(ws.ws_col - 1u);
  }
  return text;
}

// Three decimals are enough for a rate or a time, and keep the JSON short.
double rounded(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

ProgressMode resolve_mode(ProgressMode mode, bool stderr_is_terminal) {
  if (mode == ProgressMode::kAuto) {
    return stderr_is_terminal ? ProgressMode::kBar : ProgressMode::kNone;
  }
  return mode;
}

ProgressMode resolve_mode(ProgressMode mode) {
  return resolve_mode(mode, ::isatty(STDERR_FILENO) == 1);
}

std::chrono::milliseconds interval_of(const ProgressSettings& settings, ProgressMode resolved) {
  if (settings.interval) {
    return *settings.interval;
  }
  return resolved == ProgressMode::kBar ? std::chrono::milliseconds(200)
                                        : std::chrono::milliseconds(1000);
}

std::optional<double> eta_seconds(const ProgressView& v) {
  if (v.final || !v.estimated_rows || !v.sample.rows || *v.sample.rows == 0 ||
      *v.sample.rows >= *v.estimated_rows || v.elapsed_s <= 0) {
    return std::nullopt;
  }
  const double rate = per_second(*v.sample.rows, v.elapsed_s);
  return static_cast<double>(*v.estimated_rows - *v.sample.rows) / rate;
}

std::string progress_text(const ProgressView& v) {
  const ProgressSample& s = v.sample;
  std::string out = s.status;
  auto add = [&out](const std::string& part) {
    out += out.empty() ? "" : ", ";
    out += part;
  };
  if (s.rows) {
    out += fmt::format(" {} rows", *s.rows);
  }
  std::string bytes = human_bytes(s.bytes);
  if (s.objects) {
    bytes += fmt::format(" in {} object{}", *s.objects, *s.objects == 1 ? "" : "s");
  }
  add(bytes);
  if (s.rows && v.elapsed_s > 0) {
    add(fmt::format("{:.0f} rows/s", per_second(*s.rows, v.elapsed_s)));
  }
  if (v.elapsed_s > 0) {
    add(fmt::format("{}/s", human_bytes(static_cast<uint64_t>(per_second(s.bytes, v.elapsed_s)))));
  }
  add(clock_time(v.elapsed_s) + " elapsed");
  if (std::optional<double> eta = eta_seconds(v)) {
    add(fmt::format("{:.0f}% of ~{} rows, ETA {}",
                    100.0 * static_cast<double>(*s.rows) / static_cast<double>(*v.estimated_rows),
                    *v.estimated_rows, clock_time(*eta)));
  }
  return "crossunload: " + out;
}

nlohmann::ordered_json progress_event(const ProgressView& v) {
  const ProgressSample& s = v.sample;
  nlohmann::ordered_json j = {
      {"event", "progress"}, {"status", s.status},
      {"final", v.final},    {"elapsed_s", rounded(v.elapsed_s)},
      {"bytes", s.bytes},    {"byte_rate", rounded(per_second(s.bytes, v.elapsed_s))}};
  if (s.rows) {
    j["rows"] = *s.rows;
    j["rate"] = rounded(per_second(*s.rows, v.elapsed_s));
  }
  if (s.objects) {
    j["objects"] = *s.objects;
  }
  if (v.estimated_rows) {
    j["estimated_rows"] = *v.estimated_rows;
  }
  if (std::optional<double> eta = eta_seconds(v)) {
    j["eta_s"] = rounded(*eta);
  }
  return j;
}

std::optional<uint64_t> planner_rows(pg::Connection& conn, const std::string& select) {
  try {
    std::optional<std::string> plan =
        conn.query_value("explain (format json) " + select, "estimate rows");
    if (!plan) {
      return std::nullopt;
    }
    nlohmann::json doc = nlohmann::json::parse(*plan);
    const nlohmann::json& rows = doc.at(0).at("Plan").at("Plan Rows");
    if (!rows.is_number() || rows.get<double>() < 0) {
      return std::nullopt;
    }
    return static_cast<uint64_t>(std::llround(rows.get<double>()));
  } catch (const std::exception& e) {
    log::debug("progress: no row estimate from the planner ({})", e.what());
    return std::nullopt;
  }
}

ProgressReporter::ProgressReporter(ProgressMode mode, std::chrono::milliseconds interval,
                                   std::function<ProgressSample()> sample,
                                   std::optional<uint64_t> estimated_rows)
    : mode_(mode),
      interval_(interval),
      sample_(std::move(sample)),
      estimated_rows_(estimated_rows),
      start_(std::chrono::steady_clock::now()) {
  if (mode_ == ProgressMode::kBar || mode_ == ProgressMode::kPlain ||
      mode_ == ProgressMode::kJson) {
    thread_ = std::thread([this] { loop(); });
  }
}

ProgressReporter::~ProgressReporter() {
  if (!thread_.joinable() && finished_) {
    return;
  }
  const bool running = thread_.joinable();
  stop_thread();
  if (running && !finished_) {
    ProgressSample s;
    {
      std::lock_guard lock(mu_);
      s = last_;
    }
    s.status = "failed";
    try {
      show({.sample = s, .elapsed_s = elapsed(), .estimated_rows = estimated_rows_, .final = true});
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor shows what it can
    }
  }
}

double ProgressReporter::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressReporter::stop_thread() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void ProgressReporter::finish(const ProgressSample& last) {
  const bool running = thread_.joinable();
  stop_thread();
  if (!running || finished_) {
    return;
  }
  finished_ = true;
  show({.sample = last, .elapsed_s = elapsed(), .estimated_rows = estimated_rows_, .final = true});
}

void ProgressReporter::loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    ProgressSample s;
    bool ok = true;
    try {
      s = sample_();
    } catch (const std::exception& e) {
      // A failed look (a listing refused or lost) skips this interval; the run goes on.
      log::debug("progress: {}", e.what());
      ok = false;
    }
    if (ok) {
      show({.sample = s, .elapsed_s = elapsed(), .estimated_rows = estimated_rows_});
    }
    lock.lock();
    if (ok) {
      last_ = std::move(s);
    }
  }
}

void ProgressReporter::show(const ProgressView& v) {
  switch (mode_) {
    case ProgressMode::kBar:
      log::set_status(fit_terminal(progress_text(v)));
      if (v.final) {
        log::end_status(true);
      }
      break;
    case ProgressMode::kPlain:
      log::write_line(progress_text(v));
      break;
    case ProgressMode::kJson:
      log::write_line(progress_event(v).dump());
      break;
    case ProgressMode::kAuto:
    case ProgressMode::kNone:
      break;
  }
}

}  // namespace cu::job
