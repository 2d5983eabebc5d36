// Live progress: the job keys, what a line and an event say (the ETA only below the
// planner's estimate), and the reporter's thread: events per interval, the final one with
// the numbers it is given, a "failed" one when the run ends without finish().
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "job/config.h"
#include "job/config_flags.h"
#include "job/progress.h"
#include "temp_dir.h"

namespace {

using namespace cu::job;
using std::chrono::milliseconds;

std::string job_with(const std::string& extra) {
  return "query = 'select 1'\nto = 's3://bkt/p/'\nsource = 'host=127.0.0.1 dbname=x'\n" + extra;
}

JobConfig job_of(const std::string& extra) {
  return build(parse_toml(job_with(extra), "job.toml"));
}

std::string error_of(const std::string& extra) {
  try {
    job_of(extra);
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    return e.what();
  }
  return "";
}

TEST(ProgressConfig, ModeAndIntervalAreJobKeys) {
  EXPECT_EQ(job_of("").progress.mode, ProgressMode::kAuto);
  EXPECT_FALSE(job_of("").progress.interval.has_value());
  EXPECT_EQ(job_of("progress = 'json'").progress.mode, ProgressMode::kJson);
  EXPECT_EQ(job_of("progress = 'Bar'").progress.mode, ProgressMode::kBar);
  EXPECT_EQ(job_of("progress = 'none'").progress.mode, ProgressMode::kNone);
  EXPECT_EQ(job_of("progress_interval = '0.25'").progress.interval, milliseconds(250));
  EXPECT_EQ(job_of("progress_interval = '2s'").progress.interval, milliseconds(2000));
  EXPECT_EQ(job_of("progress_interval = 3").progress.interval, milliseconds(3000));
  JobConfig event = build(parse_json(
      R"({"query": "select 1", "to": "s3://bkt/p/", "source": "host=h", "progress": "plain"})"));
  EXPECT_EQ(event.progress.mode, ProgressMode::kPlain);
}

TEST(ProgressConfig, RefusesOtherWordsAndIntervals) {
  EXPECT_NE(error_of("progress = 'fancy'").find("auto | bar | plain | json | none"),
            std::string::npos);
  EXPECT_NE(error_of("progress_interval = '0.01'").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("progress_interval = '7200'").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("progress_interval = 'soon'").find("progress_interval"), std::string::npos);
}

TEST(ProgressMode, AutoIsTheBarOnATerminalOnly) {
  EXPECT_EQ(resolve_mode(ProgressMode::kAuto, true), ProgressMode::kBar);
  EXPECT_EQ(resolve_mode(ProgressMode::kAuto, false), ProgressMode::kNone);
  EXPECT_EQ(resolve_mode(ProgressMode::kJson, true), ProgressMode::kJson);
  EXPECT_EQ(resolve_mode(ProgressMode::kBar, false), ProgressMode::kBar);
  EXPECT_EQ(interval_of({}, ProgressMode::kBar), milliseconds(200));
  EXPECT_EQ(interval_of({}, ProgressMode::kJson), milliseconds(1000));
  EXPECT_EQ(
      interval_of({.mode = ProgressMode::kJson, .interval = milliseconds(50)}, ProgressMode::kJson),
      milliseconds(50));
}

ProgressView view(uint64_t rows, double elapsed, std::optional<uint64_t> estimate) {
  return {.sample = {.status = "copy", .rows = rows, .bytes = rows * 10, .objects = {}},
          .elapsed_s = elapsed,
          .estimated_rows = estimate};
}

TEST(ProgressEta, FromTheAverageRateBelowTheEstimateOnly) {
  // 1000 rows in 2 s (500 rows/s), 4000 estimated: 3000 rows left, 6 s.
  ASSERT_TRUE(eta_seconds(view(1000, 2.0, 4000)).has_value());
  EXPECT_DOUBLE_EQ(*eta_seconds(view(1000, 2.0, 4000)), 6.0);
  EXPECT_FALSE(eta_seconds(view(1000, 2.0, std::nullopt)));  // no estimate
  EXPECT_FALSE(eta_seconds(view(4000, 2.0, 4000)));          // reached
  EXPECT_FALSE(eta_seconds(view(5000, 2.0, 4000)));          // exceeded: the estimate was wrong
  EXPECT_FALSE(eta_seconds(view(0, 2.0, 4000)));             // no rate yet
  ProgressView done = view(1000, 2.0, 4000);
  done.final = true;
  EXPECT_FALSE(eta_seconds(done));
}

TEST(ProgressText, SaysRowsBytesRateElapsedAndEtaWithoutControlCharacters) {
  std::string t = progress_text(view(1000, 2.0, 4000));
  EXPECT_EQ(t,
            "crossunload: copy 1000 rows, 9.8 KiB, 500 rows/s, 4.9 KiB/s, 0:02 elapsed, 25% of "
            "~4000 rows, ETA 0:06");
  EXPECT_EQ(progress_text(view(5000, 2.0, 4000)).find("ETA"), std::string::npos);
  ProgressView server{.sample = {.status = "running", .rows = {}, .bytes = 3u << 20, .objects = 2},
                      .elapsed_s = 75,
                      .estimated_rows = {}};
  EXPECT_EQ(progress_text(server),
            "crossunload: running, 3.0 MiB in 2 objects, 41.0 KiB/s, 1:15 elapsed");
  for (char c : t + progress_text(server)) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20);
  }
}

TEST(ProgressEvent, HoldsTheDocumentedFields) {
  nlohmann::json e = nlohmann::json::parse(progress_event(view(1000, 2.0, 4000)).dump());
  EXPECT_EQ(e["event"], "progress");
  EXPECT_EQ(e["status"], "copy");
  EXPECT_EQ(e["final"], false);
  EXPECT_EQ(e["rows"], 1000);
  EXPECT_EQ(e["bytes"], 10000);
  EXPECT_DOUBLE_EQ(e["elapsed_s"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(e["rate"].get<double>(), 500.0);
  EXPECT_DOUBLE_EQ(e["byte_rate"].get<double>(), 5000.0);
  EXPECT_EQ(e["estimated_rows"], 4000);
  EXPECT_DOUBLE_EQ(e["eta_s"].get<double>(), 6.0);
  nlohmann::json over = nlohmann::json::parse(progress_event(view(5000, 2.0, 4000)).dump());
  EXPECT_FALSE(over.contains("eta_s"));
  ProgressView server{.sample = {.status = "STARTED", .rows = {}, .bytes = 0, .objects = 0},
                      .elapsed_s = 1,
                      .estimated_rows = {}};
  nlohmann::json s = nlohmann::json::parse(progress_event(server).dump());
  EXPECT_FALSE(s.contains("rows"));
  EXPECT_FALSE(s.contains("rate"));
  EXPECT_EQ(s["objects"], 0);
}

// Runs `fn` with stderr going to a file; returns what was written there.
template <typename Fn>
std::vector<std::string> stderr_lines(Fn&& fn) {
  cu_test::TempDir dir;
  std::string path = (dir.path() / "stderr").string();
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  std::FILE* f = std::fopen(path.c_str(), "w");
  ::dup2(::fileno(f), STDERR_FILENO);
  fn();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::fclose(f);
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

TEST(ProgressReporter, EventsPerIntervalThenTheFinalOneWithTheGivenNumbers) {
  std::atomic<uint64_t> rows{0};
  auto lines = stderr_lines([&] {
    ProgressReporter p(ProgressMode::kJson, milliseconds(10), [&] {
      return ProgressSample{
          .status = "copy", .rows = rows.fetch_add(100) + 100, .bytes = 1, .objects = {}};
    });
    while (rows.load() < 500) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    p.finish({.status = "done", .rows = 12345, .bytes = 678, .objects = 3});
  });
  ASSERT_GE(lines.size(), 6u);
  nlohmann::json last = nlohmann::json::parse(lines.back());
  EXPECT_EQ(last["final"], true);
  EXPECT_EQ(last["status"], "done");
  EXPECT_EQ(last["rows"], 12345);
  EXPECT_EQ(last["bytes"], 678);
  EXPECT_EQ(last["objects"], 3);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    nlohmann::json e = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(e["final"], false);
    EXPECT_EQ(e["rows"], 100 * (i + 1));
  }
}

TEST(ProgressReporter, WithoutFinishTheLastEventSaysFailed) {
  auto lines = stderr_lines([&] {
    std::atomic<int> n{0};
    ProgressReporter p(ProgressMode::kPlain, milliseconds(10), [&] {
      ++n;
      return ProgressSample{.status = "copy", .rows = 7, .bytes = 70, .objects = {}};
    });
    while (n.load() < 2) {
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines.back().rfind("crossunload: failed 7 rows, 70 B", 0), 0u) << lines.back();
}

TEST(ProgressReporter, NoneShowsNothing) {
  auto lines = stderr_lines([&] {
    ProgressReporter p(ProgressMode::kNone, milliseconds(10), [&] {
      return ProgressSample{.status = "copy", .rows = 1, .bytes = 1, .objects = {}};
    });
    std::this_thread::sleep_for(milliseconds(50));
    p.finish({.status = "done", .rows = 1, .bytes = 1, .objects = {}});
  });
  EXPECT_TRUE(lines.empty());
}

}  // namespace
