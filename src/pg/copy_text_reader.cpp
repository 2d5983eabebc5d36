#include "pg/copy_text_reader.h"

#include <libpq-fe.h>

#include <memory>

namespace cu::pg {
namespace {
struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClear>;
}  // namespace

CopyTextReader::CopyTextReader(Connection& conn, const std::string& query) : conn_(conn) {
  // Newlines around the query keep a trailing "-- comment" from swallowing the ')'.
  std::string copy = "COPY (\n" + query + "\n) TO STDOUT";
  if (!PQsendQueryParams(conn_.raw(), copy.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)) {
    conn_.throw_result_error(nullptr, "unload");
  }
  ResultPtr r(PQgetResult(conn_.raw()));
  if (PQresultStatus(r.get()) != PGRES_COPY_OUT) {
    // Drain whatever follows so the connection stays usable.
    while (PGresult* more = PQgetResult(conn_.raw())) {
      PQclear(more);
    }
    conn_.throw_result_error(r.get(), "unload");
  }
  active_ = true;
}

CopyTextReader::~CopyTextReader() {
  release();
  if (!active_) {
    return;
  }
  if (PGcancel* cancel = PQgetCancel(conn_.raw())) {
    char err[256];
    PQcancel(cancel, err, sizeof err);
    PQfreeCancel(cancel);
  }
  char* buf = nullptr;
  while (PQgetCopyData(conn_.raw(), &buf, 0) > 0) {
    PQfreemem(buf);
  }
  while (PGresult* more = PQgetResult(conn_.raw())) {
    PQclear(more);
  }
}

void CopyTextReader::release() {
  if (buffer_) {
    PQfreemem(buffer_);
  }
  buffer_ = nullptr;
}

bool CopyTextReader::next(std::string_view& row) {
  release();
  if (!active_) {
    return false;
  }
  int n = PQgetCopyData(conn_.raw(), &buffer_, 0);
  if (n > 0) {
    ++rows_;
    size_t len = static_cast<size_t>(n);
    if (buffer_[len - 1] == '\n') {
      --len;
    }
    row = std::string_view(buffer_, len);
    return true;
  }
  active_ = false;
  ResultPtr r(PQgetResult(conn_.raw()));
  bool ok = n == -1 && PQresultStatus(r.get()) == PGRES_COMMAND_OK;
  while (PGresult* more = PQgetResult(conn_.raw())) {
    PQclear(more);
  }
  if (!ok) {
    conn_.throw_result_error(r.get(), "unload");
  }
  return false;
}

}  // namespace cu::pg
