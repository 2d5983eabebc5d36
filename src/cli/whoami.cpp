// `crossunload whoami` — prints the AWS identity after each hop of a role chain.
// (Filled in by the AWS layer; see issue "AWS access in C++".)
#include "base/error.h"
#include "cli/commands.h"

namespace cu::cli {

void add_whoami(CLI::App& app, Runner& selected) {
  auto* cmd = app.add_subcommand("whoami", "Print the AWS identity after each hop of a role chain");
  cmd->callback([&selected] {
    selected = [] () -> int {
      throw Error(ErrorKind::kOther, "whoami", "", "not implemented yet");
    };
  });
}

}  // namespace cu::cli
