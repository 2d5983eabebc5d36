#pragma once
// The job through Amazon Redshift's Data API (`via = "data-api"`): no database session and
// no network path into the cluster's VPC. The job assumes the PROD role (secret_role_arn,
// external_id) through the chain it always uses, submits the UNLOAD that server mode would
// send (same rendering, same role chain, masking included) with ExecuteStatement —
// StatementName = the job's name — and then, unless told not to wait, follows it with
// DescribeStatement (capped exponential backoff, a progress line on each change) and on
// FINISHED reads back the objects exactly as server mode does.
//
//   Report r;
//   run_via_data_api(job, aws, r, stop);        // or, with job.wait = false: submit only
//   check_statement(job, aws, id, r, stop, /*wait=*/true);   // `crossunload check`
//
// FAILED is kSource (exit 4) carrying the cluster's error text; ABORTED is exit 1; a stop
// (Lambda deadline, interrupt) while waiting sends CancelStatement. A statement id that is
// not this job's (another cluster, database or destination) is kUsage.

#include <stop_token>
#include <string>

#include "aws/context.h"
#include "job/config.h"
#include "job/job.h"

namespace cu::job {

// Runs (or, with job.wait = false, submits) the job through the Data API into `report`.
void run_via_data_api(const JobConfig& job, aws::AwsContext& aws, Report& report,
                      std::stop_token stop, const StopCause& cause = StopCause::deadline());

// Looks at statement `statement_id` (an id, or the job token run --no-wait printed): once, or
// until it ends when `wait`; on FINISHED verifies the objects and fills `report` as a
// synchronous run would. Still running and not waiting: report.status = "running", no error.
void check_statement(const JobConfig& job, aws::AwsContext& aws, const std::string& statement_id,
                     Report& report, std::stop_token stop, bool wait,
                     const StopCause& cause = StopCause::deadline());

// The job token: the statement id and a digest of what identifies the job (target, database,
// destination), "<id>.<12 hex>". parse_job_token gives the id back, or throws kUsage when the
// token belongs to another job. A bare statement id passes through unchanged.
std::string job_token(const JobConfig& job, const std::string& statement_id);
std::string parse_job_token(const JobConfig& job, const std::string& token);

}  // namespace cu::job
