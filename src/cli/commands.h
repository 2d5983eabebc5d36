#pragma once
// The subcommands of `crossunload`, one file each in src/cli/. Each add_<name>() declares
// its subcommand and flags on the app and, when the subcommand is chosen, stores in
// `selected` the function that runs it and returns the process exit code.

#include <CLI/CLI.hpp>
#include <functional>

namespace cu::cli {

using Runner = std::function<int()>;

void add_run(CLI::App& app, Runner& selected);
void add_check(CLI::App& app, Runner& selected);
void add_whoami(CLI::App& app, Runner& selected);
void add_gateway(CLI::App& app, Runner& selected);
void add_infra(CLI::App& app, Runner& selected);
void add_lambda(CLI::App& app, Runner& selected);
void add_teardown(CLI::App& app, Runner& selected);
void add_doctor(CLI::App& app, Runner& selected);
// Called as `bootstrap` (a Lambda custom runtime) with no arguments: run `lambda`.
void bootstrap_argv(int& argc, char**& argv);

}  // namespace cu::cli
