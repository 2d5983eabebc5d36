#pragma once
// Streams a query's result out of PostgreSQL with `COPY (query) TO STDOUT` in COPY's text
// format, one row at a time, so memory stays flat however large the result is. Rows are
// tab-separated fields with PostgreSQL's backslash escapes and \N for NULL, ending before
// the newline; format/text_copy_row.h decodes them.
//
//   pg::CopyTextReader reader(conn, unload::checked_select(sql, dialect));
//   std::string_view row;
//   while (reader.next(row)) encoder.encode_row(row, out);
//
// The query travels through the extended protocol, which refuses more than one statement,
// so the text cannot break out of `COPY ( … )`.

#include <cstdint>
#include <string>
#include <string_view>

#include "pg/connection.h"

namespace cu::pg {

class CopyTextReader {
 public:
  // Starts the COPY; throws kSource/kAccess (step "unload") when the server refuses it.
  CopyTextReader(Connection& conn, const std::string& query);
  // When left before the end, cancels the query and drains the connection.
  ~CopyTextReader();
  CopyTextReader(const CopyTextReader&) = delete;
  CopyTextReader& operator=(const CopyTextReader&) = delete;

  // The next row, without its '\n'; valid until the next call. Returns false at the end,
  // after making sure the command succeeded (an error mid-stream throws, step "unload").
  bool next(std::string_view& row);

  uint64_t rows() const { return rows_; }

 private:
  void release();

  Connection& conn_;
  char* buffer_ = nullptr;
  bool active_ = false;
  uint64_t rows_ = 0;
};

}  // namespace cu::pg
