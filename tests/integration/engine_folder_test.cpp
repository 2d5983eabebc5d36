// engine::run_unload into a local folder, read back by DuckDB (an independent reader) and
// compared with PostgreSQL's own answer (COPY … CSV): formats × compression × PARALLEL ×
// PARTITION BY on TICKIT tables; names, manifests, the not-empty rule, zero rows, and
// cleanup after a failure mid-stream.
//
// Needs the local stack (scripts/test): CU_PG_CONNINFO, CU_PG_BIN, CU_DUCKDB.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
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
using test::q;
using test::sh;

using test::pg_rows;

// DuckDB adds a column of its own for hive `col=value/` folders in a path; partitioned
// files are copied to flat names first so the reader sees the file's columns only.
std::string file_rows(const std::vector<std::string>& files, const std::string& options) {
  std::string cmd = env("CU_DUCKDB") + " rows --sort " + options;
  fs::path flat = fs::temp_directory_path() / ("engine_flat_" + std::to_string(::getpid()));
  fs::remove_all(flat);
  fs::create_directories(flat);
  int n = 0;
  for (const auto& f : files) {
    std::string ext = fs::path(f).extension().string();
    fs::path copy = flat / (std::to_string(n++) + ext);
    fs::copy_file(f, copy);
    cmd += " " + q(copy.string());
  }
  std::string out = sh(cmd);
  fs::remove_all(flat);
  return out;
}

class EngineFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = std::make_unique<pg::Connection>(pg::parse_target(env("CU_PG_CONNINFO")));
    source_ = std::make_unique<pg::PgCopySource>(*conn_);
    dir_ = fs::temp_directory_path() /
           ("engine_folder_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  engine::UnloadResult run(unload::UnloadSpec spec, engine::UnloadOptions o = {}) {
    auto store = sink::make_folder_store();
    return engine::run_unload(spec, *source_, *store, o);
  }
  static std::vector<std::string> paths(const engine::UnloadResult& r) {
    std::vector<std::string> out;
    for (const auto& f : r.files) out.push_back(f.key);
    return out;
  }
  std::vector<std::string> listing() const {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(dir_)) {
      if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir_).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<pg::PgCopySource> source_;
  fs::path dir_;
};

struct Case {
  unload::Format format;
  unload::Compression compression;
  bool parallel;
  const char* reader;  // duckdb.mjs options
  const char* pg_extra;
};

TEST_F(EngineFolder, SalesEveryFormatCompressionAndParallel) {
  const std::string query = "select * from sales";
  const std::string want = pg_rows(query);
  const std::string want_text = pg_rows(query, "--empty-as-null");
  std::vector<Case> cases = {
      {unload::Format::kText, unload::Compression::kNone, false, "--format text --empty-as-null",
       ""},
      {unload::Format::kText, unload::Compression::kGzip, true, "--format text --empty-as-null",
       ""},
      {unload::Format::kCsv, unload::Compression::kZstd, true, "--format csv", ""},
      {unload::Format::kCsv, unload::Compression::kBzip2, false, "--format csv", ""},
      {unload::Format::kJson, unload::Compression::kGzip, true, "--format json", ""},
      {unload::Format::kJson, unload::Compression::kNone, false, "--format json", ""},
      {unload::Format::kParquet, unload::Compression::kNone, true, "--format parquet", ""},
      {unload::Format::kParquet, unload::Compression::kNone, false, "--format parquet", ""},
  };
  int n = 0;
  for (const auto& c : cases) {
    unload::UnloadSpec s;
    s.select = query;
    s.destination = (dir_ / ("c" + std::to_string(n++)) / "sales_").string();
    s.format = c.format;
    s.compression = c.compression;
    s.parallel = c.parallel;
    auto r = run(s, {.parallelism = 3, .block_bytes = 256 << 10});
    SCOPED_TRACE(s.destination + " " + unload::to_string(c.format) + " " +
                 unload::to_string(c.compression));
    EXPECT_EQ(r.rows, 172456u);
    ASSERT_FALSE(r.files.empty());
    std::string first = fs::path(r.files.front().key).filename().string();
    std::string suffix = c.format == unload::Format::kParquet           ? ".parquet"
                         : c.compression == unload::Compression::kGzip  ? ".gz"
                         : c.compression == unload::Compression::kZstd  ? ".zst"
                         : c.compression == unload::Compression::kBzip2 ? ".bz2"
                                                                        : "";
    EXPECT_EQ(first, (c.parallel ? "sales_0000_part_00" : "sales_000") + suffix);
    if (c.parallel) {
      EXPECT_EQ(r.files.size(), 3u);
    }
    std::string got = file_rows(paths(r), c.reader);
    bool text = c.format == unload::Format::kText;
    EXPECT_TRUE(got == (text ? want_text : want)) << "rows differ for " << s.destination;
  }
}

TEST_F(EngineFolder, MaxFileSizeSplitsAtRowsAndManifestVerboseListsThem) {
  unload::UnloadSpec s;
  s.select = "select * from sales";
  s.destination = (dir_ / "split_").string();
  s.format = unload::Format::kCsv;
  s.header = true;
  s.parallel = false;
  s.max_file_size = 5ull << 20;
  s.manifest = unload::Manifest::kVerbose;
  auto r = run(s);
  ASSERT_GE(r.files.size(), 2u);
  for (const auto& f : r.files) {
    EXPECT_LE(f.bytes, 5ull << 20);
    EXPECT_EQ(fs::file_size(f.key), f.bytes);
  }
  EXPECT_EQ(file_rows(paths(r), "--format csv --header"), pg_rows(s.select));
  EXPECT_EQ(r.manifest_url, (dir_ / "split_manifest").string());
  auto m = nlohmann::json::parse(sh("cat " + q(r.manifest_url)));
  ASSERT_EQ(m["entries"].size(), r.files.size());
  uint64_t total_records = 0;
  for (size_t i = 0; i < r.files.size(); ++i) {
    EXPECT_EQ(m["entries"][i]["url"], r.files[i].url);
    EXPECT_EQ(m["entries"][i]["meta"]["content_length"], fs::file_size(r.files[i].key));
    total_records += m["entries"][i]["meta"]["record_count"].get<uint64_t>();
  }
  // Spec §6: with HEADER, record counts include the header lines.
  EXPECT_EQ(total_records, 172456u + r.files.size());
  EXPECT_EQ(m["meta"]["record_count"], total_records);
  EXPECT_EQ(m["author"]["name"], "Amazon Redshift");
  EXPECT_EQ(m["schema"]["elements"][0]["name"], "salesid");
  EXPECT_EQ(m["schema"]["elements"][0]["type"]["base"], "integer");
  EXPECT_EQ(m["schema"]["elements"][7]["type"]["base"], "numeric");
  EXPECT_EQ(m["schema"]["elements"][7]["type"]["precision"], 8);
  EXPECT_EQ(m["schema"]["elements"][7]["type"]["scale"], 2);
}

TEST_F(EngineFolder, PartitionByWritesHiveFoldersForEveryFormat) {
  const std::string query = "select eventid, venueid, catid, eventname, starttime from event";
  for (auto fmt_ : {unload::Format::kCsv, unload::Format::kJson, unload::Format::kParquet}) {
    unload::UnloadSpec s;
    s.select = query;
    s.destination = (dir_ / unload::to_string(fmt_)).string();
    s.format = fmt_;
    s.partition_by = unload::PartitionBy{{"catid"}, true};
    s.manifest = unload::Manifest::kPlain;
    // Event's 11 categories: more than the 4 open Parquet files, so 7 of them wait in the
    // spool; still one file each.
    auto r = run(s);
    SCOPED_TRACE(unload::to_string(fmt_));
    EXPECT_EQ(r.files.size(), 11u);
    std::string reader = std::string("--format ") + unload::to_string(fmt_);
    EXPECT_EQ(file_rows(paths(r), reader), pg_rows(query));
    for (const auto& f : r.files) {
      EXPECT_NE(f.key.find("/" + std::string(unload::to_string(fmt_)) + "/catid="),
                std::string::npos)
          << f.key;
    }
    EXPECT_EQ(r.manifest_url, s.destination + "/manifest");
  }
  // Without INCLUDE the key column is left out of the files.
  unload::UnloadSpec s;
  s.select = "select catid, eventid from event";
  s.destination = (dir_ / "noinc" / "").string();
  s.format = unload::Format::kCsv;
  s.partition_by = unload::PartitionBy{{"catid"}, false};
  auto r = run(s);
  EXPECT_EQ(file_rows(paths(r), "--format csv"), pg_rows("select eventid from event"));
  EXPECT_TRUE(fs::exists(dir_ / "noinc" / "catid=9" / "0000_part_00"));
}

TEST_F(EngineFolder, NullPartitionGoesToHiveDefault) {
  unload::UnloadSpec s;
  s.select = "select v, k from (values (1, 'a/b'), (2, null), (3, '')) t(v, k)";
  s.destination = (dir_ / "p").string();
  s.format = unload::Format::kCsv;
  s.partition_by = unload::PartitionBy{{"k"}, false};
  run(s);
  // NULL and '' both go to the default partition (docs/unload-spec.md, OPEN-10).
  EXPECT_EQ(listing(), (std::vector<std::string>{"p/k=__HIVE_DEFAULT_PARTITION__/0000_part_00",
                                                 "p/k=a%2Fb/0000_part_00"}));
}

TEST_F(EngineFolder, RefusesNonEmptyPrefixUnlessAllowedAndCleanPathDeletes) {
  unload::UnloadSpec s;
  s.select = "select * from venue";
  s.destination = (dir_ / "v_").string();
  s.parallel = false;
  run(s);
  try {
    run(s);
    FAIL() << "second run should be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kDestination);
    EXPECT_NE(std::string(e.what()).find("Specified unload destination is not empty"),
              std::string::npos)
        << e.what();
  }
  sh("echo old > " + q((dir_ / "v_999").string()));
  s.clean_path = true;
  run(s);
  EXPECT_EQ(listing(), std::vector<std::string>{"v_000"});
}

TEST_F(EngineFolder, ZeroRowsWriteNothingOrWithSchemaOneHeaderFile) {
  unload::UnloadSpec s;
  s.select = "select * from venue where false";
  s.destination = (dir_ / "z_").string();
  s.format = unload::Format::kCsv;
  s.header = true;
  s.manifest = unload::Manifest::kPlain;
  auto r = run(s);
  EXPECT_EQ(r.rows, 0u);
  EXPECT_TRUE(r.files.empty());
  EXPECT_EQ(r.manifest_url, "");
  EXPECT_EQ(listing(), std::vector<std::string>{});
  r = run(s, {.empty_result = engine::EmptyResult::kSchema});
  EXPECT_EQ(listing(), (std::vector<std::string>{"z_0000_part_00", "z_manifest"}));
  EXPECT_EQ(sh("cat " + q((dir_ / "z_0000_part_00").string())),
            "venueid,venuename,venuecity,venuestate,venueseats\n");
}

TEST_F(EngineFolder, FailureMidStreamLeavesNothing) {
  unload::UnloadSpec s;
  // Division by zero after 150,000 rows: some files are already written by then.
  s.select =
      "select x, repeat('y', 100) as pad, 1 / (150000 - x) as boom "
      "from generate_series(1, 200000) x";
  s.destination = (dir_ / "f_").string();
  s.manifest = unload::Manifest::kPlain;
  s.max_file_size = 5ull << 20;
  s.compression = unload::Compression::kGzip;
  try {
    run(s, {.parallelism = 2, .block_bytes = 64 << 10});
    FAIL() << "the query should fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kSource) << e.what();
    EXPECT_NE(e.hint().find("nothing of this run was published"), std::string::npos) << e.hint();
  }
  EXPECT_EQ(listing(), std::vector<std::string>{});
}

TEST_F(EngineFolder, ParquetRefusesTimeBeforeWriting) {
  unload::UnloadSpec s;
  s.select = "select time '10:00' as t";
  s.destination = (dir_ / "t_").string();
  s.format = unload::Format::kParquet;
  try {
    run(s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("is only supported for TEXT/CSV"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(listing(), std::vector<std::string>{});
}

// FIXEDWIDTH through the engine: the widths of the spec's VENUE example, by name and by
// index. PostgreSQL builds the expected lines itself: each value padded with blanks to its
// width in bytes (docs/formats.md: widths count bytes; this sample's "Montréal" has one
// two-byte character), NULL as blanks.
TEST_F(EngineFolder, FixedWidthVenueByNameAndIndex) {
  auto pad = [](const std::string& col, int width) {
    std::string v = "coalesce(" + col + "::text, '')";
    return v + " || repeat(' ', " + std::to_string(width) + " - octet_length(" + v + "))";
  };
  const std::string want =
      sh(env("CU_PG_BIN") + "/psql " + q(env("CU_PG_CONNINFO")) + " -X -At -c " +
         q("select " + pad("venueid", 3) + " || " + pad("venuename", 39) + " || " +
           pad("venuecity", 16) + " || " + pad("venuestate", 2) + " || " + pad("venueseats", 6) +
           " from venue"));
  ASSERT_NE(want.find("Montr\xc3\xa9"
                      "al"),
            std::string::npos)
      << "a multi-byte value";
  for (const char* widths :
       {"venueid:3,venuename:39,venuecity:16,venuestate:2,venueseats:6", "0:3,1:39,2:16,3:2,4:6"}) {
    SCOPED_TRACE(widths);
    unload::UnloadSpec s;
    s.select = "select venueid, venuename, venuecity, venuestate, venueseats from venue";
    s.destination = (dir_ / (std::string(widths).substr(0, 1) + "_")).string();
    s.fixedwidth = unload::parse_fixedwidth(widths);
    s.parallel = false;
    auto r = run(s);
    ASSERT_EQ(r.files.size(), 1u);
    std::string got = sh("LC_ALL=C sort " + q(r.files[0].key));
    EXPECT_EQ(got, sh("LC_ALL=C sort <<'EOF'\n" + want + "EOF"));
    EXPECT_EQ(r.rows, 202u);
  }
}

// A value wider than its width fails the whole unload, names the column, and leaves
// nothing behind (spec §1.6: never truncates).
TEST_F(EngineFolder, FixedWidthTooNarrowFailsAndLeavesNothing) {
  unload::UnloadSpec s;
  s.select = "select venueid, venuename from venue";
  s.destination = (dir_ / "narrow_").string();
  s.fixedwidth = unload::parse_fixedwidth("venueid:3,venuename:10");
  try {
    run(s);
    FAIL() << "venue names are longer than 10 bytes";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("\"venuename\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("width 10"), std::string::npos) << e.what();
  }
  EXPECT_EQ(listing(), std::vector<std::string>{});
  // A column without a width is refused before anything is written.
  s.fixedwidth = unload::parse_fixedwidth("venueid:3");
  EXPECT_THROW(run(s), Error);
  EXPECT_EQ(listing(), std::vector<std::string>{});
}

// FIXEDWIDTH with PARTITION BY: the key column leaves the files, the others keep widths.
TEST_F(EngineFolder, FixedWidthPartitioned) {
  unload::UnloadSpec s;
  s.select = "select catid, catname from category";
  s.destination = (dir_ / "fwp").string();
  s.fixedwidth = unload::parse_fixedwidth("catid:2,catname:12");
  s.partition_by = unload::PartitionBy{{"catid"}, false};
  auto r = run(s);
  EXPECT_EQ(r.files.size(), 11u);
  EXPECT_EQ(sh("cat " + q((dir_ / "fwp" / "catid=1" / "0000_part_00").string())), "MLB         \n");
}

// When the partitions that must wait cannot (no room or no folder for the spool), the
// unload fails naming the folder and TMPDIR, and leaves nothing in the destination.
TEST_F(EngineFolder, SpoolFailureLeavesNothing) {
  unload::UnloadSpec s;
  s.select = "select g, g % 20 as p, md5(g::text) as h from generate_series(1, 20000) g";
  s.destination = (dir_ / "sp").string();
  s.format = unload::Format::kCsv;
  s.partition_by = unload::PartitionBy{{"p"}, false};
  const std::string missing = (dir_ / "no-such-folder").string();
  try {
    run(s, {.max_open_partitions = 2, .spool_dir = missing, .spool_memory = 4096});
    FAIL() << "the spool has no folder";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOther) << e.what();
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("TMPDIR"), std::string::npos) << e.hint();
  }
  EXPECT_EQ(listing(), std::vector<std::string>{});
}

// A partition whose folder cannot be made (a file is in the way) fails on a worker thread,
// after other partitions' files were started and some rows spooled: the run fails naming
// the path, and nothing of it stays — only the file that was there before.
TEST_F(EngineFolder, PartitionWriteFailureOnAWorkerLeavesNothing) {
  // p=2 has one of the 4 open files; p=7 is spooled and written at the end.
  for (auto [format, blocked] : {std::pair{unload::Format::kCsv, "p=2"},
                                 {unload::Format::kCsv, "p=7"},
                                 {unload::Format::kParquet, "p=2"},
                                 {unload::Format::kParquet, "p=7"}}) {
    SCOPED_TRACE(std::string(blocked) + (format == unload::Format::kCsv ? " csv" : " parquet"));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "w");
    { std::ofstream(dir_ / "w" / blocked) << "in the way\n"; }
    unload::UnloadSpec s;
    s.select = "select g, g % 20 as p, md5(g::text) as h from generate_series(1, 200000) g";
    s.destination = (dir_ / "w").string();
    s.format = format;
    s.compression =
        format == unload::Format::kCsv ? unload::Compression::kGzip : unload::Compression::kNone;
    s.partition_by = unload::PartitionBy{{"p"}, false};
    s.allow_overwrite = true;
    try {
      run(s, {.parallelism = 2, .max_open_partitions = 4, .spool_memory = 64 << 10});
      FAIL() << blocked << " cannot be a folder";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kDestination) << e.what();
      EXPECT_NE(std::string(e.what()).find(blocked), std::string::npos) << e.what();
      EXPECT_NE(e.hint().find("nothing of this run was published"), std::string::npos) << e.hint();
    }
    EXPECT_EQ(listing(), std::vector<std::string>{std::string("w/") + blocked});
  }
}

}  // namespace
}  // namespace cu
