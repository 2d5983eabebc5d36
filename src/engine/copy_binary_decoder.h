#pragma once
// CopyBinaryDecoder — turns the bytes of `COPY (query) TO STDOUT (FORMAT binary)` into
// typed column batches (format/column_batch.h). Pure: no libpq here. Feed it whatever
// PQgetCopyData returns, in chunks of any size and alignment; it calls back with a full
// batch whenever one is ready, and with the last partial batch from finish().
//
//   auto types = engine::describe_columns(result_columns);      // throws on unsupported types
//   engine::CopyBinaryDecoder decoder(types, [&](const format::ColumnBatch& b) { w.write(b); });
//   while ((n = PQgetCopyData(conn, &buf, 0)) > 0) decoder.feed({buf, size_t(n)});
//   decoder.finish();                                        // checks the trailer
//
// Types decoded: bool, int2/int4/int8, oid, float4/float8, numeric (exact: unscaled 128-bit
// integer at the declared scale, or exact text when undeclared), text/varchar/bpchar/name/
// "char"/unknown, json, jsonb, date, time, timestamp, timestamptz, uuid, bytea. Any other
// type has no portable binary form here; describe_columns() names the columns and suggests
// casting them to text in the query (the engine may do so: `select col::text …`).
// Text values are passed through in the session's client encoding (use UTF8).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "format/column_batch.h"
#include "pg/types.h"

namespace cu::engine {

// A result column as PQfname / PQftype / PQfmod report it.
struct ResultColumn {
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
};

// Maps one column to its in-memory type; false when the type cannot be decoded.
// numeric(p,s) with 1 <= p <= 38 and 0 <= s <= p → kDecimal; any other numeric → kNumericText.
bool describe_column(const ResultColumn& column, format::ColumnType* out);

// All columns, or a cu::Error (kUsage, step "describe query") naming every column whose type
// cannot be decoded, with a hint to cast it to text.
std::vector<format::ColumnType> describe_columns(const std::vector<ResultColumn>& columns);

// The exact decimal text of a binary numeric value (PostgreSQL's numeric_out: dscale
// fraction digits, "NaN", "Infinity", "-Infinity"). Exposed for tests and the text fallback.
// Throws cu::Error on a malformed value.
std::string numeric_to_text(std::string_view binary);

class CopyBinaryDecoder {
 public:
  struct Limits {
    size_t max_rows = 8192;          // rows per batch
    size_t max_bytes = 16ull << 20;  // string bytes per batch (one huge value may exceed it)
  };
  using BatchCallback = std::function<void(const format::ColumnBatch&)>;

  CopyBinaryDecoder(std::vector<format::ColumnType> columns, BatchCallback on_batch);
  CopyBinaryDecoder(std::vector<format::ColumnType> columns, BatchCallback on_batch, Limits limits);

  // Consumes a chunk; calls on_batch for each batch filled. Throws cu::Error (kSource) on a
  // malformed stream: bad signature, OIDs included, wrong field count or length, data after
  // the trailer.
  void feed(std::string_view chunk);

  // End of the COPY data: throws if the trailer was not seen or bytes are left over, then
  // delivers the last partial batch (if any rows).
  void finish();

  uint64_t rows() const { return rows_; }
  const std::vector<format::ColumnType>& columns() const { return types_; }

 private:
  // Parses as much as possible of [data, data+size); returns bytes consumed.
  size_t parse(const char* data, size_t size);
  bool parse_header(const char* data, size_t size, size_t* used);
  void decode_field(size_t col, const char* p, int32_t len);
  void flush_batch();
  [[noreturn]] void fail(const std::string& message) const;

  std::vector<format::ColumnType> types_;
  BatchCallback on_batch_;
  Limits limits_;
  format::ColumnBatch batch_;
  std::string pending_;  // an incomplete header or tuple carried over between chunks
  enum class State { kHeader, kTuples, kDone } state_ = State::kHeader;
  uint64_t rows_ = 0;
};

}  // namespace cu::engine
