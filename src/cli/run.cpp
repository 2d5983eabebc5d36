// `crossunload run` — the unload job.
#include "base/error.h"
#include "cli/commands.h"

namespace cu::cli {

void add_run(CLI::App& app, Runner& selected) {
  auto* cmd = app.add_subcommand("run", "Unload a query's result into S3 or a folder");
  cmd->callback([&selected] {
    selected = []() -> int { throw Error(ErrorKind::kOther, "run", "", "not implemented yet"); };
  });
}

}  // namespace cu::cli
