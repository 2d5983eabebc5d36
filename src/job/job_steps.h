#pragma once
// The pieces of `crossunload run` that its two paths share — over a database session
// (job.cpp) and over the Redshift Data API (data_api_unload.cpp): timing a step into the
// report, naming who AWS refused, reading back what an UNLOAD wrote, and the error of a run
// stopped before its deadline.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "aws/context.h"
#include "aws/credentials.h"
#include "base/error.h"
#include "base/log.h"
#include "job/job.h"
#include "job/progress.h"
#include "pg/connection.h"
#include "unload/mask.h"
#include "unload/unload_spec.h"

namespace cu::job {

// Runs `fn` as the named step: times it, records it in the report, logs it.
template <typename Fn>
auto step(Report& report, const std::string& name, const std::string& identity,
          const std::string& detail, Fn&& fn) {
  log::debug("{} {}{}", name, detail, identity.empty() ? "" : " as " + identity);
  auto start = std::chrono::steady_clock::now();
  auto record = [&] {
    report.steps.push_back(
        {name,
         std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
             .count(),
         identity, detail});
  };
  if constexpr (std::is_void_v<decltype(fn())>) {
    fn();
    record();
  } else {
    auto result = fn();
    record();
    return result;
  }
}

// The provider's description ("profile dev", "assume role arn:… via …"), or "default
// credential chain" when it cannot say.
std::string describe_provider(const aws::CredentialsProviderPtr& p);

// Who `p` acts as, without a request: the last hop's assumed-role ARN for a role chain
// that has been used, else the provider's description ("profile dev", …).
std::string known_identity(const aws::CredentialsProviderPtr& p);

// The ARN `p` acts as, for the report and messages: known_identity, or — when the provider
// only has a description ("profile dev", "environment", the Lambda's container) — STS
// GetCallerIdentity, which needs no permission. Best effort: the description if STS does
// not answer.
std::string identity_arn(aws::AwsContext& aws, const aws::CredentialsProviderPtr& p);

// Runs `fn`, which calls AWS as `who`. When AWS refuses, the error's resource gets
// "as <identity ARN>", so the message names who was refused: S3's AccessDenied does not.
template <typename Fn>
auto naming_refused_identity(aws::AwsContext& aws, const aws::CredentialsProviderPtr& who,
                             Fn&& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kAccess || !who) {
      throw;
    }
    std::string id = identity_arn(aws, who);
    if (id.empty() || std::string_view(e.what()).find(id) != std::string_view::npos) {
      throw;
    }
    Error named(e.kind(), e.step(), e.resource() + " as " + id, e.message());
    named.with_aws(e.aws_code(), e.request_id());
    if (!e.hint().empty()) {
      named.with_hint(e.hint());
    }
    throw named;
  }
}

// What is under the destination's prefix now: the data objects and the manifest's URL (when
// it is there). With `s3` (a client for the destination's bucket) for an s3:// destination;
// a local path prefix is listed from the file system.
struct DestinationObjects {
  std::vector<FileReport> files;
  std::optional<std::string> manifest;
};
DestinationObjects list_destination(const unload::UnloadSpec& spec, aws::S3Client* s3);

// Live progress of a server-mode unload (job/progress.h) for the job's `progress`: the
// statement's status as the caller sets it, the time since it was sent, and the objects and
// bytes under the prefix, listed as `reader` (the identity that verifies) once per interval
// (1 s unless progress_interval says otherwise). finish() shows the report's numbers.
// Redshift writes its objects as its slices go; the local gateway publishes them all at the
// end of the statement (its commit), so until then they count 0.
class ServerProgress {
 public:
  ServerProgress(const JobConfig& job, const unload::UnloadSpec& spec, aws::AwsContext& aws,
                 const aws::CredentialsProviderPtr& reader);
  ~ServerProgress();
  ServerProgress(const ServerProgress&) = delete;
  ServerProgress& operator=(const ServerProgress&) = delete;

  void set_status(const std::string& status);
  void finish(const Report& report);

 private:
  ProgressSample sample();

  unload::UnloadSpec spec_;
  std::unique_ptr<aws::S3Client> s3_;
  std::mutex mu_;
  std::string status_ = "running";
  std::unique_ptr<ProgressReporter> reporter_;
};

// Server mode, after UNLOAD: what is at the destination now (objects, manifest, bytes),
// read with `reader`'s access, into the report. Throws kDestination when the manifest that
// was asked for is missing, or rows were reported but no object is there.
void verify_objects(const unload::UnloadSpec& spec, aws::AwsContext& aws,
                    const aws::CredentialsProviderPtr& reader, Report& report);

// The salt of this run's masking: the job's mask_salt, or 128 bits from the system's
// random source (hex) that nobody can guess or recompute. Registered as a secret; the
// report says "given" or "random".
std::string mask_salt(const JobConfig& job, Report& report);

// The database that runs the masking SQL, as `server` describes it: Redshift (a cluster or
// the gateway that stands for one) or PostgreSQL of its version. The Data API path, which
// always talks to Redshift, uses unload::MaskDialect::redshift_cluster().
unload::MaskDialect mask_dialect(const pg::ServerInfo& server);

// The job's query `inner` wrapped so that the database masks columns before rows leave it:
// the job's `mask` and mask policy resolved against the result's `columns`, written for
// `dialect`. The report gets each masked column's rule and the digest. Returns `inner` as
// it is when no column of the result is to be masked (a policy that matches none).
std::string mask_query(const JobConfig& job, const std::string& inner,
                       const std::vector<unload::ResultColumn>& columns, const std::string& salt,
                       const unload::MaskDialect& dialect, Report& report);
// The personal-data guard's server-side check: the columns of `select` (as `describe`
// gives them), one aggregate query over a sample run by `run_sample` (SQL → the answer's
// one row), the findings into the report (policy, how it checked), warnings logged; throws
// the refusal (kUsage). Only counts come back from the database.
void check_pii_sample(
    const JobConfig& job, const std::string& select, const std::vector<unload::PiiColumn>& columns,
    const std::function<std::vector<std::optional<std::string>>(const std::string&)>& run_sample,
    Report& report);

// Logs a warning for each finding that did not stop the run (allowed, or pii = warn).
void warn_pii(const Report& report);

// The names of the columns the mask step masked (explicit `mask` entries and the mask
// policy's matches, as report.masked lists them): the guard skips them.
std::set<std::string> masked_columns(const Report& report);

// The error of a run stopped (Lambda deadline, interrupt) before `step`: exit 1, the message
// starting with `cause.what()`.
Error stopped(const StopCause& cause, const std::string& step, const std::string& resource,
              const std::string& what);

}  // namespace cu::job
