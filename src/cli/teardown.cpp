// `crossunload teardown` — removes the data under the destination prefix and the stack of
// the account the credentials belong to; lists everything first (src/infra/teardown.h).
#include "infra/teardown.h"

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "infra/infra_params.h"

namespace cu::cli {

void add_teardown(CLI::App& app, Runner& selected) {
  auto* cmd = app.add_subcommand("teardown",
                                 "Remove the data and the stack of one account (run per account)");
  cmd->footer(
      "Example (once per account, each with that account's credentials):\n"
      "  AWS_PROFILE=dev  crossunload teardown --config job.toml --dry-run\n"
      "  AWS_PROFILE=dev  crossunload teardown --config job.toml\n"
      "  AWS_PROFILE=prod crossunload teardown --config job.toml\n"
      "Only stacks tagged crossunload:stack=<stack> are deleted. Safe to re-run.");
  auto config = std::make_shared<std::string>();
  auto dry_run = std::make_shared<bool>(false);
  cmd->add_option("--config", *config, "Job file (TOML) with an [infra] table")->required();
  cmd->add_flag("--dry-run", *dry_run, "List what would be deleted; delete nothing");
  cmd->callback([&selected, config, dry_run] {
    selected = [config, dry_run]() -> int {
      infra::InfraParams p = infra::load_infra_params(*config);
      infra::TeardownOptions o;
      o.dry_run = *dry_run;
      return infra::run_teardown(p, o, stdout);
    };
  });
}

}  // namespace cu::cli
