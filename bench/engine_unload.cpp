// engine_unload: one engine::run_unload from PostgreSQL into a folder, for
// bench/engine_unload.sh. Prints the result as JSON with the process's peak RSS.
//
//   engine_unload CONNINFO QUERY DEST [text|csv|json|parquet] [none|gzip|zstd|bzip2]
//                 [on|off] [PARTITION_COLUMN]
#include <sys/resource.h>

#include <iostream>

#include "base/error.h"
#include "engine/copy_source.h"
#include "engine/unload.h"
#include "pg/connection.h"
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
    engine::PgCopySource source(conn);
    auto store = sink::make_folder_store();
    engine::UnloadResult r = engine::run_unload(s, source, *store);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    nlohmann::json j = engine::to_json(r);
    j.erase("files");
    j["files"] = r.files.size();
    j["peak_rss_mib"] = ru.ru_maxrss / 1024.0;
    j["rows_per_second"] = r.unload_seconds > 0 ? r.rows / r.unload_seconds : 0;
    std::cout << j.dump() << "\n";
    return 0;
  } catch (const cu::Error& e) {
    std::cerr << e.what() << "\n";
    return e.exit_code();
  }
}
