#pragma once
// The first pipeline: client-mode UNLOAD from PostgreSQL into a local folder. It streams
// `COPY (select) TO STDOUT`, encodes each row into Redshift's text or CSV bytes and writes
// the files Redshift's UNLOAD … PARALLEL OFF would write (prefix + 000, 001, …), all of
// them or none. Flags, a config file or a Lambda event all become one LocalUnloadJob.
//
//   engine::LocalUnloadJob job;
//   job.source = "postgresql://etl@db:5432/tickit";
//   job.spec.select = "select * from sales";
//   job.spec.destination = "/tmp/out/sales_";
//   job.spec.format = unload::Format::kCsv;
//   engine::UnloadReport r = engine::run_local_unload(job);
//   std::cout << engine::to_json(r).dump() << "\n";
//
// Supported here: text and CSV with DELIMITER, NULL AS, HEADER, ESCAPE, ADDQUOTES,
// ALLOWOVERWRITE, MAXFILESIZE; other UNLOAD options are refused with kUsage.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "format/encoder.h"
#include "pg/connection.h"
#include "unload/unload_spec.h"

namespace cu::engine {

struct LocalUnloadJob {
  std::string source;       // libpq conninfo or postgresql:// URL (may hold a password)
  unload::UnloadSpec spec;  // destination: a local path prefix; PARALLEL is taken as OFF
};

struct FileReport {
  std::string path;
  uint64_t bytes = 0;
  uint64_t rows = 0;  // data rows (a header line is not counted)
};

struct UnloadReport {
  std::string source;  // host:port/db
  std::string server;  // version()
  std::string format;  // "text" / "csv"
  std::vector<FileReport> files;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  double connect_seconds = 0, describe_seconds = 0, unload_seconds = 0, total_seconds = 0;
};

// Checks the job without side effects (kUsage): supported options, Redshift's option
// rules, the query, the source conninfo. Returns the delimited options to use.
format::DelimitedOptions check_local_job(const LocalUnloadJob& job);

// What --dry-run prints: source (host:port/db, user; never a password), query, file names,
// format options. Touches neither the database nor the folder.
std::string describe_plan(const LocalUnloadJob& job);

UnloadReport run_local_unload(const LocalUnloadJob& job);

nlohmann::json to_json(const UnloadReport& report);

// How a PostgreSQL result column is rendered (ESCAPE only touches character columns,
// floats and bytea are spelled the Redshift way).
format::ValueClass value_class_of(uint32_t type_oid);

}  // namespace cu::engine
