// `crossunload run` — the unload job. Flags (one per job key, job/config_flags.h) over an
// optional --config job.toml become a job::JobConfig, which job::run_job carries out; this
// file only parses, prints and reports.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "aws/config_file.h"
#include "base/error.h"
#include "base/log.h"
#include "cli/commands.h"
#include "cli/stop_signals.h"
#include "job/config.h"
#include "job/config_flags.h"
#include "job/job.h"
#include "job/multi.h"
#include "pg/connection.h"
#include "unload/pii.h"

namespace cu::cli {
namespace {

// Writes the report to the file `where` ("-": stdout). Returns the reason it could not,
// empty when it could.
std::string write_report(const job::Report& report, const std::string& where) {
  std::string text = job::to_json(report).dump(2) + "\n";
  if (where == "-") {
    std::cout << text << std::flush;
    return "";
  }
  errno = 0;
  std::ofstream out(where, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::string why = errno != 0 ? std::strerror(errno) : "write failed";
    log::error("cannot write the report to {}: {}", where, why);
    return why;
  }
  return "";
}

// When the configuration itself is refused, the report still says so — at the `report`
// key as far as it could be read (the flag, else the file's) — so that a scheduler
// reading it sees "failed", not a missing file or the report of an earlier run. A dry
// run writes nothing, not even this.
void report_refused_config(const Error& e, const job::Values& values) {
  auto it = values.find("report");
  if (it == values.end()) {
    return;
  }
  const auto* where = std::get_if<std::string>(&it->second);
  if (where == nullptr || where->empty()) {
    return;
  }
  if (auto dry = values.find("dry_run"); dry != values.end()) {
    if (const auto* b = std::get_if<bool>(&dry->second); b != nullptr && *b) {
      return;
    }
  }
  job::Report report;
  report.status = "failed";
  report.error = e.what();
  report.exit_code = e.exit_code();
  if (auto to = values.find("to"); to != values.end()) {
    if (const auto* s = std::get_if<std::string>(&to->second)) {
      report.destination = *s;
    }
  }
  write_report(report, *where);
}

// What a run that dies without a word (SIGKILL, power loss) may leave: the report says it
// while the run is on, and the next run's report replaces it.
std::string crash_leftovers(const std::string& destination) {
  if (destination.starts_with("s3://")) {
    return "if this report still says running, the process died: incomplete multipart "
           "uploads under " +
           destination +
           " may remain (never visible as objects); `crossunload teardown` or the bucket's "
           "lifecycle rule aborts them (docs/deploy.md)";
  }
  return "if this report still says running, the process died: hidden temporary files "
         "(.crossunload-*) under " +
         destination + " may remain; delete them";
}

// What a failed run left behind, as far as the job knows.
std::string failure_leftovers(const Error& e, const job::Report& report) {
  std::string_view what = e.what();
  // The engine's words (engine/unload.cpp) when an abort failed (S3 unreachable).
  if (what.find("the clean-up failed") != std::string_view::npos) {
    return "the clean-up failed: nothing of this run is visible, but what the error names "
           "stays under " +
           report.destination +
           " (S3: incomplete multipart uploads, which `crossunload teardown` or the bucket's "
           "lifecycle rule aborts)";
  }
  // The commit phase's own words (engine/commit.h) when it stopped part-way.
  if (what.find("of this run were published") != std::string_view::npos) {
    return "see the error: the commit phase had published part of this run, and the manifest "
           "was not written";
  }
  if (e.step() == "register catalog") {
    return "the run's objects stay published under " + report.destination +
           " (the unload succeeded); the table was not registered: run again (registration "
           "is idempotent) or register it by hand (--print-ddl)";
  }
  if (report.mode == "server" && what.find("UNLOAD finished") != std::string_view::npos) {
    return "the UNLOAD's objects stay under the prefix (the job never deletes what Redshift "
           "wrote)";
  }
  return "nothing: no object or file of this run is visible and no upload is left open";
}

// A job file of [[unload]] entries: every entry built first (a refused one stops the job
// before anything runs), then run in order, one summary line each, one report.
int run_multi(const job::JobFile& file, const job::Values& flags) {
  job::Values top = file.shared;
  job::overlay(top, flags);
  std::vector<job::Entry> entries;
  try {
    entries = job::build_entries(file, flags, /*read_files=*/true);
  } catch (const Error& e) {
    report_refused_config(e, top);
    throw;
  }
  aws::Environment env = aws::Environment::from_process();
  if (auto dry = top.find("dry_run"); dry != top.end()) {
    if (const auto* b = std::get_if<bool>(&dry->second); b != nullptr && *b) {
      std::cout << job::describe_plans(entries, env) << std::flush;
      return 0;
    }
  }
  std::optional<std::string> where;
  if (auto it = top.find("report"); it != top.end()) {
    if (const auto* s = std::get_if<std::string>(&it->second)) {
      where = *s;
    }
  }
  auto write = [&](const job::MultiReport& r) -> std::string {
    std::string text = job::to_json(r, entries).dump(2) + "\n";
    if (*where == "-") {
      std::cout << text << std::flush;
      return "";
    }
    errno = 0;
    std::ofstream out(*where, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    return out ? "" : (errno != 0 ? std::strerror(errno) : "write failed");
  };
  StopSignals signals;
  job::StopCause cause =
      job::StopCause::signal([&signals] { return StopSignals::name(signals.received()); });
  job::MultiReport result = job::run_entries(
      entries, file, env, signals.token(), cause,
      [](const Error& e, job::Report& r) { r.left = failure_leftovers(e, r); },
      [](const std::string& label, const job::Report& r) {
        std::string rows = r.rows ? std::to_string(*r.rows) : "?";
        log::info("{}: {} ({} rows, {} files, {} bytes)", label, r.status, rows, r.files.size(),
                  r.bytes);
      });
  for (size_t i = 0; i < result.reports.size(); ++i) {
    if (result.reports[i].status == "skipped") {
      log::info("{}: skipped ({})", result.labels[i],
                signals.received() != 0 ? "the run was stopped"
                                        : "an earlier unload failed and on_error = stop");
    }
  }
  if (int signo = signals.received()) {
    result.exit_code = StopSignals::exit_code(signo);
    result.status = "failed";
  }
  if (where) {
    if (std::string why = write(result); !why.empty()) {
      log::error("cannot write the report to {}: {}", *where, why);
      if (result.exit_code == 0) {
        result.exit_code = 1;
      }
    }
  }
  size_t failed = 0;
  for (const job::Report& r : result.reports) {
    failed += r.status == "failed" ? 1 : 0;
  }
  if (result.exit_code != 0) {
    log::error("{} of {} unloads failed (exit code {})", failed, entries.size(), result.exit_code);
  }
  return result.exit_code;
}

// `forced`: keys the command itself sets (`check` sets action = check).
int run(const job::ConfigFlags& flags, bool verbose, const job::Values& forced = {}) {
  if (verbose) {
    log::set_level(log::Level::kDebug);
  }
  job::Values values;
  job::JobConfig cfg;
  try {
    values = flags.values();
    if (values.contains("mask_salt")) {
      // The salt decides every masked value: whoever knows it can test guesses against them.
      log::warn(
          "--mask-salt on the command line is visible to other users of this machine (ps); "
          "prefer mask_salt in a job file (--config) that only you can read");
    }
    if (auto file = flags.config_file()) {
      job::JobFile parsed = job::parse_toml_file(job::read_text_file(*file, "config"), *file);
      if (parsed.multi) {
        job::overlay(values, forced);
        return run_multi(parsed, values);
      }
      job::Values from_file = std::move(parsed.shared);
      job::overlay(from_file, values);
      values = std::move(from_file);
    }
    job::overlay(values, forced);
    cfg = job::build(values);
    job::load_query(cfg);
    job::load_mask_policy(cfg);
  } catch (const Error& e) {
    report_refused_config(e, values);
    throw;
  }
  aws::Environment env = aws::Environment::from_process();
  if (cfg.dry_run) {
    std::cout << job::describe_plan(cfg, env) << std::flush;
    if (!job::dry_run_checks_pii(cfg)) {
      return 0;
    }
    // The personal-data check runs (it reads a sample, writes nothing): a job is vetted
    // before it is scheduled. A refusal is the error (exit 2), as in a run.
    job::Report checked = job::run_job(cfg, env);
    std::cout << "personal-data check (" << checked.pii_checked
              << "): " << (checked.pii_findings.empty() ? "no column flagged" : "") << "\n";
    for (const unload::PiiFinding& f : checked.pii_findings) {
      std::cout << "  " << unload::describe(f) << "\n";
    }
    std::cout << std::flush;
    return 0;
  }
  if (cfg.source && pg::parse_target(*cfg.source).password_in_conninfo) {
    log::warn(
        "the password in `source` is visible to other users of this machine when given as a "
        "flag; prefer PGPASSWORD, a PGPASSFILE or secret_id");
  }
  job::Report report;
  // Before the job starts any thread: SIGINT, SIGTERM and SIGHUP stop the job cleanly
  // (query cancelled, uploads aborted, what it wrote removed, report written).
  StopSignals signals;
  job::StopCause cause =
      job::StopCause::signal([&signals] { return StopSignals::name(signals.received()); });
  if (cfg.report && *cfg.report != "-" && !cfg.print_ddl) {
    // Overwritten when the run ends; still there when the process was killed. (On stdout
    // only the final report is written: one JSON document.)
    report.status = "running";
    report.destination = cfg.unload.destination;
    report.left = crash_leftovers(cfg.unload.destination);
    // A report nobody can read would leave a scheduler blind: refused before anything runs.
    if (std::string why = write_report(report, *cfg.report); !why.empty()) {
      throw Error(ErrorKind::kUsage, "write report", *cfg.report,
                  "cannot write the report file: " + why)
          .with_hint(
              "give --report a path in a folder that exists and is writable, or - for "
              "stdout");
    }
  }
  try {
    job::run_job(cfg, env, &report, signals.token(), cause);
  } catch (const Error& e) {
    report.status = "failed";
    report.error = e.what();
    report.exit_code = e.exit_code();
    report.left = failure_leftovers(e, report);
    if (int signo = signals.received()) {
      report.exit_code = StopSignals::exit_code(signo);
      log::error("{}", e.what());
    }
    if (cfg.report) {
      write_report(report, *cfg.report);
    }
    if (signals.received() != 0) {
      return report.exit_code;
    }
    throw;
  }
  if (int signo = signals.received()) {
    // The stop came after the job's last step: its result stands.
    log::info("{} came after the run had finished; its result stands", StopSignals::name(signo));
  }
  if (report.ddl) {
    // --print-ddl: the DDL is the whole answer; nothing was unloaded or registered.
    std::cout << *report.ddl << std::flush;
    return 0;
  }
  log::info("{}", job::summary(report));
  if (report.job_token) {
    // What `crossunload check` (or the Lambda's "check" action) takes next.
    std::cout << "statement " << *report.statement_id << " " << report.status << "; job token "
              << *report.job_token << "\n"
              << std::flush;
  }
  if (cfg.report) {
    if (std::string why = write_report(report, *cfg.report); !why.empty()) {
      throw Error(ErrorKind::kOther, "write report", *cfg.report,
                  "the run succeeded (its objects are published) but its report could not be "
                  "written: " +
                      why)
          .with_hint("the run's objects are in place; give --report a writable path next time");
    }
  }
  return 0;
}

}  // namespace

void add_check(CLI::App& app, Runner& selected) {
  auto* cmd = app.add_subcommand(
      "check",
      "Look at a statement `run --via data-api --no-wait` submitted; verify it when finished");
  auto flags = std::make_shared<job::ConfigFlags>(*cmd);
  auto verbose = std::make_shared<bool>(false);
  cmd->add_flag("-v,--verbose", *verbose, "log each step in detail to stderr");
  cmd->footer(
      "Takes the job file (or flags) the statement was submitted with, and --statement-id:\n"
      "the id or the job token that the submit printed. Without --wait it asks once: a\n"
      "statement still running is status \"running\" (exit 0); a finished one is verified\n"
      "and reported as a synchronous run would (again on every check: it is idempotent).\n"
      "  crossunload run --config job.toml --no-wait        # prints the job token\n"
      "  crossunload check --config job.toml --statement-id TOKEN [--wait] --report -\n"
      "Exit codes as for run: 4 the statement failed, 1 it was aborted, 2 the id is\n"
      "unknown or another job's.");
  cmd->callback([&selected, flags, verbose] {
    selected = [flags, verbose] {
      return run(*flags, *verbose, {{"action", std::string("check")}});
    };
  });
}

void add_run(CLI::App& app, Runner& selected) {
  auto* cmd = app.add_subcommand(
      "run", "Unload a query's result into S3 or a folder, the way Redshift's UNLOAD does");
  auto flags = std::make_shared<job::ConfigFlags>(*cmd);
  auto verbose = std::make_shared<bool>(false);
  cmd->add_flag("-v,--verbose", *verbose, "log each step in detail to stderr");
  cmd->footer(
      "Every flag is also a key of the --config TOML file and of the Lambda event (dashes\n"
      "become underscores); flags override the file. See docs/job.md.\n"
      "\n"
      "Examples:\n"
      "  # PostgreSQL to a folder (client mode), Redshift's pipe-delimited text:\n"
      "  PGPASSWORD=… crossunload run --source 'host=127.0.0.1 port=5432 dbname=tickit "
      "user=etl' \\\n"
      "      --query 'select * from category' --to out/category_ --no-parallel\n"
      "      # writes out/category_000\n"
      "  # CSV with a header, replacing earlier files, JSON report on stdout:\n"
      "  crossunload run --source postgresql://etl@db:5432/tickit --query-file sales.sql \\\n"
      "      --to /data/sales/part_ --format csv --header --allow-overwrite --report -\n"
      "  # The AWS pattern: credentials from a PROD secret read through a role, UNLOAD on\n"
      "  # Redshift with a role chain into the DEV bucket:\n"
      "  crossunload run --region eu-west-1 --secret-id redshift_creds \\\n"
      "      --secret-role-arn arn:aws:iam::222222222222:role/SM-Read-Role --external-id X \\\n"
      "      --query 'select * from category' --to s3://dev-bucket/unload/category_ \\\n"
      "      --iam-role arn:aws:iam::222222222222:role/CrossAccount-S3-Write-Role \\\n"
      "      --iam-role arn:aws:iam::111111111111:role/S3-Write-Role --manifest\n"
      "  # Show the plan and the exact UNLOAD, touch nothing:\n"
      "  crossunload run --config job.toml --dry-run\n"
      "Exit codes: 0 ok, 1 other, 2 usage/config, 3 access denied/authentication,\n"
      "            4 source database, 5 destination.");
  cmd->callback([&selected, flags, verbose] {
    selected = [flags, verbose] { return run(*flags, *verbose); };
  });
}

}  // namespace cu::cli
