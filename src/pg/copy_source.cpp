#include "pg/copy_source.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>

#include "pg/connection.h"

namespace cu::pg {
namespace {
struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClear>;

// Leaves the connection usable when the COPY is left early: cancel, drain.
class CopyGuard {
 public:
  explicit CopyGuard(PGconn* c) : c_(c) {}
  ~CopyGuard() {
    if (buf_) {
      PQfreemem(buf_);
    }
    if (!active_) {
      return;
    }
    if (PGcancel* cancel = PQgetCancel(c_)) {
      char err[256];
      PQcancel(cancel, err, sizeof err);
      PQfreeCancel(cancel);
    }
    char* b = nullptr;
    while (PQgetCopyData(c_, &b, 0) > 0) {
      PQfreemem(b);
    }
    while (PGresult* more = PQgetResult(c_)) {
      PQclear(more);
    }
  }
  CopyGuard(const CopyGuard&) = delete;
  CopyGuard& operator=(const CopyGuard&) = delete;
  char*& buf() { return buf_; }
  void release() {
    if (buf_) {
      PQfreemem(buf_);
    }
    buf_ = nullptr;
  }
  void done() { active_ = false; }

 private:
  PGconn* c_;
  char* buf_ = nullptr;
  bool active_ = true;
};
}  // namespace

std::vector<SourceColumn> PgCopySource::describe(std::string_view select) {
  std::vector<SourceColumn> out;
  for (const auto& c : conn_.describe(std::string(select))) {
    out.push_back({c.name, c.type_oid, c.type_modifier});
  }
  return out;
}

uint64_t PgCopySource::copy_out(std::string_view copy_sql,
                                const std::function<void(std::string_view)>& on_chunk) {
  PGconn* c = conn_.raw();
  std::string sql(copy_sql);
  if (!PQsendQueryParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)) {
    conn_.throw_result_error(nullptr, "unload");
  }
  ResultPtr r(PQgetResult(c));
  if (PQresultStatus(r.get()) != PGRES_COPY_OUT) {
    while (PGresult* more = PQgetResult(c)) {
      PQclear(more);
    }
    conn_.throw_result_error(r.get(), "unload");
  }
  CopyGuard guard(c);
  int n = 0;
  while ((n = PQgetCopyData(c, &guard.buf(), 0)) > 0) {
    on_chunk(std::string_view(guard.buf(), static_cast<size_t>(n)));
    guard.release();
  }
  guard.done();
  ResultPtr end(PQgetResult(c));
  bool ok = n == -1 && PQresultStatus(end.get()) == PGRES_COMMAND_OK;
  uint64_t rows = ok ? std::strtoull(PQcmdTuples(end.get()), nullptr, 10) : 0;
  while (PGresult* more = PQgetResult(c)) {
    PQclear(more);
  }
  if (!ok) {
    conn_.throw_result_error(end.get(), "unload");
  }
  return rows;
}

std::string PgCopySource::describe_source() const { return conn_.target().describe(); }

}  // namespace cu::pg
