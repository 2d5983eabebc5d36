// `crossunload doctor` — checks the job's access chain link by link and stops with a fix at
// the first broken link (src/infra/doctor.h).
#include "infra/doctor.h"

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "infra/infra_params.h"

namespace cu::cli {

void add_doctor(CLI::App& app, Runner& selected) {
  auto* cmd = app.add_subcommand("doctor", "Check the whole access chain link by link");
  cmd->footer(
      "Example:\n"
      "  crossunload doctor --config job.toml\n"
      "Links: identity, assume role, read secret, resolve host, reach host:port, tls, log in,\n"
      "server, unload roles, destination. With via = \"data-api\": identity, assume role,\n"
      "read secret, data api (select 1 through it), unload roles, destination.\n"
      "Exit code: that of the first failing link.");
  auto config = std::make_shared<std::string>();
  cmd->add_option("--config", *config, "Job file (TOML)")->required();
  cmd->callback([&selected, config] {
    selected = [config]() -> int {
      return infra::run_doctor(infra::load_infra_params(*config), stdout);
    };
  });
}

}  // namespace cu::cli
