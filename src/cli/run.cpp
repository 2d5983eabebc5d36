// `crossunload run` — the unload job: flags become an engine::LocalUnloadJob, which
// engine::run_local_unload carries out; this file only parses and prints.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "base/error.h"
#include "base/log.h"
#include "cli/commands.h"
#include "engine/local_unload.h"
#include "pg/connection.h"

namespace cu::cli {
namespace {

struct RunFlags {
  std::string source, query, query_file, to, format = "text", delimiter, null_as, max_file_size;
  bool null_as_given = false, header = false, escape = false, addquotes = false,
       allow_overwrite = false, dry_run = false, verbose = false;
};

// "64MB", "1.5 GB", "100" (MB by default, spec §1.3); 1 MB = 2^20 bytes.
uint64_t parse_size(const std::string& text) {
  auto bad = [&] {
    return Error(ErrorKind::kUsage, "parse options", "--max-file-size",
                 "\"" + text + "\" is not a size")
        .with_hint("write e.g. 100MB or 1GB");
  };
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw bad();
  }
  std::string unit;
  for (char c : text.substr(used)) {
    if (c != ' ') unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  double scale = 1 << 20;
  if (unit == "GB") {
    scale *= 1024;
  } else if (!unit.empty() && unit != "MB") {
    throw bad();
  }
  if (value <= 0) throw bad();
  return static_cast<uint64_t>(value * scale);
}

engine::LocalUnloadJob make_job(const RunFlags& f) {
  engine::LocalUnloadJob job;
  job.source = f.source;
  if (!f.query_file.empty()) {
    std::ifstream in(f.query_file, std::ios::binary);
    if (!in) {
      throw Error(ErrorKind::kUsage, "read query", f.query_file, "cannot read the file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    job.spec.select = text.str();
  } else {
    job.spec.select = f.query;
  }
  job.spec.destination = f.to;
  if (f.format == "csv") {
    job.spec.format = unload::Format::kCsv;
  } else if (f.format != "text") {
    throw Error(ErrorKind::kUsage, "parse options", "--format",
                "\"" + f.format + "\" is not supported here; use text or csv");
  }
  if (!f.delimiter.empty()) job.spec.delimiter = f.delimiter == "\\t" ? "\t" : f.delimiter;
  if (f.null_as_given) job.spec.null_as = f.null_as;
  job.spec.header = f.header;
  job.spec.escape = f.escape;
  job.spec.addquotes = f.addquotes;
  job.spec.allow_overwrite = f.allow_overwrite;
  job.spec.parallel = false;
  if (!f.max_file_size.empty()) job.spec.max_file_size = parse_size(f.max_file_size);
  return job;
}

int run(const RunFlags& f) {
  if (f.verbose) cu::log::set_level(cu::log::Level::kDebug);
  engine::LocalUnloadJob job = make_job(f);
  if (f.dry_run) {
    std::cout << engine::describe_plan(job) << std::flush;
    return 0;
  }
  if (pg::parse_target(job.source).password_in_conninfo) {
    cu::log::warn(
        "the password in --source is visible to other users of this machine (process list); "
        "prefer PGPASSWORD or a PGPASSFILE");
  }
  engine::UnloadReport report = engine::run_local_unload(job);
  std::cout << engine::to_json(report).dump() << std::endl;
  return 0;
}

}  // namespace

void add_run(CLI::App& app, Runner& selected) {
  auto flags = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand(
      "run", "Unload a query's result into a folder, as Redshift's UNLOAD … PARALLEL OFF does");
  cmd->add_option("--source", flags->source,
                  "PostgreSQL to read from: libpq conninfo (\"host=H port=P dbname=D user=U\") or "
                  "postgresql://U@H:P/D URL; give the password with PGPASSWORD or PGPASSFILE")
      ->required();
  auto* q = cmd->add_option("--query", flags->query, "the SELECT (or WITH …) to unload");
  auto* qf = cmd->add_option("--query-file", flags->query_file, "read the query from a file");
  q->excludes(qf);
  qf->excludes(q);
  cmd->add_option("--to", flags->to,
                  "path prefix of the files: out/sales_ writes out/sales_000 (folders are "
                  "created)")
      ->required();
  cmd->add_option("--format", flags->format, "text (pipe-delimited, the default) or csv")
      ->check(CLI::IsMember({"text", "csv"}));
  cmd->add_flag("--header", flags->header, "first line of each file holds the column names");
  cmd->add_option("--delimiter", flags->delimiter,
                  "one ASCII character between values (default | for text, , for csv; \\t = tab)");
  cmd->add_option("--null-as", flags->null_as, "string written for NULL (default: empty)")
      ->each([f = flags.get()](const std::string&) { f->null_as_given = true; });
  cmd->add_flag("--escape", flags->escape,
                "text: backslash before LF, CR, delimiter and backslash in character values");
  cmd->add_flag("--addquotes", flags->addquotes, "text: wrap every value in double quotes");
  cmd->add_flag("--allow-overwrite", flags->allow_overwrite,
                "replace files when some with this prefix exist (ALLOWOVERWRITE)");
  cmd->add_option("--max-file-size", flags->max_file_size,
                  "start a new file past this size: 5MB … 6.2GB (MAXFILESIZE, default 6.2GB)");
  cmd->add_flag("--dry-run", flags->dry_run,
                "print what would be done; connect to nothing, write nothing");
  cmd->add_flag("-v,--verbose", flags->verbose, "log each step to stderr");
  cmd->footer(
      "Examples:\n"
      "  PGPASSWORD=… crossunload run --source 'host=127.0.0.1 port=5432 dbname=tickit user=etl'"
      " \\\n"
      "      --query 'select * from category' --to out/category_\n"
      "      # writes out/category_000, pipe-delimited like UNLOAD … PARALLEL OFF\n"
      "  crossunload run --source postgresql://etl@db:5432/tickit --query-file sales.sql \\\n"
      "      --to /data/sales/part_ --format csv --header --allow-overwrite\n"
      "  crossunload run --source … --query 'select * from venue' --to out/venue_ \\\n"
      "      --escape --null-as '\\N' --dry-run\n"
      "Prints a JSON report (files, bytes, rows, timings) on stdout when done.");
  cmd->callback([&selected, flags, cmd] {
    if (!flags->query_file.empty() || cmd->count("--query") > 0) {
      selected = [flags] { return run(*flags); };
    } else {
      selected = []() -> int {
        throw Error(ErrorKind::kUsage, "parse options", "run", "give --query or --query-file");
      };
    }
  });
}

}  // namespace cu::cli
