#include "job/client_unload.h"

#include <fmt/format.h>

#include <memory>

#include "aws/s3.h"
#include "base/error.h"
#include "engine/unload.h"
#include "job/aws_context.h"
#include "pg/copy_source.h"
#include "sink/object_store.h"
#include "unload/naming.h"

namespace cu::job {

ClientUnloadResult client_unload(const unload::UnloadSpec& spec, pg::Connection& conn,
                                 AwsContext& aws, const aws::CredentialsProviderPtr& writer,
                                 std::stop_token stop) {
  unload::Destination d = sink::parse_destination(spec.destination);
  std::unique_ptr<aws::S3Client> s3;
  std::unique_ptr<sink::ObjectStore> store;
  if (d.s3) {
    if (!writer) {
      throw Error(ErrorKind::kUsage, "unload", spec.destination,
                  "an s3:// destination needs credentials to write with");
    }
    s3 = aws.s3(writer, spec.region);
    store = sink::make_s3_store(*s3, d.bucket);
  } else {
    store = sink::make_folder_store();
  }
  pg::PgCopySource source(conn);
  if (stop.stop_requested()) {
    throw Error(ErrorKind::kOther, "unload", spec.destination,
                "stopped before the deadline: the unload did not start; nothing was written");
  }
  engine::UnloadResult r = engine::run_unload(spec, source, *store);
  if (stop.stop_requested()) {
    // The stop came after the last row: undo, so that a stopped run never leaves objects.
    std::vector<std::string> keys;
    for (const engine::UnloadedFile& f : r.files) keys.push_back(f.key);
    if (!r.manifest_url.empty()) {
      keys.push_back(unload::manifest_name(d.prefix, spec.partition_by.has_value()));
    }
    store->remove(keys);
    throw Error(
        ErrorKind::kOther, "unload", spec.destination,
        fmt::format("stopped before the deadline: it came as the last of {} files was written; "
                    "the {} files of this run were deleted",
                    r.files.size(), keys.size()));
  }
  ClientUnloadResult out;
  out.rows = r.rows;
  out.bytes = r.bytes;
  for (const engine::UnloadedFile& f : r.files) out.files.push_back({f.url, f.bytes, f.rows});
  if (!r.manifest_url.empty()) out.manifest = r.manifest_url;
  return out;
}

}  // namespace cu::job
