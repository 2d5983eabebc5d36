// The hard values (tests/support/hard_values.h) through engine::run_unload into a folder, in
// every delimited format variant, JSON and Parquet × compression none/GZIP/ZSTD/BZIP2 ×
// PARALLEL ON/OFF × unpartitioned / PARTITION BY a key with NULL, '' and awkward values
// (with and without INCLUDE); every file read back by an independent reader and compared,
// row by row (matched on id), with PostgreSQL's own answer for the same query.
//
// Readers:
//  - CSV, JSON, Parquet: DuckDB (read_csv / read_json / read_parquet); it decompresses .gz
//    and .zst itself, .bz2 files are decompressed with the bzip2 CLI first. The partition
//    key of files written without INCLUDE comes from DuckDB's hive_partitioning (it decodes
//    %XX and reads __HIVE_DEFAULT_PARTITION__ as NULL).
//  - Text (ESCAPE, ADDQUOTES + ESCAPE, NULL AS + ESCAPE): PostgreSQL's COPY … FROM STDIN in
//    text format, decompressed by the gzip/zstd/bzip2 CLIs. DuckDB cannot parse backslash
//    escapes outside quotes; PostgreSQL's text COPY reads Redshift's ESCAPE output as is: a
//    backslash before the delimiter, before a backslash, before `"`/`'` gives that byte, and
//    a backslash before a real LF or CR gives that LF or CR (COPY's line reader skips the
//    byte after any backslash, its field reader keeps it). The partition key of text files
//    without INCLUDE is the folder name un-escaped here (%XX, Hive's rule).
//  - JSON, a second time: PostgreSQL's json type (it keeps the text, so numbers compare
//    digit for digit: numeric(38,10) extremes, numeric(p,s) scale).
//
// Expected values come from PostgreSQL in a session set as Redshift prints (UTC, ISO dates)
// and from the spec where a format renders a value on purpose: floats' NaN/±Infinity as
// nan/inf/-inf (docs/redshift-unload.md#s5.1), booleans t/f (docs/redshift-unload.md#s5.1), bytea
// as hex (VARBYTE, docs/redshift-unload.md#s5.6), NULL and '' alike in text without ADDQUOTES
// (docs/redshift-unload.md#s5.1), a character column's NULL AS written escaped under ESCAPE
// (docs/formats.md), NULL and '' partition values → __HIVE_DEFAULT_PARTITION__
// (docs/redshift-unload.md#s4.5, docs/formats.md OPEN-10). Through DuckDB JSON numbers are compared
// as numbers (it parses them into doubles); nested JSON as JSON, a nested JSON null as NULL
// (docs/formats.md).
//
// Needs the local stack (scripts/test): CU_PG_CONNINFO, CU_PG_BIN, CU_DUCKDB; gzip, zstd
// and bzip2 on PATH. A failing run keeps its files and says where (CU_KEEP=1: always).

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/unload.h"
#include "hard_values.h"
#include "parquet_unload.h"
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

using Value = std::optional<std::string>;
using Row = std::vector<Value>;
using Rows = std::map<std::string, Row>;  // by id

// One way of writing the table: a format and its options.
struct Variant {
  const char* name;
  unload::Format format;
  bool header = false;
  std::optional<std::string> delimiter = {};
  bool escape = false;
  bool addquotes = false;
  std::optional<std::string> null_as = {};
};

const std::vector<Variant>& variants() {
  static const std::vector<Variant> v = {
      {.name = "csv", .format = unload::Format::kCsv},
      {.name = "csv_header", .format = unload::Format::kCsv, .header = true},
      {.name = "csv_pipe", .format = unload::Format::kCsv, .delimiter = "|"},
      // The data holds the text 'NULL': it must come back as text (docs/formats.md: a
      // value equal to NULL AS is quoted).
      {.name = "csv_nullas", .format = unload::Format::kCsv, .null_as = "NULL"},
      {.name = "text_escape", .format = unload::Format::kText, .escape = true},
      {.name = "text_addquotes",
       .format = unload::Format::kText,
       .escape = true,
       .addquotes = true},
      // PostgreSQL's own NULL marker and a TAB delimiter (the data holds TABs).
      {.name = "text_nullas",
       .format = unload::Format::kText,
       .delimiter = "\t",
       .escape = true,
       .null_as = "\\N"},
      {.name = "json", .format = unload::Format::kJson},
      {.name = "parquet", .format = unload::Format::kParquet},
  };
  return v;
}

enum class Partitioning { kNone, kKey, kKeyIncluded };
const char* name_of(Partitioning p) {
  return p == Partitioning::kNone ? "flat" : p == Partitioning::kKey ? "part" : "incl";
}

const char* extension_of(unload::Compression c) {
  switch (c) {
    case unload::Compression::kGzip:
      return ".gz";
    case unload::Compression::kZstd:
      return ".zst";
    case unload::Compression::kBzip2:
      return ".bz2";
    case unload::Compression::kNone:
      break;
  }
  return "";
}

struct Case {
  std::string name;
  const Variant* variant;
  unload::Compression compression;
  bool parallel;
  Partitioning partitioning;
  fs::path root;                   // the case's own folder
  std::vector<std::string> files;  // what run_unload reports, sorted
};

bool is_float(uint32_t oid) { return oid == pg::oid::kFloat4 || oid == pg::oid::kFloat8; }
bool is_json_type(uint32_t oid) { return oid == pg::oid::kJson || oid == pg::oid::kJsonb; }
bool is_character(uint32_t oid) {
  // docs/formats.md: ESCAPE touches character columns, and types Redshift lacks (json, uuid)
  // count as character; numbers, floats, booleans, dates/times and bytea do not.
  switch (oid) {
    case pg::oid::kInt2:
    case pg::oid::kInt4:
    case pg::oid::kInt8:
    case pg::oid::kNumeric:
    case pg::oid::kFloat4:
    case pg::oid::kFloat8:
    case pg::oid::kBool:
    case pg::oid::kDate:
    case pg::oid::kTime:
    case pg::oid::kTimestamp:
    case pg::oid::kTimestamptz:
    case pg::oid::kBytea:
      return false;
    default:
      return true;
  }
}

// The pieces as one string (SQL made of names and literals).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto part : parts) {
    out += part;
  }
  return out;
}

std::string ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return out + "\"";
}
std::string sql_string(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return out + "'";
}

// For messages: control bytes visible, long values cut.
std::string show(const Value& v) {
  if (!v) {
    return "NULL";
  }
  std::string out = "'";
  for (unsigned char c : v->substr(0, 120)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (v->size() > 120 ? "'…" : "'");
}

// Hive's un-escaping of a folder value: %XX is the byte XX; the default partition is NULL.
Value unescape_hive(const std::string& v) {
  if (v == "__HIVE_DEFAULT_PARTITION__") {
    return std::nullopt;
  }
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && std::isxdigit(static_cast<unsigned char>(v[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(v[i + 2]))) {
      out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += v[i];
    }
  }
  return out;
}

class EngineHardValues : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = "cu_hard_" + std::to_string(::getpid());
    pg_ = std::make_unique<test::PgConn>(env("CU_PG_CONNINFO"));
    // The session Redshift's text is compared in (docs/formats.md "Where the values come
    // from"): ISO dates, UTC (TIMESTAMPTZ with +00), shortest exact floats.
    pg_->exec(
        "set datestyle = 'ISO, MDY'; set intervalstyle = 'postgres'; "
        "set extra_float_digits = 1; set client_min_messages = warning");
    pg_->exec("drop table if exists " + table_);
    pg_->exec(test::hard_values_sql(table_, false));
    // The partition key: NULL, '' (both the default partition), and values Hive escapes or
    // that look like paths.
    query_ = "select h.*, k.pk from " + table_ +
             " h join (values (1, null), (2, ''), (3, 'a/b=c%d?e#f'), "
             "(4, 'Zürich 東京 🎉 \"q\" \\back'), (5, E'line\\nbreak|pipe,comma\\ttab'), "
             "(6, '..'), (7, 'x:y*z[1]^{2}''s')) k(id, pk) using (id)";
    conn_ = std::make_unique<pg::Connection>(pg::parse_target(env("CU_PG_CONNINFO")));
    source_ = std::make_unique<pg::PgCopySource>(*conn_);
    columns_ = source_->describe(query_);
    dir_ = fs::temp_directory_path() / ("engine_hard_values_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (pg_) {
      pg_->exec("drop table if exists " + table_);
    }
    if (HasFailure() || std::getenv("CU_KEEP")) {
      std::cerr << "engine_hard_values: the files are kept in " << dir_ << "\n";
    } else {
      fs::remove_all(dir_);
    }
  }

  // ---- PostgreSQL ------------------------------------------------------------------

  std::vector<Row> pg_query(const std::string& sql) {
    PGresult* r = PQexec(pg_->conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::string m = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error(sql + ": " + m);
    }
    std::vector<Row> out;
    for (int i = 0; i < PQntuples(r); ++i) {
      Row row;
      for (int j = 0; j < PQnfields(r); ++j) {
        row.push_back(PQgetisnull(r, i, j)
                          ? Value()
                          : Value(std::string(PQgetvalue(r, i, j),
                                              static_cast<size_t>(PQgetlength(r, i, j)))));
      }
      out.push_back(std::move(row));
    }
    PQclear(r);
    return out;
  }

  void copy_in(const std::string& copy_sql, const std::string& data) {
    PGresult* r = PQexec(pg_->conn, copy_sql.c_str());
    if (PQresultStatus(r) != PGRES_COPY_IN) {
      std::string m = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error(copy_sql + ": " + m);
    }
    PQclear(r);
    if (PQputCopyData(pg_->conn, data.data(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(pg_->conn, nullptr) != 1) {
      throw std::runtime_error(std::string("COPY FROM STDIN: ") + PQerrorMessage(pg_->conn));
    }
    r = PQgetResult(pg_->conn);
    auto status = PQresultStatus(r);
    std::string m = PQresultErrorMessage(r);
    PQclear(r);
    while ((r = PQgetResult(pg_->conn)) != nullptr) {
      PQclear(r);
    }
    if (status != PGRES_COMMAND_OK) {
      throw std::runtime_error(copy_sql + ": " + m);
    }
  }

  // PostgreSQL's answer, as the format should hold it (see the top of this file).
  Rows expected(const Variant& v, Partitioning p) {
    std::string sql = "select ";
    for (size_t i = 0; i < columns_.size(); ++i) {
      const auto& c = columns_[i];
      std::string x = ident(c.name);
      std::string e = x;  // the output function: char(n) keeps its blanks
      if (is_float(c.type_oid)) {
        e = cat({"case when ", x, " = 'NaN' then 'nan' when ", x, " = 'Infinity' then 'inf' when ",
                 x, " = '-Infinity' then '-inf' else ", x, "::text end"});
      } else if (c.type_oid == pg::oid::kBytea) {
        e = "encode(" + x + ", 'hex')";
      } else if (c.type_oid == pg::oid::kBool) {
        e = v.format == unload::Format::kText || v.format == unload::Format::kCsv
                ? cat({"case when ", x, " then 't' when not ", x, " then 'f' end"})
                : cat({"case when ", x, " then 'true' when not ", x, " then 'false' end"});
      }
      if (v.format == unload::Format::kParquet) {
        // Parquet's typed values, in the canonical forms the DuckDB side prints.
        if (c.type_oid == pg::oid::kDate) {
          e = "(" + x + " - date '1970-01-01')::text";
        }
        if (c.type_oid == pg::oid::kTimestamp || c.type_oid == pg::oid::kTimestamptz) {
          e = "(extract(epoch from " + x + ") * 1000000)::numeric(30,0)::text";
        }
      }
      sql += (i ? ", " : "") + e;
    }
    sql += " from (" + query_ + ") q";
    const size_t key = columns_.size() - 1;
    Rows out;
    for (auto& row : pg_query(sql)) {
      for (size_t i = 0; i < row.size(); ++i) {
        uint32_t oid = columns_[i].type_oid;
        // docs/redshift-unload.md#s5.1: without ADDQUOTES, text writes NULL and '' the same way.
        if (v.format == unload::Format::kText && !v.addquotes && !v.null_as && row[i] == "") {
          row[i] = std::nullopt;
        }
        // docs/formats.md: under ESCAPE a character column's NULL AS is escaped too
        // (`\N` → `\\N`), so a reader that honours the escapes sees the text `\N`.
        bool from_folder = p == Partitioning::kKey && i + 1 == row.size();
        if (v.null_as && v.escape && !row[i] && is_character(oid) && !from_folder) {
          row[i] = *v.null_as;
        }
        // A JSON null nested in JSON reads back as NULL.
        if (v.format == unload::Format::kJson && is_json_type(oid) && row[i] == "null") {
          row[i] = std::nullopt;
        }
      }
      // Without INCLUDE the key comes from the folder: NULL and '' share the default one.
      if (p == Partitioning::kKey && row[key] == "") {
        row[key] = std::nullopt;
      }
      std::string id = *row[0];
      out[id] = std::move(row);
    }
    return out;
  }

  // ---- running the cases -----------------------------------------------------------

  Case run_case(const Variant& v, unload::Compression compression, bool parallel, Partitioning p) {
    Case c{std::string(v.name) + "_" + unload::to_string(compression) + "_" +
               (parallel ? "par" : "ser") + "_" + name_of(p),
           &v,
           compression,
           parallel,
           p,
           {},
           {}};
    c.root = dir_ / c.name;
    unload::UnloadSpec s;
    s.select = query_;
    s.destination = (c.root / (p == Partitioning::kNone ? "hard_" : "p")).string();
    s.format = v.format;
    s.header = v.header;
    s.delimiter = v.delimiter;
    s.escape = v.escape;
    s.addquotes = v.addquotes;
    s.null_as = v.null_as;
    s.compression = compression;
    s.parallel = parallel;
    if (p != Partitioning::kNone) {
      s.partition_by = unload::PartitionBy{{key_}, p == Partitioning::kKeyIncluded};
    }
    // Small blocks: several slices get rows, and compressed files hold several members.
    // Partitioned and serial: only 2 open files, so the other partitions wait in the spool.
    engine::UnloadOptions o{.parallelism = 3, .block_bytes = 512};
    if (p != Partitioning::kNone && !parallel) {
      o.max_open_partitions = 2;
      o.spool_memory = 1024;
    }
    auto store = sink::make_folder_store();
    auto r = engine::run_unload(s, *source_, *store, o);
    EXPECT_EQ(r.rows, 7u) << c.name;
    for (const auto& f : r.files) {
      c.files.push_back(f.key);
    }
    check_names(c);
    return c;
  }

  // Names per docs/redshift-unload.md#s4: slices and parts, folders per partition, the
  // compression's suffix.
  void check_names(const Case& c) {
    std::set<std::string> on_disk, reported(c.files.begin(), c.files.end());
    for (const auto& e : fs::recursive_directory_iterator(c.root)) {
      if (e.is_regular_file()) {
        on_disk.insert(e.path().string());
      }
    }
    EXPECT_EQ(on_disk, reported) << c.name;
    std::string ext =
        c.variant->format == unload::Format::kParquet ? ".parquet" : extension_of(c.compression);
    std::set<std::string> folders;
    for (const auto& f : c.files) {
      fs::path path(f);
      std::string name = path.filename().string();
      ASSERT_GE(name.size(), ext.size()) << f;
      EXPECT_EQ(name.substr(name.size() - ext.size()), ext) << f;
      std::string stem = name.substr(0, name.size() - ext.size());
      if (c.partitioning == Partitioning::kNone) {
        EXPECT_EQ(path.parent_path(), c.root) << f;
        if (c.parallel) {
          EXPECT_TRUE(stem.size() == 17 && stem.starts_with("hard_") &&
                      stem.substr(9, 6) == "_part_")
              << f;
        } else {
          EXPECT_TRUE(stem.size() == 8 && stem.starts_with("hard_")) << f;
        }
      } else {
        EXPECT_EQ(path.parent_path().parent_path(), c.root / "p") << f;
        std::string folder = path.parent_path().filename().string();
        EXPECT_TRUE(folder.starts_with(key_folder_ + "=")) << f;
        // One file per partition, named as the one slice's first part
        // (docs/redshift-unload.md#s4.5), or serially with PARALLEL OFF
        // (docs/redshift-unload.md#s4.2).
        EXPECT_EQ(stem, c.parallel ? "0000_part_00" : "000") << f;
        folders.insert(folder);
      }
    }
    if (c.partitioning == Partitioning::kNone) {
      // Text and CSV blocks are cut by size; JSON and Parquet go by row batches, so seven
      // rows are one block there.
      bool delimited =
          c.variant->format == unload::Format::kText || c.variant->format == unload::Format::kCsv;
      if (c.parallel && delimited) {
        EXPECT_GT(c.files.size(), 1u) << c.name << ": small blocks should reach several slices";
      }
    } else {
      // Seven keys, NULL and '' in one default partition: six folders.
      EXPECT_EQ(folders.size(), 6u) << c.name;
      EXPECT_TRUE(folders.count(key_folder_ + "=__HIVE_DEFAULT_PARTITION__")) << c.name;
    }
  }

  // ---- reading back: PostgreSQL for text -------------------------------------------

  static std::string decompress_cmd(unload::Compression c) {
    switch (c) {
      case unload::Compression::kGzip:
        return "gzip -dc ";
      case unload::Compression::kZstd:
        return "zstd -dcq ";
      case unload::Compression::kBzip2:
        return "bzip2 -dc ";
      case unload::Compression::kNone:
        break;
    }
    return "cat ";
  }

  Rows read_text_with_postgres(const Case& c) {
    const Variant& v = *c.variant;
    const bool key_in_file = c.partitioning != Partitioning::kKey;
    std::string cols;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (!key_in_file && i + 1 == columns_.size()) {
        break;
      }
      cols += (i ? ", " : "") + ident(columns_[i].name);
    }
    pg_->exec("drop table if exists hv_readback");
    std::string create = "create temp table hv_readback (";
    for (size_t i = 0; i < columns_.size(); ++i) {
      create += (i ? ", " : "") + ident(columns_[i].name) + " text";
    }
    pg_->exec(create + ")");
    std::string options = "format text, delimiter " + sql_string(v.delimiter.value_or("|")) +
                          ", null " + sql_string(v.null_as.value_or("")) +
                          // PostgreSQL 15 checks the header's names (after un-escaping)
                          // against the column list.
                          (v.header && !v.addquotes ? ", header match" : "");
    Rows out;
    for (const auto& f : c.files) {
      pg_->exec("truncate hv_readback");
      std::string data = sh(decompress_cmd(c.compression) + q(f));
      copy_in(cat({"copy hv_readback (", cols, ") from stdin with (", options, ")"}), data);
      Value folder_key;
      if (!key_in_file) {
        std::string folder = fs::path(f).parent_path().filename().string();
        folder_key = unescape_hive(folder.substr(folder.find('=') + 1));
      }
      size_t headers = 0;
      for (auto& row : pg_query("select * from hv_readback")) {
        if (v.addquotes) {
          // docs/redshift-unload.md#s5.1: every non-NULL field is wrapped in "…" (embedded quotes
          // escaped).
          for (auto& field : row) {
            if (!field) {
              continue;
            }
            if (field->size() < 2 || field->front() != '"' || field->back() != '"') {
              ADD_FAILURE() << c.name << ": field not in quotes: " << show(field);
              continue;
            }
            field = field->substr(1, field->size() - 2);
          }
          // The quoted header (which HEADER MATCH cannot read): its id field is the name.
          if (v.header && row[0] == columns_[0].name) {
            ++headers;
            for (size_t i = 0; i < columns_.size(); ++i) {
              if (!key_in_file && i + 1 == columns_.size()) {
                continue;
              }
              EXPECT_EQ(row[i], columns_[i].name) << c.name << ": header of " << f;
            }
            continue;
          }
        }
        if (!key_in_file) {
          row.back() = folder_key;
        }
        add_row(c, out, std::move(row));
      }
      if (v.header && v.addquotes) {
        EXPECT_EQ(headers, 1u) << c.name << ": headers in " << f;
      }
    }
    return out;
  }

  static void add_row(const Case& c, Rows& out, Row row) {
    if (row.empty() || !row[0]) {
      ADD_FAILURE() << c.name << ": a row without id";
      return;
    }
    std::string id = *row[0];
    if (!out.emplace(id, std::move(row)).second) {
      ADD_FAILURE() << c.name << ": id " << id << " read twice";
    }
  }

  // ---- reading back: DuckDB for CSV, JSON, Parquet ---------------------------------

  // The files DuckDB should read: as written, or .bz2 decompressed by the bzip2 CLI into a
  // mirror tree (same partition folders). Returns the glob.
  std::string duckdb_glob(const Case& c) {
    fs::path root = c.root;
    if (c.compression == unload::Compression::kBzip2) {
      root = dir_ / ("plain_" + c.name);
      for (const auto& f : c.files) {
        fs::path rel = fs::relative(f, c.root);
        fs::path out = root / rel.parent_path() / rel.stem();  // without .bz2
        fs::create_directories(out.parent_path());
        sh("bzip2 -dc " + q(f) + " > " + q(out.string()));
      }
    }
    return (root / (c.partitioning == Partitioning::kNone ? "*" : "p/*/*")).string();
  }

  // DuckDB's SELECT over one case's files: 'case name', then every column as text.
  std::string duckdb_branch(const Case& c) {
    const Variant& v = *c.variant;
    const bool hive = c.partitioning == Partitioning::kKey;
    const std::string glob = sql_string(duckdb_glob(c));
    std::string hive_opts = std::string(", hive_partitioning = ") + (hive ? "true" : "false") +
                            (hive ? ", hive_types_autocast = false" : "");
    std::string file_columns;  // the columns in the files, DuckDB list syntax
    std::string json_columns;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (hive && i + 1 == columns_.size()) {
        break;
      }
      file_columns += (i ? ", " : "") + sql_string(columns_[i].name);
      // Nested JSON as JSON (its text); as VARCHAR DuckDB would unquote a nested string.
      json_columns += (i ? ", " : "") + sql_string(columns_[i].name) +
                      (is_json_type(columns_[i].type_oid) ? ": 'JSON'" : ": 'VARCHAR'");
    }
    std::string from;
    if (v.format == unload::Format::kCsv) {
      from = "read_csv(" + glob + ", delim = " + sql_string(v.delimiter.value_or(",")) +
             ", quote = '\"', escape = '\"', all_varchar = true, allow_quoted_nulls = false, "
             "strict_mode = true, null_padding = false, comment = '', "
             // DuckDB would take the first CR it meets, inside a quoted value, for the line
             // ending; Redshift's is LF (docs/redshift-unload.md#s5.1).
             "new_line = '\\n', max_line_size = 10000000" +
             (v.null_as ? ", nullstr = " + sql_string(*v.null_as) : std::string()) +
             // With HEADER the columns are named by the files' own header line, so a wrong
             // header fails the query below.
             (v.header ? std::string(", header = true")
                       : ", header = false, names = [" + file_columns + "]") +
             hive_opts + ")";
    } else if (v.format == unload::Format::kJson) {
      from = "read_json(" + glob + ", format = 'newline_delimited', columns = {" + json_columns +
             "}" + hive_opts + ")";
    } else {
      from = "read_parquet(" + glob + hive_opts + ")";
    }
    std::string sql = "select " + sql_string(c.name) + " as cu_case";
    for (const auto& col : columns_) {
      std::string x = ident(col.name);
      // DuckDB un-escapes a folder's value but not its key: the column is named as spelt.
      std::string e =
          "cast(" + (hive && &col == &columns_.back() ? ident(key_folder_) : x) + " as varchar)";
      if (v.format == unload::Format::kParquet) {
        switch (col.type_oid) {
          case pg::oid::kBool:
            e = cat({"case when ", x, " then 'true' when not ", x, " then 'false' end"});
            break;
          case pg::oid::kDate:
            e = "cast(date_diff('day', DATE '1970-01-01', " + x + ") as varchar)";
            break;
          case pg::oid::kTimestamp:
          case pg::oid::kTimestamptz:
            e = "cast(epoch_us(" + x + ") as varchar)";
            break;
          case pg::oid::kBytea:
            e = "lower(hex(" + x + "))";
            break;
          default:
            break;
        }
      }
      sql += cat({", ", e, " as ", x});
    }
    return sql + " from " + from;
  }

  // Reads every case in one DuckDB process; rows by case name.
  std::map<std::string, Rows> read_with_duckdb(const std::vector<Case>& cases) {
    std::map<std::string, Rows> out;
    if (cases.empty()) {
      return out;
    }
    std::string sql;
    for (const auto& c : cases) {
      sql += (sql.empty() ? "" : " union all ") + duckdb_branch(c);
      out[c.name];
    }
    std::string text;
    try {
      text = sh(env("CU_DUCKDB") + " sql " + q(sql));
    } catch (const std::runtime_error& e) {
      // Not the whole (long) query: DuckDB's own message says which file and why.
      std::string m = e.what();
      size_t at = m.find("duckdb.mjs:");
      throw std::runtime_error(std::string("DuckDB cannot read back ") +
                               cases.front().variant->name +
                               " files: " + (at == std::string::npos ? m : m.substr(at)));
    }
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string::npos) {
        nl = text.size();
      }
      auto j = nlohmann::json::parse(text.substr(start, nl - start));
      start = nl + 1;
      Row row;
      for (size_t i = 1; i < j.size(); ++i) {
        row.push_back(j[i].is_null() ? Value() : Value(j[i].get<std::string>()));
      }
      const std::string name = j[0].get<std::string>();
      auto it =
          std::find_if(cases.begin(), cases.end(), [&](const Case& c) { return c.name == name; });
      add_row(*it, out[name], std::move(row));
    }
    return out;
  }

  // ---- comparing -------------------------------------------------------------------

  static bool same_number(const std::string& a, const std::string& b) {
    double x = std::strtod(a.c_str(), nullptr), y = std::strtod(b.c_str(), nullptr);
    return (std::isnan(x) && std::isnan(y)) || x == y;
  }
  static bool same_json(const std::string& a, const std::string& b) {
    if (a == b) {
      return true;
    }
    auto x = nlohmann::json::parse(a, nullptr, false);
    auto y = nlohmann::json::parse(b, nullptr, false);
    return !x.is_discarded() && x == y;
  }

  // JSON read by PostgreSQL: each line as json, which keeps its text, so ->> gives a number
  // exactly as written (every digit, the scale) and a string decoded; nested JSON verbatim.
  Rows read_json_with_postgres(const Case& c) {
    const bool key_in_file = c.partitioning != Partitioning::kKey;
    pg_->exec("drop table if exists hv_lines; create temp table hv_lines (l text)");
    std::string select = "select ";
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (!key_in_file && i + 1 == columns_.size()) {
        break;
      }
      std::string key = sql_string(columns_[i].name);
      select += (i ? ", " : "") +
                (is_json_type(columns_[i].type_oid)
                     ? "nullif(((l::json) -> " + key + ")::text, 'null')"  // nested, verbatim
                     : "(l::json) ->> " + key);
    }
    select += " from hv_lines";
    Rows out;
    for (const auto& f : c.files) {
      pg_->exec("truncate hv_lines");
      // One field per line: JSON lines hold no raw LF, \x01 or \x02.
      copy_in("copy hv_lines from stdin with (format csv, quote e'\\x01', delimiter e'\\x02')",
              sh(decompress_cmd(c.compression) + q(f)));
      for (auto& row : pg_query(select)) {
        if (!key_in_file) {
          std::string folder = fs::path(f).parent_path().filename().string();
          row.push_back(unescape_hive(folder.substr(folder.find('=') + 1)));
        }
        add_row(c, out, std::move(row));
      }
    }
    return out;
  }

  // Floats read from JSON or Parquet are compared as numbers (their text is the reader's);
  // so are JSON numerics read by DuckDB, which parses them into doubles (docs/formats.md:
  // numeric(38,10) extremes round) — the PostgreSQL reader compares their digits.
  static bool as_number(unload::Format f, uint32_t oid, bool exact_numbers) {
    bool typed = f == unload::Format::kJson || f == unload::Format::kParquet;
    return (typed && is_float(oid)) ||
           (f == unload::Format::kJson && oid == pg::oid::kNumeric && !exact_numbers);
  }

  // `exact_numbers`: JSON numerics digit for digit (a reader that keeps them), else as
  // doubles (DuckDB).
  void compare(const Case& c, const Rows& got, const Rows& want, bool exact_numbers = false) {
    const Variant& v = *c.variant;
    EXPECT_EQ(got.size(), want.size()) << c.name << ": rows read back";
    for (const auto& [id, w] : want) {
      auto it = got.find(id);
      if (it == got.end()) {
        ADD_FAILURE() << c.name << ": row id " << id << " not read back";
        continue;
      }
      const Row& g = it->second;
      if (g.size() != w.size()) {
        ADD_FAILURE() << c.name << ": row id " << id << " has " << g.size() << " fields, expected "
                      << w.size();
        continue;
      }
      for (size_t i = 0; i < w.size(); ++i) {
        uint32_t oid = columns_[i].type_oid;
        bool ok;
        if (!g[i] || !w[i]) {
          ok = !g[i] == !w[i];
        } else if (v.format == unload::Format::kJson && is_json_type(oid)) {
          ok = same_json(*g[i], *w[i]);
        } else if (as_number(v.format, oid, exact_numbers)) {
          ok = same_number(*g[i], *w[i]);
        } else {
          ok = *g[i] == *w[i];
        }
        if (!ok) {
          ADD_FAILURE() << c.name << ": id " << id << " column " << columns_[i].name << ": read "
                        << show(g[i]) << ", PostgreSQL " << show(w[i]);
        }
      }
    }
  }

  // Reads every case back with its reader(s) and compares with PostgreSQL's answer.
  void read_back_and_compare(const std::vector<Case>& cases, const std::vector<Variant>& of);

  std::string table_, query_;
  // The partition key: the query's last column, and its name as a folder spells it.
  std::string key_ = "pk", key_folder_ = "pk";
  std::unique_ptr<test::PgConn> pg_;
  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<pg::PgCopySource> source_;
  std::vector<pg::SourceColumn> columns_;
  fs::path dir_;
};

TEST_F(EngineHardValues, EveryFormatCompressionParallelAndPartitioning) {
  ASSERT_EQ(columns_.back().name, key_);
  std::vector<Case> cases;
  for (const auto& v : variants()) {
    for (auto compression : {unload::Compression::kNone, unload::Compression::kGzip,
                             unload::Compression::kZstd, unload::Compression::kBzip2}) {
      // Parquet compresses its pages itself (parquet_roundtrip_test covers its codecs).
      if (v.format == unload::Format::kParquet && compression != unload::Compression::kNone) {
        continue;
      }
      for (bool parallel : {true, false}) {
        for (auto p : {Partitioning::kNone, Partitioning::kKey, Partitioning::kKeyIncluded}) {
          cases.push_back(run_case(v, compression, parallel, p));
        }
      }
    }
  }
  EXPECT_EQ(cases.size(), 8u * 4 * 2 * 3 + 2 * 3);
  read_back_and_compare(cases, variants());
}

// Column names that need quoting or escaping: in CSV and text headers
// (docs/redshift-unload.md#s5.1: "passed through the same delimiter/quoting/escaping"), as JSON
// keys, Parquet columns, and a partition key whose name Hive escapes in the folder (`x%3Dy%2Fz=…`).
TEST_F(EngineHardValues, AwkwardColumnNames) {
  query_ =
      "select id, t as \"a,b\", vc as \"q\"\"uote\", c as \"pipe|x\", d as \"back\\slash\", "
      "tstz as \"ü 東京\", by as \"tab\tin\", pk as \"x=y/z\" from (" +
      query_ + ") q";
  columns_ = source_->describe(query_);
  ASSERT_EQ(columns_.size(), 8u);
  key_ = "x=y/z";
  key_folder_ = "x%3Dy%2Fz";
  static const std::vector<Variant> named = {
      {.name = "csv_header", .format = unload::Format::kCsv, .header = true},
      {.name = "csv_header_pipe", .format = unload::Format::kCsv, .header = true, .delimiter = "|"},
      {.name = "text_header",
       .format = unload::Format::kText,
       .header = true,
       .delimiter = "\t",
       .escape = true},
      {.name = "text_header_addquotes",
       .format = unload::Format::kText,
       .header = true,
       .escape = true,
       .addquotes = true},
      {.name = "json", .format = unload::Format::kJson},
      {.name = "parquet", .format = unload::Format::kParquet},
  };
  std::vector<Case> cases;
  for (const auto& v : named) {
    for (auto p : {Partitioning::kNone, Partitioning::kKey, Partitioning::kKeyIncluded}) {
      cases.push_back(run_case(v, unload::Compression::kNone, true, p));
    }
  }
  read_back_and_compare(cases, named);
}

// PARTITION BY a key of each type Redshift allows (docs/redshift-unload.md#s1.3) that the hard
// table holds: text and CSV take the folder's value from COPY's text, JSON and Parquet render it
// from the typed value; both must name the same folders, each PostgreSQL's text of the value
// (docs/formats.md "Layout"), Hive-escaped, NULL and '' the default partition
// (docs/redshift-unload.md#s4.5). Not here: REAL/DOUBLE and BOOLEAN keys, whose folders differ
// between the two paths today: the typed path prints a REAL with double digits
// (3.4028234663852886e+38 for 3.4028235e+38) and NaN/±Infinity as nan/inf where COPY's text says
// NaN/Infinity; booleans are t/f there and true/false here (docs/formats.md).
TEST_F(EngineHardValues, TypedPartitionKeysNameTheSameFoldersInEveryFormat) {
  const Variant formats[] = {
      {.name = "text", .format = unload::Format::kText, .escape = true},
      {.name = "csv", .format = unload::Format::kCsv},
      {.name = "json", .format = unload::Format::kJson},
      {.name = "parquet", .format = unload::Format::kParquet},
  };
  for (const char* key :
       {"i2", "i4", "i8", "f4", "n38", "n5", "n18", "nu", "b", "vc", "c", "d", "ts"}) {
    SCOPED_TRACE(key);
    std::set<Value> want;
    for (auto& row : pg_query(cat({"select ", ident(key), " from ", table_}))) {
      // Booleans are named true/false as Hive does (docs/formats.md), not t/f.
      Value text = row[0];
      if (std::string(key) == "b" && text && !text->empty()) {
        text = *text == "t" ? "true" : "false";
      }
      want.insert(row[0] == "" ? Value() : text);
    }
    for (const auto& v : formats) {
      unload::UnloadSpec s;
      s.select = cat({"select id, ", ident(key), " from ", table_});
      s.destination = (dir_ / "typed" / key / v.name).string();
      s.format = v.format;
      s.escape = v.escape;
      s.parallel = false;
      s.partition_by = unload::PartitionBy{{key}, false};
      auto store = sink::make_folder_store();
      auto r = engine::run_unload(s, *source_, *store, {});
      EXPECT_EQ(r.rows, 7u);
      std::set<Value> got;
      for (const auto& f : r.files) {
        std::string folder = fs::path(f.key).parent_path().filename().string();
        ASSERT_TRUE(folder.starts_with(std::string(key) + "=")) << f.key;
        got.insert(unescape_hive(folder.substr(folder.find('=') + 1)));
      }
      EXPECT_EQ(got, want) << v.name;
    }
  }
}

// REAL keys on the binary path (JSON, Parquet) are PostgreSQL's own text of the value:
// shortest round-trip digits, fixed notation from 1e-4 up to below 1e6, exponent form
// outside it, NaN and Infinity spelled out — the folders the text path names.
TEST_F(EngineHardValues, RealPartitionKeysAreSpelledAsPostgreSQLDoes) {
  const std::string t = table_ + "_real";
  pg_->exec("drop table if exists " + t);
  pg_->exec("create table " + t +
            " as select row_number() over () as id, v::real as r from unnest(array["
            "'0', '-0', '1', '-1.5', '100', '123456', '999999', '1e6', '1234567', '16777216', "
            "'0.0001', '0.00012345', '1e-5', '3.4028235e38', '1.17549435e-38', '1e-45', "
            "'0.1', '2.7182817', '-98765.43', 'NaN', 'Infinity', '-Infinity']) v");
  std::set<Value> want;
  for (auto& row : pg_query("select r from " + t)) {
    want.insert(row[0]);
  }
  ASSERT_EQ(want.size(), 22u);  // 0 and -0 are two folders: PostgreSQL prints them apart
  for (auto format : {unload::Format::kJson, unload::Format::kParquet, unload::Format::kCsv}) {
    unload::UnloadSpec s;
    s.select = "select id, r from " + t;
    s.destination = (dir_ / "real" / std::to_string(static_cast<int>(format))).string();
    s.format = format;
    s.partition_by = unload::PartitionBy{{"r"}, false};
    auto store = sink::make_folder_store();
    auto r = engine::run_unload(s, *source_, *store, {});
    std::set<Value> got;
    for (const auto& f : r.files) {
      std::string folder = fs::path(f.key).parent_path().filename().string();
      got.insert(unescape_hive(folder.substr(folder.find('=') + 1)));
    }
    EXPECT_EQ(got, want) << static_cast<int>(format);
  }
  pg_->exec("drop table " + t);
}

// Keys of a type Redshift cannot partition by are refused before anything is written, in
// client mode as on Redshift (docs/redshift-unload.md#s1.3: VARBYTE never; no TIMESTAMPTZ, JSON,
// UUID).
TEST_F(EngineHardValues, PartitionKeysOfOtherTypesAreRefused) {
  for (const char* key : {"by", "tstz", "j", "u", "f8"}) {
    SCOPED_TRACE(key);
    unload::UnloadSpec s;
    s.select = cat({"select id, ", ident(key), " from ", table_});
    s.destination = (dir_ / "refused" / key).string();
    s.partition_by = unload::PartitionBy{{key}, false};
    auto store = sink::make_folder_store();
    try {
      engine::run_unload(s, *source_, *store, {});
      ADD_FAILURE() << "a " << key << " key was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage) << e.what();
      EXPECT_NE(std::string(e.what()).find("cannot be a partition key"), std::string::npos)
          << e.what();
    }
    EXPECT_FALSE(fs::exists(dir_ / "refused" / key));
  }
}

void EngineHardValues::read_back_and_compare(const std::vector<Case>& cases,
                                             const std::vector<Variant>& of) {
  std::map<std::pair<std::string, Partitioning>, Rows> want;
  auto expected_for = [&](const Case& c) -> const Rows& {
    auto key = std::make_pair(std::string(c.variant->name), c.partitioning);
    auto it = want.find(key);
    if (it == want.end()) {
      it = want.emplace(key, expected(*c.variant, c.partitioning)).first;
    }
    return it->second;
  };
  // DuckDB: one process per variant (a union of every case of it).
  for (const auto& v : of) {
    if (v.format == unload::Format::kText) {
      continue;
    }
    std::vector<Case> of_variant;
    for (const auto& c : cases) {
      if (c.variant == &v) {
        of_variant.push_back(c);
      }
    }
    auto got = read_with_duckdb(of_variant);
    for (const auto& c : of_variant) {
      compare(c, got[c.name], expected_for(c));
    }
  }
  // PostgreSQL's COPY for the text variants.
  for (const auto& c : cases) {
    if (c.variant->format != unload::Format::kText) {
      continue;
    }
    compare(c, read_text_with_postgres(c), expected_for(c));
  }
  // PostgreSQL's json for JSON as well: numeric(38,10) extremes digit for digit.
  for (const auto& c : cases) {
    if (c.variant->format != unload::Format::kJson) {
      continue;
    }
    compare(c, read_json_with_postgres(c), expected_for(c), true);
  }
}

}  // namespace
}  // namespace cu
