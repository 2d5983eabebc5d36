// `crossunload infra` — writes the two accounts' CloudFormation templates and the plain IAM
// policy documents for one job file (docs/deploy.md).
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "infra/infra_params.h"
#include "infra/templates.h"

namespace cu::cli {

void add_infra(CLI::App& app, Runner& selected) {
  auto* cmd = app.add_subcommand(
      "infra", "Write the CloudFormation templates and IAM policies of both accounts");
  cmd->footer(
      "Example:\n"
      "  crossunload infra --config job.toml --out infra/\n"
      "  aws cloudformation deploy --template-file infra/prod.template.json \\\n"
      "      --stack-name crossunload-prod --capabilities CAPABILITY_NAMED_IAM  # PROD account\n"
      "See docs/deploy.md for the [infra] keys of the job file.");
  auto config = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("--config", *config, "Job file (TOML) with an [infra] table")->required();
  cmd->add_option("--out", *out, "Folder to write the templates and policies into")->required();
  cmd->callback([&selected, config, out] {
    selected = [config, out]() -> int {
      infra::InfraParams p = infra::load_infra_params(*config);
      for (const auto& f : infra::write_infra(p, *out)) {
        std::printf("%s\n", (std::filesystem::path(*out) / f).string().c_str());
      }
      if (!p.code_s3_bucket) {
        std::fprintf(stderr,
                     "note: no [infra] code_s3_bucket: the DEV template has no Lambda function\n");
        if (p.data_api) {
          std::fprintf(stderr, "note: the state machine invokes %s, which must exist\n",
                       p.function_arn().c_str());
        }
      }
      return 0;
    };
  });
}

}  // namespace cu::cli
