#include "aws/config_file.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"

extern char** environ;  // NOLINT: POSIX

namespace cu::aws {

namespace {

cu::Error syntax_error(const std::string& path, int line, std::string message) {
  return cu::Error(cu::ErrorKind::kUsage, "read AWS config", fmt::format("{}:{}", path, line),
                   std::move(message))
      .with_hint("fix the line, or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE elsewhere");
}

// Reads a whole file; nullopt when it does not exist (the SDKs treat that as empty).
std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (::access(path.c_str(), F_OK) != 0) {
      return std::nullopt;
    }
    throw cu::Error(cu::ErrorKind::kUsage, "read AWS config", path, "cannot read the file")
        .with_hint("check its permissions");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string expand_home(const std::string& path, const Environment& env) {
  if (path == "~" || path.starts_with("~/")) {
    return env.get_or("HOME", "") + path.substr(1);
  }
  return path;
}

}  // namespace

Environment Environment::from_process() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    env.vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

std::optional<std::string> Environment::get(std::string_view name) const {
  auto it = vars.find(name);
  if (it == vars.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second;
}

std::string Environment::get_or(std::string_view name, std::string_view fallback) const {
  auto v = get(name);
  return v ? *v : std::string(fallback);
}

bool Environment::flag(std::string_view name) const {
  std::string v = lower(get_or(name, ""));
  return v == "true" || v == "1";
}

std::optional<std::string> ConfigSection::get(std::string_view key) const {
  auto it = values.find(lower(key));
  if (it == values.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<IniSection> parse_ini(std::string_view text, const std::string& path) {
  std::vector<IniSection> sections;
  std::string parent;    // key of an open sub-section ("s3 ="), empty when none
  std::string last_key;  // key a continuation line extends
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') {
      continue;
    }
    bool indented = raw.front() == ' ' || raw.front() == '\t';

    if (line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos) {
        throw syntax_error(path, line_no, "section header without ']'");
      }
      std::string_view after = trim(line.substr(close + 1));
      if (!after.empty() && after.front() != '#' && after.front() != ';') {
        throw syntax_error(path, line_no, "unexpected text after the section header");
      }
      // "[profile   dev]" and "[ default ]" are the same sections as the tidy forms.
      std::string header;
      for (char c : trim(line.substr(1, close - 1))) {
        if ((c == ' ' || c == '\t') && (header.empty() || header.back() == ' ')) {
          continue;
        }
        header.push_back(c == '\t' ? ' ' : c);
      }
      if (header.empty()) {
        throw syntax_error(path, line_no, "empty section name");
      }
      sections.push_back(IniSection{header, {}, {}});
      parent.clear();
      last_key.clear();
      continue;
    }
    if (sections.empty()) {
      throw syntax_error(path, line_no, "a setting before any [section]");
    }
    IniSection& s = sections.back();
    auto eq = line.find('=');
    if (indented && !parent.empty()) {
      if (eq == std::string_view::npos) {
        throw syntax_error(path, line_no, "expected 'key = value' inside '" + parent + " ='");
      }
      s.values.emplace_back(parent + "." + lower(trim(line.substr(0, eq))),
                            std::string(trim(line.substr(eq + 1))));
      s.lines.push_back(line_no);
      continue;
    }
    if (indented && !last_key.empty()) {
      // A continuation of the previous value (multi-line values are rare but legal).
      for (auto& kv : s.values) {
        if (kv.first == last_key) {
          kv.second += "\n" + std::string(line);
        }
      }
      continue;
    }
    if (eq == std::string_view::npos || eq == 0) {
      throw syntax_error(path, line_no, "expected 'key = value'");
    }
    std::string key = lower(trim(line.substr(0, eq)));
    std::string value(trim(line.substr(eq + 1)));
    parent = value.empty() ? key : "";
    last_key = value.empty() ? "" : key;
    if (value.empty()) {
      // Recorded too, so "s3 =" with no sub-keys still reads as present-and-empty.
      s.values.emplace_back(key, "");
      s.lines.push_back(line_no);
      continue;
    }
    s.values.emplace_back(std::move(key), std::move(value));
    s.lines.push_back(line_no);
  }
  return sections;
}

void SharedConfig::add(std::string_view text, const std::string& path, bool credentials_file) {
  std::vector<IniSection> sections = parse_ini(text, path);
  bool has_profile_default =
      !credentials_file && std::any_of(sections.begin(), sections.end(), [](const auto& sec) {
        return sec.header == "profile default";
      });
  for (IniSection& sec : sections) {
    std::map<std::string, ConfigSection, std::less<>>* target = &profiles_;
    std::string name;
    if (credentials_file) {
      name = sec.header;  // [dev]; "profile " is not special here
    } else if (sec.header == "default") {
      // The SDKs read [profile default] instead of [default] when a config has both.
      if (has_profile_default) {
        continue;
      }
      name = "default";
    } else if (sec.header.starts_with("profile ")) {
      name = sec.header.substr(8);
    } else if (sec.header.starts_with("services ")) {
      name = sec.header.substr(9);
      target = &services_;
    } else {
      // [sso-session x] and unknown sections (and, as in the CLI, a bare [dev] in config,
      // which names no profile) carry nothing we read.
      continue;
    }
    ConfigSection& dst = (*target)[name];
    dst.name = name;
    for (size_t i = 0; i < sec.values.size(); ++i) {
      dst.values[sec.values[i].first] = sec.values[i].second;
      dst.origin[sec.values[i].first] = fmt::format("{}:{}", path, sec.lines[i]);
    }
  }
}

SharedConfig SharedConfig::parse(std::string_view config_text, std::string_view credentials_text,
                                 std::string profile, std::string config_path,
                                 std::string credentials_path) {
  SharedConfig cfg;
  cfg.config_path_ = std::move(config_path);
  cfg.credentials_path_ = std::move(credentials_path);
  cfg.selected_ = std::move(profile);
  cfg.add(config_text, cfg.config_path_, false);
  // Second, so the credentials file's keys win.
  cfg.add(credentials_text, cfg.credentials_path_, true);
  return cfg;
}

SharedConfig SharedConfig::load(const Environment& env, const std::optional<std::string>& profile) {
  std::string home = env.get_or("HOME", "");
  std::string config_path =
      expand_home(env.get_or("AWS_CONFIG_FILE", home.empty() ? "" : home + "/.aws/config"), env);
  std::string credentials_path = expand_home(
      env.get_or("AWS_SHARED_CREDENTIALS_FILE", home.empty() ? "" : home + "/.aws/credentials"),
      env);
  std::string config_text, credentials_text;
  if (!config_path.empty()) {
    config_text = read_file(config_path).value_or("");
  }
  if (!credentials_path.empty()) {
    credentials_text = read_file(credentials_path).value_or("");
  }

  std::string selected = "default";
  bool is_explicit = true;
  if (profile && !profile->empty()) {
    selected = *profile;
  } else if (auto p = env.get("AWS_PROFILE")) {
    selected = *p;
  } else if (auto dp = env.get("AWS_DEFAULT_PROFILE")) {
    selected = *dp;
  } else {
    is_explicit = false;
  }
  SharedConfig cfg = parse(config_text, credentials_text, selected, config_path, credentials_path);
  cfg.explicit_ = is_explicit;
  return cfg;
}

const Profile* SharedConfig::profile(std::string_view name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

const ConfigSection* SharedConfig::services(std::string_view name) const {
  auto it = services_.find(name);
  return it == services_.end() ? nullptr : &it->second;
}

std::string SharedConfig::paths() const {
  return fmt::format("{} and {}", config_path_.empty() ? "(no config file)" : config_path_,
                     credentials_path_.empty() ? "(no credentials file)" : credentials_path_);
}

}  // namespace cu::aws
