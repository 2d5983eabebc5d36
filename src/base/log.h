#pragma once
// Minimal leveled logging to stderr. Every line passes through cu::redact().
// Levels: error, warn, info (default), debug (-v). With CU_LOG_JSON=1 (or set_json(true),
// used by the Lambda face) each line is one JSON object.
//
//   cu::log::info("wrote {} ({} bytes)", key, n);

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace cu::log {

enum class Level { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

void set_level(Level level);
Level level();
void set_json(bool json);
void write(Level level, std::string_view message);

// The status line (the live progress bar on a terminal): drawn on stderr with `\r` and
// erase-to-end, replaced by the next set_status, and kept below the log: write() erases it,
// writes its line and draws it again, so the two never share a line.
void set_status(std::string_view line);
// Ends the status line: `keep` leaves its last text in place (with a newline), otherwise it
// is erased. Nothing happens without a status line.
void end_status(bool keep);
// One line as it is (a progress line, a JSON event) on stderr, under the lock of the log
// lines so that it never interleaves with one; passes through cu::redact().
void write_line(std::string_view line);

template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::kWarn) {
    write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::kInfo) {
    write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::kDebug) {
    write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
  }
}

}  // namespace cu::log
