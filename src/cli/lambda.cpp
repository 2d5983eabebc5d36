// `crossunload lambda` — runs as an AWS Lambda custom runtime (provided.al2023): the Runtime
// API loop of src/lambda/ with the job as handler. The binary installed as `bootstrap`
// runs this subcommand without arguments (see bootstrap_argv below).
#include <cstring>
#include <memory>
#include <optional>

#include "aws/config_file.h"
#include "base/error.h"
#include "base/log.h"
#include "cli/commands.h"
#include "job/job.h"
#include "lambda/ping.h"
#include "lambda/runtime.h"

namespace cu::cli {

namespace {

// The seam where the job (src/job) plugs in: the event is the job's JSON (the job file's
// keys), the response its report.
lambda::Handler job_handler() {
  // The event is the job file's keys as JSON; the response is the job's report. The
  // runtime's stop (the deadline less its margin) stops the job: the query is cancelled,
  // uploads aborted, the objects of this run deleted (job::run_job).
  return [](const lambda::Invocation& inv) -> nlohmann::json {
    return job::handle_event(inv.event, aws::Environment::from_process(), inv.stop);
  };
}

}  // namespace

void bootstrap_argv(int& argc, char**& argv) {
  if (argc < 1 || !argv[0]) {
    return;
  }
  const char* base = std::strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (std::strcmp(base, "bootstrap") != 0 || argc > 1) {
    return;
  }
  static char lambda_word[] = "lambda";
  static char* args[] = {argv[0], lambda_word, nullptr};
  argc = 2;
  argv = args;
}

void add_lambda(CLI::App& app, Runner& selected) {
  auto* cmd = app.add_subcommand("lambda",
                                 "Run as an AWS Lambda custom runtime (the function's bootstrap)");
  cmd->footer(
      "Reads AWS_LAMBDA_RUNTIME_API (host:port) as Lambda sets it; logs are JSON lines.\n"
      "The event is the job's JSON (the job file's keys); {\"ping\": true} is a health check.\n"
      "Local run against a Runtime API emulator:\n"
      "  AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 crossunload lambda --max-invocations 1");
  auto max = std::make_shared<int>(0);
  cmd->add_option("--max-invocations", *max, "Stop after N invocations (local runs, tests)")
      ->check(CLI::PositiveNumber);
  cmd->callback([&selected, max] {
    selected = [max]() -> int {
      log::set_json(true);
      lambda::RuntimeOptions options = lambda::RuntimeOptions::from_environment();
      if (*max > 0) {
        options.max_invocations = *max;
      }
      lambda::Runtime runtime(options);
      lambda::Handler handler;
      try {
        handler = lambda::with_ping(job_handler());
      } catch (const Error& e) {
        runtime.report_init_error(lambda::error_type(e), e.what());
        throw;
      }
      return runtime.run(handler);
    };
  });
}

}  // namespace cu::cli
