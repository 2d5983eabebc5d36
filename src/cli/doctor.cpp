// `crossunload doctor` — Check the whole access chain link by link.
#include "base/error.h"
#include "cli/commands.h"

namespace cu::cli {

void add_doctor(CLI::App& app, Runner& selected) {
  auto* cmd = app.add_subcommand("doctor", "Check the whole access chain link by link");
  cmd->callback([&selected] {
    selected = []() -> int { throw Error(ErrorKind::kOther, "doctor", "", "not implemented yet"); };
  });
}

}  // namespace cu::cli
