// `crossunload lambda` — Run as an AWS Lambda custom runtime (the function's bootstrap).
#include "base/error.h"
#include "cli/commands.h"

namespace cu::cli {

void add_lambda(CLI::App& app, Runner& selected) {
  auto* cmd = app.add_subcommand("lambda",
                                 "Run as an AWS Lambda custom runtime (the function's bootstrap)");
  cmd->callback([&selected] {
    selected = []() -> int { throw Error(ErrorKind::kOther, "lambda", "", "not implemented yet"); };
  });
}

}  // namespace cu::cli
