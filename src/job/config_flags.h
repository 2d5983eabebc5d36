#pragma once
// ConfigFlags — declares one command-line flag per job key (config.h) on a CLI11
// subcommand, plus `--config FILE`, and gives back what the user typed as a Values layer to
// put over the file's. `crossunload run` uses it so the flags, the TOML file and the Lambda
// event can never drift apart:
//
//   auto* cmd = app.add_subcommand("run", "…");
//   auto flags = std::make_shared<cu::job::ConfigFlags>(*cmd);
//   cmd->callback([flags] {
//     cu::job::Values v;
//     if (flags->config_file())
//       v = cu::job::parse_toml(cu::job::read_text_file(*flags->config_file(), "config"),
//                               *flags->config_file());
//     cu::job::overlay(v, flags->values());
//     cu::job::JobConfig job = cu::job::build(v);
//     …
//   });
//
// Key `query_file` is flag `--query-file`. Booleans are bare flags with a `--no-` form
// (`--header`, `--no-parallel`); kWord keys are bare or take a word (`--manifest`,
// `--manifest verbose`, `--manifest=verbose`, `--no-manifest`); list keys repeat or take commas
// (`--iam-role A --iam-role B`, `--iam-role A,B`). Only flags actually given appear in
// values(), so unset flags never override the file. The object must outlive parsing: CLI11
// writes into its members.

#include <CLI/CLI.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "job/config.h"

namespace cu::job {

class ConfigFlags {
 public:
  explicit ConfigFlags(CLI::App& cmd);
  ConfigFlags(const ConfigFlags&) = delete;
  ConfigFlags& operator=(const ConfigFlags&) = delete;

  std::optional<std::string> config_file() const;
  Values values() const;

 private:
  struct Flag {
    const KeyInfo* key = nullptr;
    CLI::Option* option = nullptr;
    CLI::Option* negated = nullptr;  // kBool, kWord: --no-<flag>
    std::string text;
    std::vector<std::string> list;
  };
  std::map<std::string, Flag> flags_;  // by key; std::map keeps member addresses stable
  std::string config_;
  CLI::Option* config_option_ = nullptr;
};

// "query_file" -> "--query-file"
std::string flag_name(std::string_view key);

}  // namespace cu::job
