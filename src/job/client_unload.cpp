#include "job/client_unload.h"

#include <memory>

#include "aws/s3.h"
#include "base/error.h"
#include "engine/copy_source.h"
#include "engine/unload.h"
#include "job/aws_context.h"
#include "sink/object_store.h"

namespace cu::job {

ClientUnloadResult client_unload(const unload::UnloadSpec& spec, pg::Connection& conn,
                                 AwsContext& aws, const aws::CredentialsProviderPtr& writer) {
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
  engine::PgCopySource source(conn);
  engine::UnloadResult r = engine::run_unload(spec, source, *store);
  ClientUnloadResult out;
  out.rows = r.rows;
  out.bytes = r.bytes;
  for (const engine::UnloadedFile& f : r.files) out.files.push_back({f.url, f.bytes, f.rows});
  if (!r.manifest_url.empty()) out.manifest = r.manifest_url;
  return out;
}

}  // namespace cu::job
