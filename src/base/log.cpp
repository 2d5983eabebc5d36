#include "base/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "base/redact.h"

namespace cu::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<bool> g_json{std::getenv("CU_LOG_JSON") != nullptr &&
                         std::strcmp(std::getenv("CU_LOG_JSON"), "1") == 0};
std::mutex g_mutex;
std::string g_status;  // the status line drawn now; empty: none (guarded by g_mutex)

constexpr std::string_view kEraseLine = "\r\x1b[K";

void put(std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), stderr); }

const char* name(Level l) {
  switch (l) {
    case Level::kError:
      return "error";
    case Level::kWarn:
      return "warn";
    case Level::kInfo:
      return "info";
    case Level::kDebug:
      return "debug";
  }
  return "info";
}

std::string json_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size() + 8);
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\t':
        o += "\\t";
        break;
      default:
        if (c < 0x20) {
          o += fmt::format("\\u{:04x}", c);
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o;
}
}  // namespace

void set_level(Level l) { g_level = static_cast<int>(l); }
Level level() { return static_cast<Level>(g_level.load()); }
void set_json(bool json) { g_json = json; }

void write(Level l, std::string_view message) {
  std::string text = redact(message);
  std::string line;
  if (g_json) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    line = fmt::format("{{\"ts_ms\":{},\"level\":\"{}\",\"msg\":\"{}\"}}\n", ms, name(l),
                       json_escape(text));
  } else {
    line = fmt::format("crossunload: {}{}\n", l == Level::kInfo ? "" : std::string(name(l)) + ": ",
                       text);
  }
  std::lock_guard lock(g_mutex);
  if (!g_status.empty()) {
    put(kEraseLine);
  }
  put(line);
  if (!g_status.empty()) {
    put(g_status);
  }
  std::fflush(stderr);
}

void set_status(std::string_view line) {
  std::string text = redact(line);
  std::lock_guard lock(g_mutex);
  put(kEraseLine);
  put(text);
  std::fflush(stderr);
  g_status = std::move(text);
}

void end_status(bool keep) {
  std::lock_guard lock(g_mutex);
  if (g_status.empty()) {
    return;
  }
  put(keep ? std::string_view("\n") : kEraseLine);
  std::fflush(stderr);
  g_status.clear();
}

void write_line(std::string_view line) {
  std::string text = redact(line);
  text += '\n';
  std::lock_guard lock(g_mutex);
  put(text);
  std::fflush(stderr);
}

}  // namespace cu::log
