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
// `value` with each of `chars` preceded by `escape` (' doubled, " -> \").
std::string escaped(std::string_view value, std::string_view chars, char escape) {
  std::string out;
  for (char c : value) {
    if (chars.find(c) != std::string_view::npos) {
      out += escape;
    }
    out += c;
  }
  return out;
}
}  // namespace

void register_secret(std::string_view value) {
  if (value.size() < 4) {
    return;
  }
  // The value as it is rendered, too: in an SQL literal ('' for '), in a literal inside
  // UNLOAD ('…') (''''), and each of those in a JSON string (\" and \\), once or nested (a
  // JSON log line quoting a JSON document). All equal the value when it has no ' " or \.
  std::string sql = escaped(value, "'", '\'');
  std::lock_guard lock(secrets_mutex());
  for (const std::string& form : {std::string(value), sql, escaped(sql, "'", '\'')}) {
    std::string json = escaped(form, "\"\\", '\\');
    secrets().insert({form, json, escaped(json, "\"\\", '\\')});
  }
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
