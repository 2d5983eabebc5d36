#include "pg/statement.h"

#include <libpq-fe.h>

#include <cstdlib>

namespace cu::pg {
namespace {

struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClear>;

std::int64_t tag_count(const PGresult* r) {
  const char* n = PQcmdTuples(const_cast<PGresult*>(r));
  if (n == nullptr || *n == '\0') {
    return -1;
  }
  return std::strtoll(n, nullptr, 10);
}

}  // namespace

StatementResult run_statement(Connection& conn, const std::string& sql,
                              std::uint64_t max_result_bytes) {
  PGconn* c = conn.raw();
  if (PQsendQuery(c, sql.c_str()) == 0) {
    conn.throw_result_error(nullptr, "run statement");
  }
  StatementResult out;
  ResultPtr failed;
  bool too_big = false;
  // Every result must be read until libpq says there is none, even after an error.
  while (PGresult* raw = PQgetResult(c)) {
    ResultPtr r(raw);
    ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) {
      if (!failed) {
        failed = std::move(r);
      }
      continue;
    }
    if (failed || too_big) {
      continue;
    }
    if (st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
      // COPY … TO/FROM STDIN has no place in a statement API: end it.
      if (st == PGRES_COPY_IN) {
        PQputCopyEnd(c, "COPY FROM STDIN is not supported here");
      }
      if (st == PGRES_COPY_OUT) {
        char* buf = nullptr;
        while (PQgetCopyData(c, &buf, 0) > 0) {
          PQfreemem(buf);
        }
      }
      continue;
    }
    StatementResult one;
    one.command_tag = PQcmdStatus(r.get());
    one.affected = tag_count(r.get());
    if (st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE) {
      one.has_result_set = true;
      int nf = PQnfields(r.get());
      for (int i = 0; i < nf; ++i) {
        one.columns.push_back({PQfname(r.get(), i), PQftype(r.get(), i), PQfmod(r.get(), i)});
      }
      int nt = PQntuples(r.get());
      one.rows.reserve(static_cast<std::size_t>(nt));
      for (int t = 0; t < nt && !too_big; ++t) {
        std::vector<std::optional<std::string>> row;
        row.reserve(static_cast<std::size_t>(nf));
        for (int f = 0; f < nf; ++f) {
          if (PQgetisnull(r.get(), t, f) != 0) {
            row.emplace_back(std::nullopt);
          } else {
            auto len = static_cast<std::size_t>(PQgetlength(r.get(), t, f));
            one.result_bytes += len;
            row.emplace_back(std::string(PQgetvalue(r.get(), t, f), len));
          }
        }
        one.rows.push_back(std::move(row));
        too_big = one.result_bytes > max_result_bytes;
      }
      one.affected = nt;
    }
    out = std::move(one);
  }
  if (failed) {
    conn.throw_result_error(failed.get(), "run statement");
  }
  if (too_big) {
    throw Error(ErrorKind::kSource, "run statement", conn.target().describe(),
                "the result is larger than " + std::to_string(max_result_bytes) +
                    " bytes, the most a statement result may hold here")
        .with_hint("select fewer rows or columns, or UNLOAD the result instead");
  }
  return out;
}

int backend_pid(Connection& conn) { return PQbackendPID(conn.raw()); }

QueryCanceller::QueryCanceller(Connection& conn) : cancel_(PQgetCancel(conn.raw())) {}

QueryCanceller::~QueryCanceller() {
  if (cancel_ != nullptr) {
    PQfreeCancel(cancel_);
  }
}

bool QueryCanceller::cancel() {
  char err[256];
  return cancel_ != nullptr && PQcancel(cancel_, err, sizeof err) == 1;
}

}  // namespace cu::pg
