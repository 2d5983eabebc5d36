// engine::run_unload at the sizes issue 5 names, into a local folder, read back by DuckDB
// and compared with PostgreSQL's own answer: 10,000 partitions with rows arriving mixed
// (one folder and one file each), partitioned output identical byte for byte whether a
// partition's rows waited on disk or not, a 100 MB text value in text, CSV, JSON and Parquet
// (checksums by PostgreSQL's md5() and DuckDB's), and a 1,000-column result in every format.
//
// Needs the local stack (scripts/test): CU_PG_CONNINFO, CU_PG_BIN, CU_DUCKDB.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/unload.h"
#include "pg/connection.h"
#include "pg/copy_source.h"
#include "sink/object_store.h"
#include "stack_helpers.h"
#include "unload/unload_spec.h"

namespace cu {
namespace {

namespace fs = std::filesystem;
using test::env;
using test::pg_rows;
using test::q;
using test::sh;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// The lines of `text`, sorted (for outputs whose row order is not the comparison).
std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

class EngineScale : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = std::make_unique<pg::Connection>(pg::parse_target(env("CU_PG_CONNINFO")));
    source_ = std::make_unique<pg::PgCopySource>(*conn_);
    dir_ = fs::temp_directory_path() /
           ("engine_scale_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  engine::UnloadResult run(const unload::UnloadSpec& spec, engine::UnloadOptions o = {}) {
    auto store = sink::make_folder_store();
    return engine::run_unload(spec, *source_, *store, o);
  }

  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<pg::PgCopySource> source_;
  fs::path dir_;
};

TEST_F(EngineScale, TenThousandPartitionsInMixedOrderGiveOneFileEach) {
  // Rows arrive p = 1, 2, …, 9999, 0, 1, 2, …: every partition is interleaved with all
  // the others, far beyond the folder store's 256 open files.
  unload::UnloadSpec s;
  s.select = "select g, g % 10000 as p from generate_series(1, 50000) g";
  s.destination = (dir_ / "parts").string();
  s.format = unload::Format::kCsv;
  s.partition_by = unload::PartitionBy{{"p"}, false};
  s.manifest = unload::Manifest::kPlain;
  engine::UnloadResult r = run(s);

  EXPECT_EQ(r.rows, 50000u);
  EXPECT_EQ(r.files.size(), 10000u);
  size_t folders = 0, bad = 0;
  for (const auto& d : fs::directory_iterator(dir_ / "parts")) {
    if (!d.is_directory()) continue;
    ++folders;
    std::vector<std::string> names;
    for (const auto& f : fs::directory_iterator(d.path())) {
      names.push_back(f.path().filename().string());
    }
    if (names != std::vector<std::string>{"0000_part_00"}) ++bad;
  }
  EXPECT_EQ(folders, 10000u);
  EXPECT_EQ(bad, 0u) << "partition folders holding other than one 0000_part_00";
  EXPECT_TRUE(fs::exists(dir_ / "parts" / "manifest"));

  // DuckDB reads every file with the hive key taken from its folder name: each row must be
  // in the folder of its own partition.
  std::string got =
      sh(env("CU_DUCKDB") + " sql " +
         q("select g::varchar, p::varchar from read_csv('" + (dir_ / "parts").string() +
           "/p=*/0000_part_00', header = false, hive_partitioning = true, "
           "columns = {'g': 'BIGINT'})"));
  std::string want = sh(env("CU_DUCKDB") + " sql " +
                        q("select g::varchar, (g % 10000)::varchar from range(1, 50001) t(g)"));
  EXPECT_EQ(sorted_lines(got), sorted_lines(want));
  // And PostgreSQL's count of the rows agrees with DuckDB's generator.
  EXPECT_EQ(test::psql(" -At -c " + q("select count(*) from (" + s.select + ") t")), "50000\n");
}

// What waits on disk comes out exactly as what was written directly: the same names, the
// same bytes (compressed or Parquet), as a run with a file open for every partition. Each
// partition spans several blocks and Parquet batches, and partition 0 (seen 12th, so it
// waits whenever fewer than 12 files are open) holds ~12 MB of text, which MAXFILESIZE
// 5 MB splits into parts.
TEST_F(EngineScale, SpooledPartitionsAreByteIdenticalToDirectOnes) {
  const std::string query =
      "select g, g % 12 as p, md5(g::text) as h, (g * 1.25)::numeric(12,2) as n, "
      "case when g % 7 = 0 then null else 'x' || repeat('é', g % 5) end as t, "
      "case when g % 12 = 0 then repeat('y', 1200) end as pad "
      "from generate_series(1, 120000) g";
  struct Case {
    unload::Format format;
    unload::Compression compression;
  };
  for (Case c : {Case{unload::Format::kCsv, unload::Compression::kGzip},
                 Case{unload::Format::kText, unload::Compression::kNone},
                 Case{unload::Format::kJson, unload::Compression::kZstd},
                 Case{unload::Format::kParquet, unload::Compression::kNone}}) {
    SCOPED_TRACE(unload::to_string(c.format));
    unload::UnloadSpec s;
    s.select = query;
    s.format = c.format;
    s.compression = c.compression;
    s.max_file_size = 5ull << 20;
    s.partition_by = unload::PartitionBy{{"p"}, true};
    std::vector<std::vector<std::pair<std::string, std::string>>> outputs;
    // Everything open at once; one open file (11 partitions wait, with a small buffer so
    // the spool file itself is used).
    for (engine::UnloadOptions o :
         {engine::UnloadOptions{.max_open_partitions = 100},
          engine::UnloadOptions{.max_open_partitions = 1, .spool_memory = 256 << 10}}) {
      fs::path out = dir_ / (std::string(unload::to_string(c.format)) + "_run" +
                             std::to_string(outputs.size()));
      s.destination = out.string();
      engine::UnloadResult r = run(s, o);
      EXPECT_EQ(r.rows, 120000u);
      std::vector<std::pair<std::string, std::string>> files;
      for (const auto& f : r.files) {
        // gzip: the files' contents, decompressed. A gzip file is one member per block the
        // engine compressed, and the spool hands blocks on in other sizes than the direct
        // path may; the rows, their order and the files they land in are what must agree.
        // (Uncompressed, zstd and Parquet outputs are compared byte for byte.)
        files.emplace_back(fs::relative(f.key, out).generic_string(),
                           c.compression == unload::Compression::kGzip ? sh("gzip -dc " + q(f.key))
                                                                       : slurp(f.key));
      }
      outputs.push_back(std::move(files));
    }
    EXPECT_TRUE(outputs[0] == outputs[1]) << "one open file + spool differs from all open";
    // Names as Redshift gives them (docs/redshift-unload.md#s4.2, #s4.4, #s4.5): slice 0, parts 00,
    // 01, …, the format's extension, in the partition's folder.
    const char* ext = c.compression == unload::Compression::kGzip   ? ".gz"
                      : c.compression == unload::Compression::kZstd ? ".zst"
                      : c.format == unload::Format::kParquet        ? ".parquet"
                                                                    : "";
    ASSERT_FALSE(outputs[1].empty());
    EXPECT_EQ(outputs[1].front().first, std::string("p=0/0000_part_00") + ext);
    size_t p0_parts = std::count_if(outputs[1].begin(), outputs[1].end(),
                                    [](const auto& f) { return f.first.starts_with("p=0/"); });
    if (c.format == unload::Format::kText) {
      EXPECT_EQ(p0_parts, 3u) << "12 MB in 5 MB files";
      EXPECT_EQ(outputs[1][1].first, "p=0/0000_part_01");
    }
    EXPECT_EQ(outputs[1].size(), 11 + p0_parts);
  }
}

TEST_F(EngineScale, HundredMegabyteValueRoundTripsInEveryFormat) {
  // 100 MiB: md5 hex repeated, with a quote, a delimiter and a line break every 64 KiB
  // in the CSV case so the quoting path runs on the whole value.
  const std::string text_query = "select 1 as id, repeat(md5('crossunload'), 3276800) as v";
  const std::string csv_query =
      "select 1 as id, repeat(md5('crossunload') || repeat('z', 65500) || '\"|,' || chr(10), "
      "1600) as v";
  auto pg_md5 = [](const std::string& query) {
    return test::psql(" -At -c " +
                      q("select md5(v) || ' ' || octet_length(v) from (" + query + ") t"));
  };
  // DuckDB's answer, unwrapped from its canonical row form `["…"]`.
  auto duck_md5 = [](const std::string& read) {
    std::string row = sh(env("CU_DUCKDB") + " sql " +
                         q("select md5(v) || ' ' || octet_length(v::blob)::varchar from " + read));
    return row.size() > 5 ? row.substr(2, row.size() - 5) + "\n" : row;
  };
  auto one_file = [](const engine::UnloadResult& r) {
    EXPECT_EQ(r.files.size(), 1u);
    return r.files.empty() ? std::string() : r.files[0].key;
  };

  unload::UnloadSpec s;
  s.parallel = false;
  s.select = text_query;
  s.destination = (dir_ / "text_").string();
  std::string f = one_file(run(s));
  std::string want = pg_md5(text_query);
  ASSERT_EQ(want.size(), std::string("0123456789abcdef0123456789abcdef 104857600\n").size());
  EXPECT_EQ(duck_md5("read_csv('" + f +
                     "', delim = '|', quote = '', escape = '', header = false, "
                     "max_line_size = 200000000, columns = {'id': 'INT', 'v': 'VARCHAR'})"),
            want);

  s.select = csv_query;
  s.format = unload::Format::kCsv;
  s.destination = (dir_ / "csv_").string();
  f = one_file(run(s));
  EXPECT_EQ(duck_md5("read_csv('" + f +
                     "', delim = ',', quote = '\"', escape = '\"', header = false, "
                     "max_line_size = 200000000, columns = {'id': 'INT', 'v': 'VARCHAR'})"),
            pg_md5(csv_query));

  s.select = text_query;
  s.format = unload::Format::kJson;
  s.destination = (dir_ / "json_").string();
  f = one_file(run(s));
  EXPECT_EQ(duck_md5("read_json('" + f +
                     "', format = 'newline_delimited', maximum_object_size = 200000000, "
                     "columns = {'id': 'INT', 'v': 'VARCHAR'})"),
            want);

  s.format = unload::Format::kParquet;
  s.destination = (dir_ / "parquet_").string();
  f = one_file(run(s));
  EXPECT_EQ(duck_md5("read_parquet('" + f + "')"), want);
}

// 1,000 columns of eight types, 200 rows, in every format.
TEST_F(EngineScale, ThousandColumnsInEveryFormat) {
  // JSON writes booleans as true/false (docs/formats.md), so its expected query spells
  // them so; every other column is the same expression on both sides.
  std::string cols, json_cols;
  for (int i = 0; i < 1000; ++i) {
    const std::string n = std::to_string(i);
    std::string expr, json_expr;
    switch (i % 8) {
      case 0:
        expr = "g * " + n;
        break;
      case 1:
        expr = "md5((g + " + n + ")::text)";
        break;
      case 2:
        expr = "(g * " + n + " / 7.0)::numeric(14,3)";
        break;
      case 3:
        expr = "(g + " + n + ") % 3 = 0";
        json_expr = "case when " + expr + " then 'true' else 'false' end";
        break;
      case 4:
        expr = "date '2001-01-01' + (g * " + n + ") % 9000";
        break;
      case 5:
        expr = "timestamp '1999-12-31 23:59:59.5' + (g * " + n + ") * interval '1 minute'";
        break;
      case 6:
        expr = "case when (g + " + n + ") % 5 = 0 then null else 'v' || g end";
        break;
      default:
        expr = "(g::bigint << 40) + " + n;
        break;
    }
    if (i) {
      cols += ", ";
      json_cols += ", ";
    }
    cols += expr + " as c" + n;
    json_cols += (json_expr.empty() ? expr : json_expr) + " as c" + n;
  }
  const std::string query = "select " + cols + " from generate_series(1, 200) g";
  for (auto format : {unload::Format::kText, unload::Format::kCsv, unload::Format::kJson,
                      unload::Format::kParquet}) {
    SCOPED_TRACE(unload::to_string(format));
    unload::UnloadSpec s;
    s.select = query;
    s.format = format;
    s.parallel = false;
    s.destination = (dir_ / (std::string(unload::to_string(format)) + "_")).string();
    engine::UnloadResult r = run(s);
    ASSERT_EQ(r.files.size(), 1u);
    bool text = format == unload::Format::kText;
    std::string extra = text ? "--empty-as-null" : "";
    std::string got = sh(env("CU_DUCKDB") + " rows --sort --format " + unload::to_string(format) +
                         " " + extra + " " + q(r.files[0].key));
    std::string want = pg_rows(format == unload::Format::kJson
                                   ? "select " + json_cols + " from generate_series(1, 200) g"
                                   : query,
                               extra);
    EXPECT_EQ(std::count(want.begin(), want.end(), '\n'), 200);
    EXPECT_TRUE(got == want) << "first bytes got:  " << got.substr(0, 300)
                             << "\nfirst bytes want: " << want.substr(0, 300);
  }
}

}  // namespace
}  // namespace cu
