#pragma once
// pg::CopySource — where the engine's rows come from: a session that can describe a query
// and stream `COPY (…) TO STDOUT …` as CopyData payloads. Two implementations: a libpq
// pg::Connection (client mode, PgCopySource below) and the gateway's upstream session
// (local Redshift; the gateway adapts its UpstreamSession, which has this same shape). The
// engine's unit tests feed it from memory (tests/unit/engine_fakes.h).
//
//   pg::Connection conn(pg::parse_target(conninfo));
//   pg::PgCopySource source(conn);
//   engine::run_unload(spec, source, *store, {});
//
// copy_out() calls on_chunk with each CopyData payload in order (for libpq one row per
// call in text format; any split in binary format — the decoder does not care). An
// exception from on_chunk stops the COPY (cancelled / drained) and propagates.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cu::pg {

class Connection;

struct SourceColumn {
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
};

class CopySource {
 public:
  virtual ~CopySource() = default;
  // Column names and types of `select`, without running it.
  virtual std::vector<SourceColumn> describe(std::string_view select) = 0;
  // Runs `copy_sql` and streams its CopyData payloads; returns the rows copied.
  virtual uint64_t copy_out(std::string_view copy_sql,
                            const std::function<void(std::string_view)>& on_chunk) = 0;
  // "host:port/db" for messages.
  virtual std::string describe_source() const = 0;
};

class PgCopySource : public CopySource {
 public:
  explicit PgCopySource(pg::Connection& conn) : conn_(conn) {}
  std::vector<SourceColumn> describe(std::string_view select) override;
  uint64_t copy_out(std::string_view copy_sql,
                    const std::function<void(std::string_view)>& on_chunk) override;
  std::string describe_source() const override;

 private:
  pg::Connection& conn_;
};

}  // namespace cu::pg
