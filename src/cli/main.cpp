// crossunload — entry point: parses the command line, runs one subcommand, and turns any
// cu::Error into one line on stderr and the documented exit code.
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iterator>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/log.h"
#include "base/redact.h"
#include "base/version.h"
#include "cli/commands.h"

namespace {

int run_main(int argc, char** argv) {
  CLI::App app{
      "crossunload — copy a query's result out of Redshift or PostgreSQL into S3 or a folder,\n"
      "the way Redshift's UNLOAD does, across AWS accounts.",
      "crossunload"};
  app.set_version_flag("--version", std::string("crossunload ") + cu::kVersion);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 other, 2 usage/config, 3 access denied/authentication,\n"
      "            4 source database, 5 destination.\n"
      "Run 'crossunload <command> --help' for a command's options and examples.");

  cu::cli::bootstrap_argv(argc, argv);
  // Only the command being run is set up: registering every command's options (a job's
  // hundred flags, for run, check and doctor) is a measurable part of the Lambda runtime's
  // cold start. Without a command, or with an unknown one, all are, for the help and the
  // error.
  struct Command {
    std::string_view name;
    void (*add)(CLI::App&, cu::cli::Runner&);
  };
  static constexpr Command kCommands[] = {
      {"run", cu::cli::add_run},           {"check", cu::cli::add_check},
      {"whoami", cu::cli::add_whoami},     {"gateway", cu::cli::add_gateway},
      {"infra", cu::cli::add_infra},       {"lambda", cu::cli::add_lambda},
      {"teardown", cu::cli::add_teardown}, {"doctor", cu::cli::add_doctor},
  };
  cu::cli::Runner selected;
  const std::string_view first = argc > 1 ? argv[1] : "";
  const auto named = std::find_if(std::begin(kCommands), std::end(kCommands),
                                  [&](const Command& c) { return c.name == first; });
  if (named != std::end(kCommands)) {
    named->add(app, selected);
  } else {
    for (const Command& c : kCommands) {
      c.add(app, selected);
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, like every other error, instead of CLI11's two; the hint names the help
    // of the subcommand being parsed.
    std::string help = "crossunload --help";
    for (const CLI::App* sub : app.get_subcommands()) {
      help = "crossunload " + sub->get_name() + " --help";
    }
    cu::log::error("command line: {}; hint: see '{}'", cu::redact(e.what()), help);
    return 2;
  }
  try {
    return selected ? selected() : 2;
  } catch (const cu::Error& e) {
    cu::log::error("{}", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    cu::log::error("internal error: {}", cu::redact(e.what()));
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A core dump would hold the database password, the mask salt and session keys: none is
  // written (RLIMIT_CORE 0, also for a core_pattern pipe such as systemd-coredump, which
  // honours the limit). Not dumpable also means that other processes of the same user
  // cannot attach to this one or read its memory (/proc/PID/mem, ptrace); a debugger
  // started as root, or one that starts the process itself, still can.
  struct rlimit no_core {};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Whatever escapes the above (a failure while setting up, or while reporting an error)
  // still ends as one line and exit code 1, never as std::terminate.
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    try {
      std::fprintf(stderr, "crossunload: internal error: %s\n", cu::redact(e.what()).c_str());
    } catch (...) {
      std::fputs("crossunload: internal error\n", stderr);
    }
  } catch (...) {
    std::fprintf(stderr, "crossunload: internal error\n");
  }
  return 1;
}
