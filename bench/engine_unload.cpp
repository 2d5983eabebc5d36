// engine_unload: one engine::run_unload from PostgreSQL into a folder or an S3 prefix, for
// bench/engine_unload.sh. Prints the result as JSON with the process's peak RSS.
//
//   engine_unload CONNINFO QUERY DEST [text|csv|json|parquet] [none|gzip|zstd|bzip2]
//                 [on|off] [PARTITION_COLUMN]
//
// DEST `s3://bucket/prefix` goes through the product's S3 store with the region, endpoint
// (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL) and credentials resolved from the environment
// as `crossunload run` resolves its own (aws::AwsContext, the default chain).
//
// CU_BENCH_PROGRESS=bar|plain|json: the live progress of `crossunload run --progress` on
// stderr (the engine's counters, a reporter thread at its default interval), for its cost.
#include <sys/resource.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "aws/config_file.h"
#include "aws/context.h"
#include "aws/s3.h"
#include "base/error.h"
#include "engine/unload.h"
#include "job/progress.h"
#include "pg/connection.h"
#include "pg/copy_source.h"
#include "sink/object_store.h"

int main(int argc, char** argv) {
  using namespace cu;
  if (argc < 4) {
    std::cerr << "usage: engine_unload CONNINFO QUERY DEST [format] [compression] [on|off] "
                 "[partition_column]\n";
    return 2;
  }
  try {
    unload::UnloadSpec s;
    s.select = argv[2];
    s.destination = argv[3];
    std::string f = argc > 4 ? argv[4] : "text";
    s.format = f == "csv"       ? unload::Format::kCsv
               : f == "json"    ? unload::Format::kJson
               : f == "parquet" ? unload::Format::kParquet
                                : unload::Format::kText;
    std::string c = argc > 5 ? argv[5] : "none";
    s.compression = c == "gzip"    ? unload::Compression::kGzip
                    : c == "zstd"  ? unload::Compression::kZstd
                    : c == "bzip2" ? unload::Compression::kBzip2
                                   : unload::Compression::kNone;
    s.parallel = !(argc > 6 && std::string(argv[6]) == "off");
    if (argc > 7) s.partition_by = unload::PartitionBy{{argv[7]}, true};
    s.allow_overwrite = true;
    pg::Connection conn(pg::parse_target(argv[1]));
    pg::PgCopySource source(conn);
    unload::Destination dest = sink::parse_destination(s.destination);
    std::optional<aws::AwsContext> aws_ctx;
    std::unique_ptr<aws::S3Client> s3;
    std::unique_ptr<sink::ObjectStore> store;
    if (dest.s3) {
      aws_ctx.emplace(aws::Environment::from_process(), std::nullopt);
      s3 = aws_ctx->s3(aws_ctx->own());
      store = sink::make_s3_store(*s3, dest.bucket);
    } else {
      store = sink::make_folder_store();
    }
    // CU_BENCH_PII=1: the personal-data guard checks every value (policy warn: findings are
    // counted, the run is not refused), as client mode runs it.
    engine::UnloadOptions options;
    engine::PiiGuard guard;
    guard.settings.policy = unload::PiiPolicy::kWarn;
    if (const char* pii = std::getenv("CU_BENCH_PII"); pii && std::string(pii) == "1") {
      options.pii = &guard;
    }
    engine::ProgressCounters counters;
    std::optional<job::ProgressReporter> progress;
    if (const char* p = std::getenv("CU_BENCH_PROGRESS"); p && *p) {
      auto mode = from_keyword(job::kProgressWords, p).value_or(job::ProgressMode::kNone);
      options.progress = &counters;
      progress.emplace(mode, job::interval_of({.mode = mode, .interval = {}}, mode), [&counters] {
        return job::ProgressSample{.status = "copy",
                                   .rows = counters.rows.load(std::memory_order_relaxed),
                                   .bytes = counters.bytes.load(std::memory_order_relaxed),
                                   .objects = {}};
      });
    }
    engine::UnloadResult r = engine::run_unload(s, source, *store, options);
    if (progress) {
      progress->finish(
          {.status = "done", .rows = r.rows, .bytes = r.bytes, .objects = r.files.size()});
    }
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    nlohmann::json j = engine::to_json(r);
    j.erase("files");
    j["files"] = r.files.size();
    j["peak_rss_mib"] = ru.ru_maxrss / 1024.0;
    if (options.pii) {
      j["pii_findings"] = guard.findings.size();
    }
    j["rows_per_second"] = r.unload_seconds > 0 ? r.rows / r.unload_seconds : 0;
    std::cout << j.dump() << "\n";
    return 0;
  } catch (const cu::Error& e) {
    std::cerr << e.what() << "\n";
    return e.exit_code();
  }
}
