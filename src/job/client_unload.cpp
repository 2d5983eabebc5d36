#include "job/client_unload.h"

#include "base/error.h"
#include "engine/local_unload.h"
#include "job/aws_context.h"
#include "unload/naming.h"

namespace cu::job {

ClientUnloadResult client_unload(const unload::UnloadSpec& spec, pg::Connection& conn,
                                 AwsContext& /*aws*/, const aws::CredentialsProviderPtr& writer) {
  unload::Destination d = unload::parse_destination(spec.destination);
  if (d.s3 || writer) {
    throw Error(ErrorKind::kUsage, "unload", spec.destination,
                "client mode cannot write to S3 in this build yet")
        .with_hint("unload to a local path prefix, or use server mode on Redshift");
  }
  engine::LocalUnloadJob local;
  local.source = conn.target().conninfo;
  local.spec = spec;
  local.spec.parallel = false;
  engine::UnloadReport r = engine::run_local_unload(local);
  ClientUnloadResult out;
  out.rows = r.rows;
  out.bytes = r.bytes;
  for (const engine::FileReport& f : r.files) out.files.push_back({f.path, f.bytes, f.rows});
  return out;
}

}  // namespace cu::job
