#include "base/redact.h"

#include <mutex>
#include <set>

namespace cu {
namespace {
std::mutex& secrets_mutex() {
  static std::mutex m;
  return m;
}
std::set<std::string, std::greater<>>& secrets() {
  // Longest first (reverse order is enough to try "abcd1" before "abcd").
  static std::set<std::string, std::greater<>> s;
  return s;
}
}  // namespace

void register_secret(std::string_view value) {
  if (value.size() < 4) {
    return;
  }
  std::lock_guard lock(secrets_mutex());
  secrets().emplace(value);
}

std::string redact(std::string_view text) {
  std::string out(text);
  std::lock_guard lock(secrets_mutex());
  for (const auto& s : secrets()) {
    for (size_t pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + 3)) {
      out.replace(pos, s.size(), "***");
    }
  }
  return out;
}

}  // namespace cu
