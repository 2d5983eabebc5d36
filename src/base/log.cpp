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
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace cu::log
