#pragma once
// The AWS shared configuration files (~/.aws/config and ~/.aws/credentials) and the process
// environment they are found through, read the way the AWS CLI and SDKs read them.
//
// The environment is a value (Environment), not getenv() calls scattered through the code,
// so tests and the Lambda face can pass their own:
//
//   cu::aws::Environment env = cu::aws::Environment::from_process();
//   cu::aws::SharedConfig cfg = cu::aws::SharedConfig::load(env);   // AWS_PROFILE, files
//   if (const cu::aws::Profile* p = cfg.selected()) region = p->get("region").value_or("");
//
// File rules: `[profile name]` (or `[default]`) in config, `[name]` in credentials; a key
// in the credentials file wins over the same key in config. `#` and `;` start comment
// lines (and comments after a section header). A key with an empty value followed by
// indented `key = value` lines (`s3 =`, `sts =`) is a sub-section, kept as "s3.key". Keys
// are case-insensitive. `[services name]` sections hold per-service settings.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cu::aws {

// Environment variables, by name. Unset and empty are the same thing, as in the SDKs.
struct Environment {
  std::map<std::string, std::string, std::less<>> vars;

  static Environment from_process();
  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string_view fallback) const;
  // "true"/"1" (any case) are true.
  bool flag(std::string_view name) const;
};

// One section of a file: keys are lowercase; a nested key is "parent.child".
struct ConfigSection {
  std::string name;  // "dev" for [profile dev], "default", "svc" for [services svc]
  std::map<std::string, std::string, std::less<>> values;
  // Where each key came from, for messages: "/path/to/.aws/config:12".
  std::map<std::string, std::string, std::less<>> origin;

  std::optional<std::string> get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }
};
using Profile = ConfigSection;

class SharedConfig {
 public:
  SharedConfig() = default;

  // Reads AWS_CONFIG_FILE (default $HOME/.aws/config) and AWS_SHARED_CREDENTIALS_FILE
  // (default $HOME/.aws/credentials); a missing file is an empty one. The selected profile
  // is `profile` when given (--profile), else AWS_PROFILE, else AWS_DEFAULT_PROFILE, else
  // "default". Throws cu::Error (kUsage) naming file and line for a malformed file.
  static SharedConfig load(const Environment& env,
                           const std::optional<std::string>& profile = std::nullopt);
  // From texts, for tests. Paths are only used in messages.
  static SharedConfig parse(std::string_view config_text, std::string_view credentials_text,
                            std::string profile = "default", std::string config_path = "config",
                            std::string credentials_path = "credentials");

  // The merged profile (credentials file keys over config file keys); null when neither
  // file has it.
  const Profile* profile(std::string_view name) const;
  const Profile* selected() const { return profile(selected_); }
  const std::string& selected_name() const { return selected_; }
  // True when the profile was named by the user (--profile or AWS_PROFILE), which makes a
  // missing profile an error rather than "no profile".
  bool selected_explicitly() const { return explicit_; }
  // A [services name] section of the config file; null when absent.
  const ConfigSection* services(std::string_view name) const;

  const std::string& config_path() const { return config_path_; }
  const std::string& credentials_path() const { return credentials_path_; }
  // "~/.aws/config and ~/.aws/credentials" with the real paths, for hints.
  std::string paths() const;

 private:
  void add(std::string_view text, const std::string& path, bool credentials_file);

  std::map<std::string, Profile, std::less<>> profiles_;
  std::map<std::string, ConfigSection, std::less<>> services_;
  std::string selected_ = "default";
  bool explicit_ = false;
  std::string config_path_, credentials_path_;
};

// One parsed section header or property, exposed for tests of the grammar.
struct IniSection {
  std::string header;  // text inside [ ], trimmed: "profile dev", "default", "services x"
  std::vector<std::pair<std::string, std::string>> values;  // lowercase keys, "s3.key" nested
  std::vector<int> lines;                                   // line of each value
};
std::vector<IniSection> parse_ini(std::string_view text, const std::string& path);

}  // namespace cu::aws
