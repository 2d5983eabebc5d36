#pragma once
// FolderUnloadExecutor — the gateway's built-in UnloadExecutor for UNLOADs whose TO is a
// local path prefix (`TO '/tmp/out/venue_'`). It parses the statement with the product's
// UnloadSpec parser, runs `COPY (<select>) TO STDOUT` in text (pipe or DELIMITER) or CSV
// form on the client's session and writes PostgreSQL's COPY output unchanged into one
// file named as Redshift names the first slice (`venue_0000_part_00`, or `venue_000` with
// PARALLEL OFF). It refuses what it cannot do (S3, JSON, Parquet, compression, partitions,
// manifests, fixed width) with a 42601-class error naming the option. The product's
// engine replaces it through set_executor_factory() (unload_executor.h).

#include "gateway/unload_executor.h"

namespace cu::gateway {

class FolderUnloadExecutor : public UnloadExecutor {
 public:
  std::uint64_t execute(std::string_view statement, const SessionInfo& session,
                        UpstreamSession& upstream) override;
};

}  // namespace cu::gateway
