#pragma once
// Any one SQL statement on a pg::Connection with its whole result kept in memory, as text
// per value: what a SQL console or the gateway's Data API needs (the unload paths stream
// COPY instead, engine/copy_source.h). Plus a canceller usable from another thread.
//
//   pg::StatementResult r = pg::run_statement(conn, "select 1 as one", 64 << 20);
//   r.columns[0].name == "one"; r.rows[0][0] == "1";
//   pg::QueryCanceller cancel(conn);   // later, from any thread: cancel.cancel();

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pg/connection.h"

struct pg_cancel;

namespace cu::pg {

struct StatementResult {
  bool has_result_set = false;  // the statement returned rows (possibly none)
  std::vector<Column> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;  // text values; nullopt = NULL
  std::string command_tag;         // "SELECT 3", "INSERT 0 2", "UNLOAD", …
  std::int64_t affected = -1;      // rows of the command tag (SELECT/INSERT/UPDATE/…), else -1
  std::uint64_t result_bytes = 0;  // the values' text size
};

// Runs `sql` with the simple query protocol and returns the last statement's result. A
// result larger than `max_result_bytes` fails (kSource) instead of filling memory. A failed
// statement throws cu::Error (kSource, kAccess for SQLSTATE 28xxx/42501) carrying the
// server's message and SQLSTATE.
StatementResult run_statement(Connection& conn, const std::string& sql,
                              std::uint64_t max_result_bytes);

// The server process id of the session (PostgreSQL's pg_backend_pid as the client knows it).
int backend_pid(Connection& conn);

// Cancels the statement running on a connection (libpq's PQcancel): thread-safe, and
// harmless when nothing runs. Keep it no longer than the connection.
class QueryCanceller {
 public:
  explicit QueryCanceller(Connection& conn);
  ~QueryCanceller();
  QueryCanceller(const QueryCanceller&) = delete;
  QueryCanceller& operator=(const QueryCanceller&) = delete;
  // False when the cancel request could not be sent.
  bool cancel();

 private:
  pg_cancel* cancel_ = nullptr;
};

}  // namespace cu::pg
