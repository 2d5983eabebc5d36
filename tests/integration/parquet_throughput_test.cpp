// Throughput of the typed path (binary COPY → decoder → Parquet SNAPPY / JSON writer) next
// to PostgreSQL's own rate, `psql -c "\copy (select * from T) to stdout" > /dev/null`, in
// the same run. Prints rows/s and ratios; asserts only that every row arrived. Figures
// mean something in a release build:
//
//   CU_PG_CONNINFO=… CU_BENCH_TABLE=sales build/release/tests/parquet_throughput_test
//
// (under ASan it still proves the path works end to end on a whole table).

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "parquet_unload.h"

namespace cu {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

long peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

TEST(ParquetThroughput, TableNextToPsqlCopy) {
  const char* conninfo = std::getenv("CU_PG_CONNINFO");
  ASSERT_TRUE(conninfo && *conninfo)
      << "CU_PG_CONNINFO is not set: run the integration tests through scripts/test";
  const char* t = std::getenv("CU_BENCH_TABLE");
  std::string table = t && *t ? t : "sales";
  std::string query = "select * from " + table;
  const char* bin = std::getenv("CU_PG_BIN");
  std::string psql = bin && *bin ? std::string(bin) + "/psql" : "psql";
  fs::path dir = fs::temp_directory_path() / ("cu_parquet_bench_" + std::to_string(::getpid()));
  fs::create_directories(dir);

  test::PgConn pg(conninfo);
  uint64_t count = std::stoull(pg.rows("select count(*) from " + table, nullptr)[0][0]);

  auto t0 = Clock::now();
  std::string cmd =
      psql + " -X -q '" + conninfo + "' -c '\\copy (" + query + ") to stdout' > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "psql failed";
  double psql_s = seconds_since(t0);

  t0 = Clock::now();
  auto parquet = test::unload_parquet(pg, query, (dir / "t.parquet").string());
  double parquet_s = seconds_since(t0);
  long parquet_rss = peak_rss_mb();
  EXPECT_EQ(parquet.rows, count);

  t0 = Clock::now();
  uint64_t json_rows = test::unload_json(pg, query, (dir / "t.json").string());
  double json_s = seconds_since(t0);
  EXPECT_EQ(json_rows, count);

  std::printf(
      "table %s: %llu rows\n"
      "  psql \\copy text > /dev/null : %8.0f rows/s (%.2f s)\n"
      "  parquet (SNAPPY), %5.1f MB  : %8.0f rows/s (%.2f s) = %.2fx psql, %zu row groups, "
      "peak RSS %ld MB\n"
      "  json                       : %8.0f rows/s (%.2f s) = %.2fx psql\n",
      table.c_str(), static_cast<unsigned long long>(count), count / psql_s, psql_s,
      parquet.bytes / 1e6, count / parquet_s, parquet_s, psql_s / parquet_s, parquet.row_groups,
      parquet_rss, count / json_s, json_s, psql_s / json_s);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cu
