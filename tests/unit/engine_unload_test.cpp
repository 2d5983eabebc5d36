// engine::run_unload end to end without PostgreSQL or S3: rows from a FakeCopySource (text
// and binary COPY as PostgreSQL streams them), objects in a MemoryStore
// (tests/support/engine_fakes.h). Hard values byte for byte, slices, MAXFILESIZE,
// partitions (open and spooled alike), the manifest, the not-empty rule and CLEANPATH
// (folder and S3 rules, only the partition folders receiving files, only after success),
// zero rows, the commit protocol (nothing visible before the commit, a stop, another run
// publishing meanwhile, a failure half-way through the commit), failures at the source,
// on a worker and at the manifest, and that nothing is left behind or left open after one.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stop_token>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/commit.h"
#include "engine/unload.h"
#include "engine_fakes.h"
#include "unload/unload_spec.h"

namespace cu {
namespace {

using test::FakeCopySource;
using test::MemoryStore;
using test::Row;

unload::UnloadSpec make_spec(unload::Format format = unload::Format::kText, bool parallel = false) {
  unload::UnloadSpec s;
  s.select = "select * from t";
  s.destination = "out/x_";
  s.format = format;
  s.parallel = parallel;
  return s;
}

std::vector<pg::SourceColumn> id_name() {
  return {{"id", pg::oid::kInt4, -1}, {"name", pg::oid::kText, -1}};
}

// Hard values: every byte COPY text escapes, NULL beside '', the delimiter, UTF-8.
std::vector<Row> hard_rows() {
  return {
      {"1", "plain"},       {"2", "tab\there"},       {"3", "line\nbreak"},
      {"4", "back\\slash"}, {"5", std::nullopt},      {"6", ""},
      {"7", "pipe|x"},      {"8", "quote\"d, comma"}, {"9", "\xc3\xbcn\xc3\xaf \xf0\x9f\x98\x80"},
      {"10", "cr\rhere"}};
}

// `n` rows "i|name-i" with p = i % parts.
std::vector<Row> numbered(size_t n, size_t parts = 0) {
  std::vector<Row> rows;
  rows.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Row r{std::to_string(i), "name-" + std::to_string(i) + std::string(40, 'x')};
    if (parts) r.push_back(std::to_string(i % parts));
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<pg::SourceColumn> id_name_p() {
  auto c = id_name();
  c.push_back({"p", pg::oid::kInt4, -1});
  return c;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> keys_of(const std::map<std::string, std::string>& objects) {
  std::vector<std::string> out;
  for (const auto& [k, v] : objects) out.push_back(k);
  return out;
}

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no cu::Error thrown";
  return ErrorKind::kOther;
}

TEST(EngineUnload, TextHardValuesWithEscapeByteForByte) {
  FakeCopySource src(id_name(), hard_rows());
  MemoryStore store;
  auto spec = make_spec();
  spec.escape = true;
  auto r = engine::run_unload(spec, src, store);
  EXPECT_EQ(r.rows, 10u);
  const std::string want =
      "1|plain\n2|tab\there\n3|line\\\nbreak\n4|back\\\\slash\n5|\n6|\n7|pipe\\|x\n"
      "8|quote\"d, comma\n9|\xc3\xbcn\xc3\xaf \xf0\x9f\x98\x80\n10|cr\\\rhere\n";
  EXPECT_EQ(store.objects(), (std::map<std::string, std::string>{{"out/x_000", want}}));
  EXPECT_EQ(store.open_writers(), 0);
}

TEST(EngineUnload, CsvHardValuesQuotedWhereNeeded) {
  FakeCopySource src(id_name(), hard_rows());
  MemoryStore store;
  auto spec = make_spec(unload::Format::kCsv);
  spec.header = true;
  engine::run_unload(spec, src, store);
  const std::string want =
      "id,name\n1,plain\n2,tab\there\n3,\"line\nbreak\"\n4,back\\slash\n5,\n6,\"\"\n7,pipe|x\n"
      "8,\"quote\"\"d, comma\"\n9,\xc3\xbcn\xc3\xaf \xf0\x9f\x98\x80\n10,\"cr\rhere\"\n";
  EXPECT_EQ(store.objects().at("out/x_000"), want);
}

TEST(EngineUnload, JsonHardValuesReadBackThroughTheBinaryPath) {
  FakeCopySource src(id_name(), hard_rows());
  MemoryStore store;
  engine::run_unload(make_spec(unload::Format::kJson), src, store);
  auto lines = lines_of(store.objects().at("out/x_000"));
  auto rows = hard_rows();
  ASSERT_EQ(lines.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto j = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(j["id"].get<int>(), std::stoi(*rows[i][0]));
    if (rows[i][1]) {
      EXPECT_EQ(j["name"].get<std::string>(), *rows[i][1]);
    } else {
      EXPECT_TRUE(j["name"].is_null());
    }
  }
}

// The live counters end at the rows the source sent and the bytes the store holds (the
// store's objects measured, not the engine's result), whatever the format and layout.
TEST(EngineUnload, ProgressCountersEndAtTheRowsReadAndTheBytesStored) {
  struct Case {
    unload::Format format;
    unload::Compression compression;
    bool parallel;
    bool partitioned;
  };
  for (const Case c : {Case{unload::Format::kText, unload::Compression::kNone, true, false},
                       Case{unload::Format::kCsv, unload::Compression::kGzip, false, false},
                       Case{unload::Format::kParquet, unload::Compression::kNone, false, false},
                       Case{unload::Format::kJson, unload::Compression::kNone, false, true}}) {
    SCOPED_TRACE(static_cast<int>(c.format));
    FakeCopySource src(c.partitioned ? id_name_p() : id_name(),
                       numbered(10000, c.partitioned ? 7 : 0));
    MemoryStore store;
    auto spec = make_spec(c.format, c.parallel);
    spec.compression = c.compression;
    spec.header = c.format == unload::Format::kCsv;
    if (c.partitioned) {
      spec.partition_by = unload::PartitionBy{{"p"}, false};
    }
    engine::ProgressCounters counters;
    engine::run_unload(spec, src, store,
                       {.parallelism = 3, .block_bytes = 4096, .progress = &counters});
    uint64_t stored = 0;
    for (const auto& [k, v] : store.objects()) stored += v.size();
    EXPECT_EQ(counters.rows.load(), 10000u);
    EXPECT_EQ(counters.bytes.load(), stored);
    EXPECT_EQ(counters.phase.load(), engine::ProgressCounters::Phase::kDone);
  }
}

TEST(EngineUnload, ParallelSlicesShareTheRowsRoundRobin) {
  auto rows = numbered(5000);
  FakeCopySource src(id_name(), rows);
  MemoryStore store;
  auto r = engine::run_unload(make_spec(unload::Format::kText, true), src, store,
                              {.parallelism = 3, .block_bytes = 4096});
  EXPECT_EQ(r.slices, 3u);
  EXPECT_EQ(
      keys_of(store.objects()),
      (std::vector<std::string>{"out/x_0000_part_00", "out/x_0001_part_00", "out/x_0002_part_00"}));
  std::vector<std::string> got;
  uint64_t rows_in_files = 0;
  for (const auto& f : r.files) rows_in_files += f.rows;
  for (const auto& [k, v] : store.objects()) {
    auto l = lines_of(v);
    got.insert(got.end(), l.begin(), l.end());
  }
  std::vector<std::string> want;
  for (const auto& row : rows) want.push_back(*row[0] + "|" + *row[1]);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(rows_in_files, 5000u);
}

TEST(EngineUnload, MaxFileSizeCutsAtBlockBoundariesWithTheHeaderInEachFile) {
  auto rows = numbered(200000);  // ~13 MB of text
  FakeCopySource src(id_name(), rows);
  MemoryStore store;
  auto spec = make_spec(unload::Format::kCsv);
  spec.header = true;
  spec.max_file_size = 5u << 20;
  auto r = engine::run_unload(spec, src, store, {.block_bytes = 256 << 10});
  ASSERT_GE(r.files.size(), 3u);
  std::string all;
  const auto objects = store.objects();
  for (size_t i = 0; i < r.files.size(); ++i) {
    const std::string& body = objects.at(r.files[i].key);
    EXPECT_EQ(r.files[i].key, "out/x_" + std::string(i < 10 ? "00" : "0") + std::to_string(i));
    EXPECT_LE(body.size(), 5u << 20) << r.files[i].key;
    ASSERT_EQ(body.rfind("id,name\n", 0), 0u) << r.files[i].key;
    EXPECT_EQ(body.back(), '\n');
    all += body.substr(8);
  }
  std::string want;
  for (const auto& row : rows) want += *row[0] + "," + *row[1] + "\n";
  EXPECT_EQ(all, want);
}

// The same partitioned run with a file open for every partition and with two open and the
// rest spooled: the same objects, byte for byte, one per partition, rows in arrival order.
TEST(EngineUnload, PartitionsAreOneFileEachWhetherOpenOrSpooled) {
  for (auto format : {unload::Format::kCsv, unload::Format::kJson, unload::Format::kParquet}) {
    SCOPED_TRACE(unload::to_string(format));
    auto rows = numbered(20000, 10);
    auto spec = make_spec(format, /*parallel=*/true);
    spec.partition_by = unload::PartitionBy{{"p"}, false};
    std::map<std::string, std::string> runs[2];
    unsigned bounds[2] = {100, 2};
    for (int i = 0; i < 2; ++i) {
      FakeCopySource src(id_name_p(), rows);
      MemoryStore store;
      auto r = engine::run_unload(spec, src, store,
                                  {.parallelism = 2,
                                   .block_bytes = 4096,
                                   .max_open_partitions = bounds[i],
                                   .spool_memory = 64 << 10});
      EXPECT_EQ(r.rows, 20000u);
      EXPECT_EQ(store.open_writers(), 0);
      runs[i] = store.objects();
    }
    EXPECT_EQ(runs[0], runs[1]);
    std::string ext = format == unload::Format::kParquet ? ".parquet" : "";
    ASSERT_EQ(runs[0].size(), 10u);
    for (int p = 0; p < 10; ++p) {
      EXPECT_TRUE(runs[0].count("out/x_/p=" + std::to_string(p) + "/0000_part_00" + ext)) << p;
    }
    if (format == unload::Format::kCsv) {
      std::string want;
      for (const auto& row : rows) {
        if (*row[2] == "3") want += *row[0] + "," + *row[1] + "\n";
      }
      EXPECT_EQ(runs[0].at("out/x_/p=3/0000_part_00"), want);
    }
  }
}

// Boolean, integer and NULL keys name the same folders on the text path (CSV) and the binary
// path (JSON): true/false as Hive spells them, NULL as __HIVE_DEFAULT_PARTITION__.
TEST(EngineUnload, PartitionFoldersAreSpelledTheSameOnBothPaths) {
  std::vector<pg::SourceColumn> cols = {
      {"id", pg::oid::kInt4, -1}, {"b", pg::oid::kBool, -1}, {"n", pg::oid::kInt8, -1}};
  std::vector<Row> rows = {{"1", "t", "-5"}, {"2", "f", std::nullopt}, {"3", std::nullopt, "7"}};
  std::set<std::string> folders[2];
  int i = 0;
  for (auto format : {unload::Format::kCsv, unload::Format::kJson}) {
    FakeCopySource src(cols, rows);
    MemoryStore store;
    auto spec = make_spec(format);
    spec.partition_by = unload::PartitionBy{{"b", "n"}, true};
    engine::run_unload(spec, src, store);
    for (const auto& [k, v] : store.objects()) folders[i].insert(k.substr(0, k.rfind('/')));
    ++i;
  }
  EXPECT_EQ(folders[0], folders[1]);
  EXPECT_EQ(folders[0], (std::set<std::string>{"out/x_/b=__HIVE_DEFAULT_PARTITION__/n=7",
                                               "out/x_/b=false/n=__HIVE_DEFAULT_PARTITION__",
                                               "out/x_/b=true/n=-5"}));
}

TEST(EngineUnload, VerboseManifestListsEveryFileLast) {
  FakeCopySource src(id_name(), numbered(3000));
  MemoryStore store;
  auto spec = make_spec(unload::Format::kText, true);
  spec.manifest = unload::Manifest::kVerbose;
  auto r = engine::run_unload(spec, src, store, {.parallelism = 2, .block_bytes = 4096});
  EXPECT_EQ(r.manifest_url, "mem://out/x_manifest");
  auto m = nlohmann::json::parse(store.objects().at("out/x_manifest"));
  ASSERT_EQ(m["entries"].size(), 2u);
  uint64_t records = 0;
  for (const auto& e : m["entries"]) {
    std::string key = e["url"].get<std::string>().substr(6);
    EXPECT_EQ(e["meta"]["content_length"].get<uint64_t>(), store.objects().at(key).size());
    records += e["meta"]["record_count"].get<uint64_t>();
  }
  EXPECT_EQ(records, 3000u);
  EXPECT_EQ(m["schema"]["elements"][1]["name"], "name");
}

TEST(EngineUnload, NotEmptyIsRefusedCleanPathDeletesAllowOverwriteKeeps) {
  MemoryStore store;
  store.put("out/x_007", "old");
  store.put("out/x_notes.txt", "a file crossunload never names so");
  const std::vector<std::string> before = {"out/x_007", "out/x_notes.txt"};
  {
    FakeCopySource src(id_name(), numbered(10));
    EXPECT_EQ(kind_of([&] { engine::run_unload(make_spec(), src, store); }),
              ErrorKind::kDestination);
    EXPECT_EQ(keys_of(store.objects()), before);
  }
  {
    FakeCopySource src(id_name(), numbered(10));
    auto spec = make_spec();
    spec.allow_overwrite = true;
    engine::run_unload(spec, src, store);
    EXPECT_EQ(keys_of(store.objects()),
              (std::vector<std::string>{"out/x_000", "out/x_007", "out/x_notes.txt"}));
  }
  {
    // A folder destination: CLEANPATH removes only names crossunload could have written.
    FakeCopySource src(id_name(), numbered(10));
    auto spec = make_spec();
    spec.clean_path = true;
    auto r = engine::run_unload(spec, src, store);
    EXPECT_EQ(keys_of(store.objects()), (std::vector<std::string>{"out/x_000", "out/x_notes.txt"}));
    EXPECT_EQ(r.cleaned, std::vector<std::string>{"out/x_007"});
  }
  {
    // S3: everything under the prefix, as Redshift.
    FakeCopySource src(id_name(), numbered(10));
    auto spec = make_spec();
    spec.destination = "s3://bucket/out/x_";
    spec.clean_path = true;
    engine::run_unload(spec, src, store);
    EXPECT_EQ(keys_of(store.objects()), std::vector<std::string>{"out/x_000"});
  }
}

TEST(EngineUnload, CouldBeOutputMatchesOurNamesOnly) {
  for (const char* yes :
       {"000", "0012", "0000_part_00", "0003_part_12.gz", "000.parquet", "manifest", "/manifest",
        "p=1/0000_part_00", "/a=x/b=__HIVE_DEFAULT_PARTITION__/000.csv"}) {
    EXPECT_TRUE(engine::could_be_output(yes)) << yes;
  }
  for (const char* no : {".bashrc", ".ssh/id_rsa", "notes.txt", "00", "0000_part_0", "x000",
                         "docs/000", "manifest.json", "p=1/notes", ".crossunload-1-2-000"}) {
    EXPECT_FALSE(engine::could_be_output(no)) << no;
  }
}

// CLEANPATH with PARTITION BY: only the partition folders that receive files, and only
// once the query succeeded.
TEST(EngineUnload, CleanPathWithPartitionsCleansOnlyTheFoldersReceivingFiles) {
  MemoryStore store;
  store.put("out/p=0/0000_part_00", "p0");
  store.put("out/p=1/0000_part_00", "p1");
  store.put("out/p=1/0000_part_01", "p1 older");
  store.put("out/p=2/0000_part_00", "p2");
  auto spec = make_spec(unload::Format::kCsv, true);
  spec.destination = "s3://bucket/out";
  spec.partition_by = unload::PartitionBy{{"p"}, false};
  spec.clean_path = true;
  {
    FakeCopySource src(id_name_p(), {{"1", "a", "1"}, {"2", "b", "1"}, {"3", "c", "1"}});
    src.fail_after = 2;
    EXPECT_EQ(kind_of([&] { engine::run_unload(spec, src, store); }), ErrorKind::kSource);
    EXPECT_EQ(store.objects().at("out/p=1/0000_part_01"), "p1 older");
    EXPECT_EQ(store.objects().size(), 4u);
  }
  FakeCopySource src(id_name_p(), {{"1", "a", "1"}, {"2", "b", "1"}});
  auto r = engine::run_unload(spec, src, store);
  EXPECT_EQ(store.objects(),
            (std::map<std::string, std::string>{{"out/p=0/0000_part_00", "p0"},
                                                {"out/p=1/0000_part_00", "1,a\n2,b\n"},
                                                {"out/p=2/0000_part_00", "p2"}}));
  EXPECT_EQ(r.cleaned, std::vector<std::string>{"out/p=1/0000_part_01"});
}

TEST(EngineUnload, ZeroRowsWriteNothingOrOneSchemaFile) {
  for (auto format : {unload::Format::kText, unload::Format::kCsv, unload::Format::kJson,
                      unload::Format::kParquet}) {
    SCOPED_TRACE(unload::to_string(format));
    auto spec = make_spec(format, true);
    spec.header = format == unload::Format::kCsv;
    spec.manifest = unload::Manifest::kVerbose;
    {
      FakeCopySource src(id_name(), {});
      MemoryStore store;
      auto r = engine::run_unload(spec, src, store);
      EXPECT_TRUE(store.objects().empty());
      EXPECT_TRUE(r.files.empty());
      EXPECT_EQ(r.manifest_url, "");
    }
    FakeCopySource src(id_name(), {});
    MemoryStore store;
    auto r = engine::run_unload(spec, src, store, {.empty_result = engine::EmptyResult::kSchema});
    std::string data =
        format == unload::Format::kParquet ? "out/x_0000_part_00.parquet" : "out/x_0000_part_00";
    auto objects = store.objects();
    EXPECT_EQ(keys_of(objects), (std::vector<std::string>{data, "out/x_manifest"}));
    const std::string& body = objects[data];
    if (format == unload::Format::kParquet) {
      EXPECT_EQ(body.substr(0, 4), "PAR1");
      EXPECT_NE(body.find("name"), std::string::npos);  // the schema is in the footer
    } else {
      EXPECT_EQ(body, format == unload::Format::kCsv ? "id,name\n" : "");
    }
    auto m = nlohmann::json::parse(objects["out/x_manifest"]);
    EXPECT_EQ(m["entries"].size(), 1u);
    EXPECT_EQ(m["meta"]["record_count"], format == unload::Format::kCsv ? 1 : 0);
  }
}

// Nothing is visible before the commit: every object is published after the last row.
TEST(EngineUnload, NothingIsPublishedBeforeTheWholeQueryWasRead) {
  FakeCopySource src(id_name_p(), numbered(20000, 10));
  MemoryStore store;
  bool read_all = false;
  size_t seen_while_reading = 0;
  store.fault = [&](const std::string& op, const std::string&) {
    if (op == "publish" && !read_all) ++seen_while_reading;
  };
  auto spec = make_spec(unload::Format::kCsv, true);
  spec.partition_by = unload::PartitionBy{{"p"}, false};
  spec.manifest = unload::Manifest::kPlain;
  spec.max_file_size = 5u << 20;
  struct Source : public pg::CopySource {
    FakeCopySource& inner;
    bool& done;
    Source(FakeCopySource& i, bool& d) : inner(i), done(d) {}
    std::vector<pg::SourceColumn> describe(std::string_view q) override {
      return inner.describe(q);
    }
    uint64_t copy_out(std::string_view sql,
                      const std::function<void(std::string_view)>& on_chunk) override {
      uint64_t n = inner.copy_out(sql, on_chunk);
      done = true;
      return n;
    }
    std::string describe_source() const override { return "fake"; }
  } source(src, read_all);
  engine::run_unload(spec, source, store,
                     {.parallelism = 2, .block_bytes = 4096, .max_open_partitions = 3});
  EXPECT_EQ(seen_while_reading, 0u);
  EXPECT_EQ(store.objects().size(), 11u);  // 10 partitions and the manifest
  EXPECT_EQ(store.open_writers(), 0);
}

TEST(EngineUnload, StopBeforeTheCommitPublishesNothing) {
  FakeCopySource src(id_name(), numbered(3000));
  MemoryStore store;
  std::stop_source stop;
  stop.request_stop();
  auto spec = make_spec(unload::Format::kText, true);
  spec.manifest = unload::Manifest::kPlain;
  EXPECT_EQ(kind_of([&] {
              engine::run_unload(spec, src, store, {.parallelism = 2, .stop = stop.get_token()});
            }),
            ErrorKind::kOther);
  EXPECT_TRUE(store.objects().empty());
  EXPECT_EQ(store.open_writers(), 0);
  EXPECT_EQ(store.removes(), 0);
}

// The personal-data guard on both COPY paths (text for text/CSV, binary for JSON/Parquet):
// e-mail addresses from row 15,000 of 20,000 refuse the run once it is read, with nothing
// published and nothing left open; the findings name the column; a masked column is not
// checked; under the threshold, and with pii = warn, the run writes.
TEST(EngineUnload, PiiGuardRefusesBeforeAnythingIsPublished) {
  auto rows = [](size_t from) {
    std::vector<Row> out;
    for (size_t i = 0; i < 20000; ++i) {
      out.push_back({std::to_string(i), i >= from ? "user" + std::to_string(i) + "@example.com"
                                                  : "item " + std::to_string(i)});
    }
    return out;
  };
  for (auto format : {unload::Format::kCsv, unload::Format::kParquet, unload::Format::kJson}) {
    SCOPED_TRACE(unload::to_string(format));
    {
      FakeCopySource src(id_name(), rows(15000));
      MemoryStore store;
      engine::PiiGuard guard;
      auto spec = make_spec(format, true);
      spec.manifest = unload::Manifest::kPlain;
      EXPECT_EQ(kind_of([&] {
                  engine::run_unload(spec, src, store,
                                     {.parallelism = 2, .block_bytes = 4096, .pii = &guard});
                }),
                ErrorKind::kUsage);
      EXPECT_TRUE(store.objects().empty());
      EXPECT_EQ(store.open_writers(), 0);
      ASSERT_EQ(guard.findings.size(), 1u);
      EXPECT_EQ(guard.findings[0].column, "name");
      EXPECT_EQ(guard.findings[0].detector, "email");
      EXPECT_EQ(guard.findings[0].matched, 5000u);
      EXPECT_EQ(guard.findings[0].checked, 20000u);
      EXPECT_EQ(guard.findings[0].decision, "refused");
    }
    {
      // Masked in the database: not checked, written.
      FakeCopySource src(id_name(), rows(15000));
      MemoryStore store;
      engine::PiiGuard guard{.settings = {}, .masked = {"name"}, .findings = {}};
      engine::run_unload(make_spec(format), src, store, {.pii = &guard});
      EXPECT_TRUE(guard.findings.empty());
      EXPECT_FALSE(store.objects().empty());
    }
    {
      // 1 in 20,000 is under the 5 % threshold; pii = warn writes and reports.
      FakeCopySource below(id_name(), rows(19999));
      MemoryStore store;
      engine::PiiGuard guard;
      engine::run_unload(make_spec(format), below, store, {.pii = &guard});
      EXPECT_TRUE(guard.findings.empty());
      FakeCopySource src(id_name(), rows(15000));
      MemoryStore store2;
      engine::PiiGuard warn;
      warn.settings.policy = unload::PiiPolicy::kWarn;
      engine::run_unload(make_spec(format), src, store2, {.pii = &warn});
      ASSERT_EQ(warn.findings.size(), 1u);
      EXPECT_EQ(warn.findings[0].decision, "warned");
      EXPECT_FALSE(store2.objects().empty());
    }
  }
}

// Another run publishes under the prefix while this one reads (found when the commit
// lists again), or publishes the same name first (refused at the first file): this run
// publishes nothing and deletes nothing.
TEST(EngineUnload, AnotherRunPublishingMeanwhileRefusesThisOne) {
  for (const char* other : {"out/x_0001_part_00", "out/x_0000_part_00"}) {
    SCOPED_TRACE(other);
    FakeCopySource src(id_name(), numbered(3000));
    MemoryStore store;
    const std::string other_key = other;
    const bool same_name = other_key == "out/x_0000_part_00";
    bool done = false;
    store.fault = [&](const std::string& op, const std::string& key) {
      // Different names: the other run published before our commit began; the same name:
      // just before our first publish, after our listing.
      if (!done && ((!same_name && op == "seal") || (same_name && op == "publish"))) {
        done = true;
        store.put(other_key, "the other run's");
      }
      (void)key;
    };
    auto spec = make_spec(unload::Format::kText, true);
    spec.manifest = unload::Manifest::kPlain;
    EXPECT_EQ(kind_of([&] {
                engine::run_unload(spec, src, store, {.parallelism = 2, .block_bytes = 4096});
              }),
              ErrorKind::kDestination);
    EXPECT_EQ(keys_of(store.objects()), std::vector<std::string>{other_key});
    EXPECT_EQ(store.open_writers(), 0);
    EXPECT_EQ(store.removes(), 0);
  }
}

// A failure half-way through the commit: what was published stays, the rest is aborted,
// no manifest, and the error says how far it got.
TEST(EngineUnload, FailureDuringTheCommitSaysWhatWasPublished) {
  FakeCopySource src(id_name(), numbered(3000));
  MemoryStore store;
  store.fault = [](const std::string& op, const std::string& key) {
    if (op == "publish" && key == "out/x_0002_part_00") {
      throw Error(ErrorKind::kDestination, "commit", key, "InternalError (HTTP 500)");
    }
  };
  auto spec = make_spec(unload::Format::kText, true);
  spec.manifest = unload::Manifest::kPlain;
  try {
    engine::run_unload(spec, src, store, {.parallelism = 3, .block_bytes = 4096});
    FAIL() << "the commit should fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kDestination);
    EXPECT_NE(e.hint().find("of the 3 data object(s) of this run were published"),
              std::string::npos)
        << e.hint();
    EXPECT_NE(e.hint().find("the manifest was not written"), std::string::npos) << e.hint();
  }
  EXPECT_FALSE(store.objects().contains("out/x_manifest"));
  EXPECT_FALSE(store.objects().contains("out/x_0002_part_00"));
  EXPECT_EQ(store.open_writers(), 0);
}

struct FailureCase {
  const char* name;
  unload::Format format;
  bool parallel;
  bool partitioned;
  unsigned max_open;
};

// A query failing half-way: the database's error, no object visible, no writer left open.
TEST(EngineUnload, SourceFailureHalfWayLeavesNothing) {
  std::vector<FailureCase> cases = {{"text off", unload::Format::kText, false, false, 0},
                                    {"csv slices", unload::Format::kCsv, true, false, 0},
                                    {"parquet slices", unload::Format::kParquet, true, false, 0},
                                    {"json partitions", unload::Format::kJson, false, true, 100},
                                    {"csv spooled", unload::Format::kCsv, false, true, 2},
                                    {"parquet spooled", unload::Format::kParquet, false, true, 2}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakeCopySource src(id_name_p(), numbered(30000, 10));
    src.fail_after = 20000;
    MemoryStore store;
    auto spec = make_spec(c.format, c.parallel);
    spec.manifest = unload::Manifest::kPlain;
    if (c.partitioned) spec.partition_by = unload::PartitionBy{{"p"}, false};
    EXPECT_EQ(kind_of([&] {
                engine::run_unload(
                    spec, src, store,
                    {.parallelism = 2, .block_bytes = 4096, .max_open_partitions = c.max_open});
              }),
              ErrorKind::kSource);
    EXPECT_TRUE(store.objects().empty()) << keys_of(store.objects()).front();
    EXPECT_EQ(store.open_writers(), 0);
    EXPECT_EQ(store.removes(), 0);  // nothing was published, so nothing to delete
  }
}

// A write failing on a worker thread (one partition's object): the destination's error,
// the other partitions' objects gone too.
TEST(EngineUnload, WriteFailureOnAWorkerLeavesNothing) {
  for (unsigned max_open : {100u, 2u}) {
    SCOPED_TRACE(max_open);
    FakeCopySource src(id_name_p(), numbered(30000, 10));
    MemoryStore store;
    store.fault = [](const std::string& op, const std::string& key) {
      if (op == "write" && key.find("p=7/") != std::string::npos) {
        throw Error(ErrorKind::kDestination, "write", key, "No space left on device");
      }
    };
    auto spec = make_spec(unload::Format::kCsv);
    spec.partition_by = unload::PartitionBy{{"p"}, false};
    EXPECT_EQ(kind_of([&] {
                engine::run_unload(
                    spec, src, store,
                    {.parallelism = 2, .block_bytes = 4096, .max_open_partitions = max_open});
              }),
              ErrorKind::kDestination);
    EXPECT_TRUE(store.objects().empty());
    EXPECT_EQ(store.open_writers(), 0);
  }
}

TEST(EngineUnload, ManifestFailureLeavesNoDataFiles) {
  FakeCopySource src(id_name(), numbered(3000));
  MemoryStore store;
  store.fault = [](const std::string& op, const std::string& key) {
    if (op == "seal" && key.ends_with("manifest")) {
      throw Error(ErrorKind::kAccess, "write", key, "AccessDenied");
    }
  };
  auto spec = make_spec(unload::Format::kText, true);
  spec.manifest = unload::Manifest::kPlain;
  EXPECT_EQ(kind_of([&] { engine::run_unload(spec, src, store, {.parallelism = 2}); }),
            ErrorKind::kAccess);
  EXPECT_TRUE(store.objects().empty());
  EXPECT_EQ(store.open_writers(), 0);
  EXPECT_EQ(store.removes(), 0);
}

}  // namespace
}  // namespace cu
