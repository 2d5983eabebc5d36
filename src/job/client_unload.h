#pragma once
// Client mode's one call into the engine: stream `spec.select` from an open connection
// into the destination (a folder, or S3 with `writer`'s credentials) and say what was
// written. Kept apart from job.cpp so the job's steps don't depend on the engine's shape.

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "job/job.h"
#include "pg/connection.h"
#include "unload/unload_spec.h"

namespace cu::job {

class AwsContext;

struct ClientUnloadResult {
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  std::vector<FileReport> files;
  std::optional<std::string> manifest;
};

// `writer` is null for a local destination. When `stop` was requested by the time the
// engine returns, what it wrote (objects and manifest) is deleted and kOther is thrown.
ClientUnloadResult client_unload(const unload::UnloadSpec& spec, pg::Connection& conn,
                                 AwsContext& aws, const aws::CredentialsProviderPtr& writer,
                                 std::stop_token stop = {});

}  // namespace cu::job
