// `crossunload teardown` — Remove everything the generated infrastructure created.
#include "base/error.h"
#include "cli/commands.h"

namespace cu::cli {

void add_teardown(CLI::App& app, Runner& selected) {
  auto* cmd =
      app.add_subcommand("teardown", "Remove everything the generated infrastructure created");
  cmd->callback([&selected] {
    selected = []() -> int {
      throw Error(ErrorKind::kOther, "teardown", "", "not implemented yet");
    };
  });
}

}  // namespace cu::cli
