#pragma once
// Test-side glue for the Parquet/JSON integration tests and the throughput measurement:
// runs `COPY (query) TO STDOUT (FORMAT binary)` over raw libpq, decodes it with
// engine::CopyBinaryDecoder and writes a Parquet or JSON file. The product's own wiring
// (crossunload run --format parquet) comes with the engine; this is deliberately small.

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/copy_binary_decoder.h"
#include "format/json_writer.h"
#include "format/parquet_writer.h"

namespace cu::test {

struct PgConn {
  PGconn* conn = nullptr;
  explicit PgConn(const std::string& conninfo) {
    conn = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string m = PQerrorMessage(conn);
      PQfinish(conn);
      throw std::runtime_error("connect: " + m);
    }
    exec("set client_encoding = 'UTF8'");
    exec("set timezone = 'UTC'");
  }
  ~PgConn() { PQfinish(conn); }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  void exec(const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    auto s = PQresultStatus(r);
    std::string m = PQresultErrorMessage(r);
    PQclear(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) throw std::runtime_error(sql + ": " + m);
  }

  // Rows of a query as text (NULL → nullopt-like marker "\x01NULL").
  std::vector<std::vector<std::string>> rows(const std::string& sql, std::vector<bool>* nulls) {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::string m = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error(sql + ": " + m);
    }
    std::vector<std::vector<std::string>> out;
    int n = PQntuples(r), f = PQnfields(r);
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> row;
      for (int j = 0; j < f; ++j) {
        bool null = PQgetisnull(r, i, j);
        if (nulls) nulls->push_back(null);
        row.emplace_back(null ? std::string()
                              : std::string(PQgetvalue(r, i, j), PQgetlength(r, i, j)));
      }
      out.push_back(std::move(row));
    }
    PQclear(r);
    return out;
  }

  // Rows of a query as lines: fields joined by tabs, NULL as \N, values passed through
  // `escape` (so they compare with another reader's lines).
  template <typename Escape>
  std::vector<std::string> lines(const std::string& sql, Escape escape) {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::string m = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error(sql + ": " + m);
    }
    std::vector<std::string> out;
    int n = PQntuples(r), f = PQnfields(r);
    out.reserve(n);
    for (int i = 0; i < n; ++i) {
      std::string line;
      for (int j = 0; j < f; ++j) {
        if (j) line += '\t';
        if (PQgetisnull(r, i, j)) {
          line += "\\N";
        } else {
          escape(std::string_view(PQgetvalue(r, i, j), PQgetlength(r, i, j)), line);
        }
      }
      out.push_back(std::move(line));
    }
    PQclear(r);
    return out;
  }

  std::vector<engine::ResultColumn> describe(const std::string& query) {
    PGresult* r = PQprepare(conn, "", query.c_str(), 0, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      std::string m = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error("prepare: " + m);
    }
    PQclear(r);
    r = PQdescribePrepared(conn, "");
    std::vector<engine::ResultColumn> cols;
    for (int i = 0; i < PQnfields(r); ++i) {
      cols.push_back({PQfname(r, i), PQftype(r, i), PQfmod(r, i)});
    }
    PQclear(r);
    return cols;
  }

  // Streams the binary COPY of `query` into `decoder`.
  void copy_binary(const std::string& query, engine::CopyBinaryDecoder& decoder) {
    PGresult* r = PQexec(conn, ("COPY (" + query + ") TO STDOUT (FORMAT binary)").c_str());
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
      std::string m = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error("copy: " + m);
    }
    PQclear(r);
    char* buf = nullptr;
    int n;
    while ((n = PQgetCopyData(conn, &buf, 0)) > 0) {
      decoder.feed(std::string_view(buf, static_cast<size_t>(n)));
      PQfreemem(buf);
    }
    if (n == -2) throw std::runtime_error(std::string("copy: ") + PQerrorMessage(conn));
    r = PQgetResult(conn);
    auto s = PQresultStatus(r);
    std::string m = PQresultErrorMessage(r);
    PQclear(r);
    while ((r = PQgetResult(conn)) != nullptr) PQclear(r);
    if (s != PGRES_COMMAND_OK) throw std::runtime_error("copy: " + m);
    decoder.finish();
  }
};

class FileSink : public format::ByteSink {
 public:
  explicit FileSink(const std::string& path) : f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) throw std::runtime_error("cannot open " + path);
  }
  ~FileSink() override {
    if (f_) std::fclose(f_);
  }
  void write(std::string_view b) override {
    if (std::fwrite(b.data(), 1, b.size(), f_) != b.size()) throw std::runtime_error("write");
    n_ += b.size();
  }
  uint64_t bytes_written() const override { return n_; }

 private:
  std::FILE* f_;
  uint64_t n_ = 0;
};

struct ParquetResult {
  uint64_t rows = 0;
  size_t row_groups = 0;
  uint64_t bytes = 0;
};

inline ParquetResult unload_parquet(PgConn& pg, const std::string& query, const std::string& path,
                                    const format::ParquetOptions& options = {}) {
  auto types = engine::describe_columns(pg.describe(query));
  FileSink sink(path);
  format::ParquetWriter writer(types, sink, options);
  engine::CopyBinaryDecoder decoder(types, [&](const format::ColumnBatch& b) { writer.write(b); });
  pg.copy_binary(query, decoder);
  writer.close();
  return {writer.rows_written(), writer.row_groups_written(), sink.bytes_written()};
}

inline uint64_t unload_json(PgConn& pg, const std::string& query, const std::string& path) {
  auto types = engine::describe_columns(pg.describe(query));
  FileSink sink(path);
  format::JsonWriter json(types);
  std::string out;
  engine::CopyBinaryDecoder decoder(types, [&](const format::ColumnBatch& b) {
    out.clear();
    json.write(b, out);
    sink.write(out);
  });
  pg.copy_binary(query, decoder);
  return decoder.rows();
}

}  // namespace cu::test
