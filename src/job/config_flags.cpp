#include "job/config_flags.h"

#include <fmt/format.h>

#include "base/error.h"

namespace cu::job {

std::string flag_name(std::string_view key) {
  std::string out = "--";
  for (char c : key) {
    out += c == '_' ? '-' : c;
  }
  return out;
}

ConfigFlags::ConfigFlags(CLI::App& cmd) {
  config_option_ =
      cmd.add_option("--config", config_, "TOML job file; flags given here override its keys");
  for (const auto& k : keys()) {
    Flag& f = flags_[k.name];
    f.key = &k;
    const std::string name = flag_name(k.name);
    switch (k.type) {
      case KeyType::kBool:
        // `--parallel`, `--parallel off`, `--parallel=on`: Redshift's own words work as well
        // as the bare flag; `--no-parallel` = off.
        f.option = cmd.add_option(name, f.text, k.help)->expected(0, 1)->type_name("[on|off]");
        f.negated = cmd.add_flag("--no-" + name.substr(2));
        f.negated->description("same as " + name + "=off");
        break;
      case KeyType::kWord:
        // `--manifest`, `--manifest verbose` and `--manifest=verbose` all work: a user who
        // read `manifest = verbose` in the job file types it either way. Bare = "true";
        // `--no-manifest` = "false".
        f.option = cmd.add_option(name, f.text, k.help)->expected(0, 1)->type_name("[WORD]");
        f.negated = cmd.add_flag("--no-" + name.substr(2));
        f.negated->description("same as " + name + "=false");
        break;
      case KeyType::kList:
        f.option = cmd.add_option(name, f.list, k.help)->delimiter(',');
        break;
      case KeyType::kMap:
        // No delimiter: a rule such as redact:TEXT may hold commas. Repeat the flag.
        f.option = cmd.add_option(name, f.list, k.help)->type_name("NAME=VALUE");
        break;
      case KeyType::kString:
      case KeyType::kInt:
      case KeyType::kSize:
        f.option = cmd.add_option(name, f.text, k.help);
        break;
    }
  }
}

std::optional<std::string> ConfigFlags::config_file() const {
  if (config_option_->count() == 0) {
    return std::nullopt;
  }
  return config_;
}

Values ConfigFlags::values() const {
  Values out;
  for (const auto& [key, f] : flags_) {
    if (f.negated != nullptr && f.negated->count() > 0) {
      if (f.option->count() > 0) {
        throw Error(
            ErrorKind::kUsage, "configure", key,
            fmt::format("give {} or --no-{}, not both", flag_name(key), flag_name(key).substr(2)));
      }
      if (f.key->type == KeyType::kBool) {
        out[key] = false;
      } else {
        out[key] = std::string("false");
      }
      continue;
    }
    if (f.option->count() == 0) {
      continue;
    }
    switch (f.key->type) {
      case KeyType::kBool:
        if (f.text.empty()) {
          out[key] = true;
        } else if (std::optional<bool> b = bool_word(f.text)) {
          out[key] = *b;
        } else {
          throw Error(ErrorKind::kUsage, "configure", key,
                      fmt::format("{} takes on or off (or true/false, yes/no), not '{}'",
                                  flag_name(key), f.text));
        }
        break;
      case KeyType::kList:
      case KeyType::kMap:
        out[key] = f.list;
        break;
      case KeyType::kWord:
        out[key] = f.text.empty() ? std::string("true") : f.text;
        break;
      default:
        out[key] = f.text;
        break;
    }
  }
  return out;
}

}  // namespace cu::job
