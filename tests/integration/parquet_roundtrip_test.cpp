// Parquet and JSON files written from PostgreSQL's binary COPY, read back by DuckDB, must
// hold PostgreSQL's own values: every TICKIT table and a table of hard values. The footer is
// checked through DuckDB's parquet_metadata(): row groups and statistics against
// PostgreSQL's min/max/null counts over the same rows.
//
// Needs the local stack (scripts/test): CU_PG_CONNINFO pointing at the TICKIT database,
// node with @duckdb/node-api.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "copy_text.h"
#include "hard_values.h"
#include "parquet_unload.h"

namespace cu {
namespace {

namespace fs = std::filesystem;
using Row = std::vector<std::optional<std::string>>;

std::string conninfo() {
  const char* c = std::getenv("CU_PG_CONNINFO");
  if (!c || !*c) {
    throw std::runtime_error(
        "CU_PG_CONNINFO is not set: run the integration tests through scripts/test, which "
        "starts PostgreSQL with the TICKIT sample");
  }
  return c;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs the DuckDB reader; returns its output lines.
std::vector<std::string> duckdb(const std::vector<std::string>& args) {
  std::string cmd =
      "node " + shell_quote(std::string(CU_SOURCE_DIR) + "/tests/integration/parquet_duckdb.mjs");
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) throw std::runtime_error("DuckDB reader failed: " + out);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    lines.push_back(out.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// DuckDB's rows: one line each (see parquet_duckdb.mjs for the escaping).
std::vector<std::string> duckdb_rows(const std::vector<std::string>& args) { return duckdb(args); }

// Splits a canonical line into fields, undoing the escapes; "\N" is NULL.
Row split_line(const std::string& line) {
  Row row;
  std::string cur;
  bool null = false;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == '\t') {
      row.push_back(null ? std::nullopt : std::optional<std::string>(cur));
      cur.clear();
      null = false;
    } else if (line[i] == '\\' && i + 1 < line.size()) {
      char c = line[++i];
      if (c == 'N') {
        null = true;
        continue;
      }
      cur += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
    } else {
      cur += line[i];
    }
  }
  return row;
}

std::string ident(const std::string& name) {
  std::string q = "\"";
  for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

bool is_float(uint32_t oid) { return oid == pg::oid::kFloat4 || oid == pg::oid::kFloat8; }

// PostgreSQL's side of the canonical forms parquet_duckdb.mjs prints. `json` says the file
// is JSON, where DuckDB reads numbers as doubles: numerics are then compared as doubles.
std::string canonical_expr(const engine::ResultColumn& c, bool json) {
  std::string x = ident(c.name);
  switch (c.type_oid) {
    case pg::oid::kBool:
      return "case when " + x + " then 'true' else 'false' end";
    case pg::oid::kDate:
      // JSON holds PostgreSQL's own text of dates and timestamps (docs/formats.md).
      return json ? x + "::text" : "(" + x + " - date '1970-01-01')::text";
    case pg::oid::kTimestamp:
    case pg::oid::kTimestamptz:
      if (json) return x + "::text";
      return "(extract(epoch from " + x + ") * 1000000)::numeric(30,0)::text";
    case pg::oid::kBytea:
      return "encode(" + x + ", 'hex')";
    case pg::oid::kNumeric:
      return json ? x + "::float8::text" : x + "::text";
    case pg::oid::kJsonb:
      return x + "::text";
    default:
      return x;  // the output function: char(n) keeps its blanks
  }
}

// DuckDB column types for reading our JSON back.
std::string json_duck_type(const engine::ResultColumn& c) {
  switch (c.type_oid) {
    case pg::oid::kBool:
      return "BOOLEAN";
    case pg::oid::kInt2:
    case pg::oid::kInt4:
    case pg::oid::kInt8:
      return "BIGINT";
    case pg::oid::kFloat4:
    case pg::oid::kFloat8:
    case pg::oid::kNumeric:
      return "VARCHAR";  // compared as numbers; NaN arrives as a string
    case pg::oid::kUuid:
      return "UUID";
    case pg::oid::kJson:
    case pg::oid::kJsonb:
      return "JSON";
    default:
      return "VARCHAR";
  }
}

bool is_json(uint32_t oid) { return oid == pg::oid::kJson || oid == pg::oid::kJsonb; }

// Nested JSON is compared as JSON: DuckDB re-serialises it without PostgreSQL's spaces.
bool same_json(const std::string& a, const std::string& b) {
  if (a == b) return true;
  auto x = nlohmann::json::parse(a, nullptr, false), y = nlohmann::json::parse(b, nullptr, false);
  return !x.is_discarded() && x == y;
}

bool same_number(const std::string& a, const std::string& b) {
  double x = std::strtod(a.c_str(), nullptr), y = std::strtod(b.c_str(), nullptr);
  return (std::isnan(x) && std::isnan(y)) || x == y;
}

// Compares DuckDB's rows with PostgreSQL's canonical rows of `query`: whole lines first
// (fast), field by field where they differ (floats as numbers, nested JSON as JSON).
void expect_same_rows(test::PgConn& pg, const std::vector<engine::ResultColumn>& cols,
                      const std::string& query, bool json, const std::vector<std::string>& got) {
  std::string sql = "select ";
  for (size_t i = 0; i < cols.size(); ++i) {
    sql += (i ? ", " : "") + canonical_expr(cols[i], json);
  }
  sql += " from (" + query + ") q";
  auto want = pg.lines(sql, test::append_copy_text_escaped);
  ASSERT_EQ(got.size(), want.size()) << query;
  size_t mismatches = 0;
  for (size_t r = 0; r < want.size(); ++r) {
    if (got[r] == want[r]) continue;
    Row g = split_line(got[r]), w = split_line(want[r]);
    ASSERT_EQ(g.size(), cols.size()) << got[r];
    ASSERT_EQ(w.size(), cols.size()) << want[r];
    for (size_t c = 0; c < cols.size(); ++c) {
      bool numeric = is_float(cols[c].type_oid) || (json && cols[c].type_oid == pg::oid::kNumeric);
      bool ok;
      if (json && is_json(cols[c].type_oid) && w[c] == "null") {
        ok = !g[c];  // a JSON null nested in JSON reads back as NULL
      } else if (!w[c] || !g[c]) {
        ok = !w[c] == !g[c];
      } else if (json && is_json(cols[c].type_oid)) {
        ok = same_json(*g[c], *w[c]);
      } else if (numeric) {
        ok = same_number(*g[c], *w[c]);
      } else {
        ok = *g[c] == *w[c];
      }
      if (!ok && ++mismatches <= 5) {
        ADD_FAILURE() << query << ": row " << r << " column " << cols[c].name << ": DuckDB "
                      << (g[c] ? "'" + *g[c] + "'" : "NULL") << ", PostgreSQL "
                      << (w[c] ? "'" + *w[c] + "'" : "NULL");
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << query;
}

class ParquetRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cu_parquet_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    pg_ = std::make_unique<test::PgConn>(conninfo());
  }
  void TearDown() override { fs::remove_all(dir_); }

  void round_trip(const std::string& name, const std::string& query,
                  const format::ParquetOptions& options = {}) {
    auto cols = pg_->describe(query);
    std::string parquet = (dir_ / (name + ".parquet")).string();
    auto result = test::unload_parquet(*pg_, query, parquet, options);
    expect_same_rows(*pg_, cols, query, false, duckdb_rows({"rows", parquet}));

    std::string json = (dir_ / (name + ".json")).string();
    test::unload_json(*pg_, query, json);
    nlohmann::ordered_json types = nlohmann::ordered_json::object();
    for (const auto& c : cols) types[c.name] = json_duck_type(c);
    expect_same_rows(*pg_, cols, query, true, duckdb_rows({"rows", json, types.dump()}));
    (void)result;
  }

  fs::path dir_;
  std::unique_ptr<test::PgConn> pg_;
};

TEST_F(ParquetRoundTrip, EveryTickitTable) {
  for (const char* table : {"users", "venue", "category", "date", "event", "listing", "sales"}) {
    SCOPED_TRACE(table);
    round_trip(table, std::string("select * from ") + table + " order by 1");
  }
}

TEST_F(ParquetRoundTrip, HardValues) {
  pg_->exec(test::hard_values_sql());
  round_trip("hard", "select * from hard order by id");
}

TEST_F(ParquetRoundTrip, HardValuesEveryCodecWithoutDictionary) {
  pg_->exec(test::hard_values_sql());
  for (auto codec : {format::parquet::Codec::kUncompressed, format::parquet::Codec::kGzip,
                     format::parquet::Codec::kZstd}) {
    SCOPED_TRACE(static_cast<int>(codec));
    format::ParquetOptions o;
    o.codec = codec;
    o.dictionary = codec != format::parquet::Codec::kZstd;
    auto cols = pg_->describe("select * from hard order by id");
    std::string path = (dir_ / "hard_codec.parquet").string();
    test::unload_parquet(*pg_, "select * from hard order by id", path, o);
    expect_same_rows(*pg_, cols, "select * from hard order by id", false,
                     duckdb_rows({"rows", path}));
  }
}

TEST_F(ParquetRoundTrip, TimeColumnRefusedWithRedshiftsMessage) {
  try {
    std::string path = (dir_ / "time.parquet").string();
    test::unload_parquet(*pg_, "select time '12:00' as t", path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(e.message(),
              "UNLOAD time without time zone column \"t\" is only supported for "
              "TEXT/CSV.");
  }
}

TEST_F(ParquetRoundTrip, ZeroRowsAndAThousandColumns) {
  round_trip("zero", "select * from sales where false");
  std::string wide = "select g as c0";
  for (int i = 1; i < 1000; ++i) {
    wide += i % 3 == 0   ? ", g * " + std::to_string(i) + " as c" + std::to_string(i)
            : i % 3 == 1 ? ", 'v' || (g + " + std::to_string(i) + ") as c" + std::to_string(i)
                         : ", case when g % 2 = 0 then null else g::numeric(12,2) / 7 end as c" +
                               std::to_string(i);
  }
  round_trip("wide", wide + " from generate_series(1, 50) g order by g");
}

// Footer, structurally: several row groups (a small ROWGROUPSIZE), row counts adding up,
// and per row group and column the statistics DuckDB's parquet_metadata() reports equal
// to PostgreSQL's min / max / NULL count over the same rows. A small dictionary page limit
// makes the high-cardinality columns fall back to PLAIN mid-chunk.
// DuckDB's node API prints BIGINTs as JSON strings.
int64_t as_int(const nlohmann::json& v) {
  return v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>();
}

void check_footer(test::PgConn& pg, const std::string& table, const std::string& key,
                  const std::string& path) {
  std::vector<nlohmann::json> meta;
  for (const auto& line : duckdb({"metadata", path})) meta.push_back(nlohmann::json::parse(line));
  ASSERT_FALSE(meta.empty());
  auto cols = pg.describe("select * from " + table);
  std::map<int64_t, int64_t> group_rows;
  for (const auto& m : meta)
    group_rows[as_int(m["row_group_id"])] = as_int(m["row_group_num_rows"]);
  EXPECT_GT(group_rows.size(), 1u) << "expected several row groups";
  int64_t total = 0;
  std::map<int64_t, int64_t> group_start;
  for (auto [g, n] : group_rows) {
    group_start[g] = total;
    total += n;
  }
  EXPECT_EQ(std::to_string(total), pg.rows("select count(*) from " + table, nullptr)[0][0]);
  size_t checked = 0;
  for (const auto& m : meta) {
    int64_t g = as_int(m["row_group_id"]);
    size_t c = static_cast<size_t>(as_int(m["column_id"]));
    ASSERT_LT(c, cols.size());
    std::string x = ident(cols[c].name);
    if (cols[c].type_oid == pg::oid::kBpchar || cols[c].type_oid == pg::oid::kVarchar ||
        cols[c].type_oid == pg::oid::kText) {
      x += " collate \"C\"";  // byte order, as Parquet compares strings
    }
    std::string mn = "min(" + x + ")::text", mx = "max(" + x + ")::text";
    if (cols[c].type_oid == pg::oid::kBool) {
      mn = "case when bool_and(" + x + ") then 'true' else 'false' end";
      mx = "case when bool_or(" + x + ") then 'true' else 'false' end";
    }
    std::string sql = "select " + mn + ", " + mx + ", (count(*) - count(" + x +
                      "))::text from "
                      "(select *, row_number() over (order by " +
                      key + ") - 1 as cu_rn from " + table +
                      ") q where cu_rn >= " + std::to_string(group_start[g]) + " and cu_rn < " +
                      std::to_string(group_start[g] + group_rows[g]);
    std::vector<bool> nulls;
    auto want = pg.rows(sql, &nulls)[0];
    SCOPED_TRACE(table + "." + cols[c].name + " row group " + std::to_string(g));
    EXPECT_EQ(m["stats_null_count"].is_null() ? "" : std::to_string(as_int(m["stats_null_count"])),
              want[2]);
    auto stat = [](const nlohmann::json& v) {
      return v.is_null() ? std::string("<none>") : v.get<std::string>();
    };
    EXPECT_EQ(stat(m["stats_min_value"]), nulls[0] ? "<none>" : want[0]);
    EXPECT_EQ(stat(m["stats_max_value"]), nulls[1] ? "<none>" : want[1]);
    ++checked;
  }
  EXPECT_EQ(checked, group_rows.size() * cols.size());
}

TEST_F(ParquetRoundTrip, FooterRowGroupsAndStatistics) {
  format::ParquetOptions o;
  o.row_group_size = 1 << 20;
  o.dictionary_page_size = 16 << 10;
  o.page_size = 64 << 10;
  for (auto [table, key] : {std::pair{"sales", "salesid"}, std::pair{"users", "userid"}}) {
    std::string query = std::string("select * from ") + table + " order by " + key;
    std::string path = (dir_ / (std::string(table) + "_small_groups.parquet")).string();
    auto result = test::unload_parquet(*pg_, query, path, o);
    EXPECT_GT(result.row_groups, 1u);
    expect_same_rows(*pg_, pg_->describe(query), query, false, duckdb_rows({"rows", path}));
    check_footer(*pg_, table, key, path);
  }
}

// Each row four times in a row: dictionary + RLE shrink the values to almost nothing, so
// pages close on their value count (small here, to have many per chunk), not their encoded
// size; rows, row groups and statistics must read back as PostgreSQL has them.
TEST_F(ParquetRoundTrip, PagesClosedOnValueCount) {
  format::ParquetOptions o;
  o.row_group_size = 1 << 20;
  o.page_values = 1000;
  std::string table = "(select s.* from sales s cross join generate_series(1, 4)) rep";
  std::string query = "select * from " + table + " order by salesid";
  std::string path = (dir_ / "sales_rep.parquet").string();
  auto result = test::unload_parquet(*pg_, query, path, o);
  expect_same_rows(*pg_, pg_->describe(query), query, false, duckdb_rows({"rows", path}));
  check_footer(*pg_, table, "salesid", path);
  EXPECT_GT(result.row_groups, 0u);
}

}  // namespace
}  // namespace cu
