#include "base/redact.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace cu {
namespace {
std::mutex& secrets_mutex() {
  static std::mutex m;
  return m;
}
// Each form -> how many registrations hold it (scopes release theirs). Longest first:
// reverse order is enough to try "abcd1" before "abcd".
std::map<std::string, std::size_t, std::greater<>>& secrets() {
  static std::map<std::string, std::size_t, std::greater<>> s;
  return s;
}
thread_local SecretScope* current_scope = nullptr;
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
  std::vector<std::string> forms;
  for (const std::string& form : {std::string(value), sql, escaped(sql, "'", '\'')}) {
    std::string json = escaped(form, "\"\\", '\\');
    for (const std::string& f : {form, json, escaped(json, "\"\\", '\\')}) {
      if (std::find(forms.begin(), forms.end(), f) == forms.end()) {
        forms.push_back(f);
      }
    }
  }
  std::lock_guard lock(secrets_mutex());
  for (std::string& f : forms) {
    ++secrets()[f];
    if (current_scope != nullptr) {
      current_scope->forms_.push_back(std::move(f));
    }
  }
}

SecretScope::SecretScope() : outer_(current_scope) { current_scope = this; }

SecretScope::~SecretScope() {
  current_scope = outer_;
  std::lock_guard lock(secrets_mutex());
  for (const std::string& f : forms_) {
    auto it = secrets().find(f);
    if (it != secrets().end() && --it->second == 0) {
      secrets().erase(it);
    }
  }
}

std::size_t registered_secret_forms() {
  std::lock_guard lock(secrets_mutex());
  return secrets().size();
}

std::string redact(std::string_view text) {
  std::string out(text);
  std::lock_guard lock(secrets_mutex());
  for (const auto& [s, count] : secrets()) {
    for (size_t pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + 3)) {
      out.replace(pos, s.size(), "***");
    }
  }
  return out;
}

}  // namespace cu
