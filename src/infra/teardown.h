#pragma once
// `crossunload teardown`: removes what the pattern's clean-up lists, for the account the
// caller's credentials belong to (run it once with DEV credentials and once with PROD's):
//
//   DEV   the data under the destination prefix (the incomplete multipart uploads a run
//         killed mid-write leaves, then every version and delete marker when the bucket
//         is versioned), then the stack <stack>-dev (Lambda function, its role,
//         S3-Write-Role, the log group; with via = "data-api" the state machine and its
//         role, after its running executions are stopped)
//   PROD  the stack <stack>-prod (SM-Read-Role, the Redshift role, the security-group
//         ingress rules, the secret when the stack created it)
//
// It first prints every resource and what it will do (all of it with --dry-run, which
// deletes nothing), refuses a stack that does not carry crossunload:stack=<stack> (it did
// not create it), and is idempotent: what is already gone is reported as such, so it is
// safe to re-run after a partial failure. KMS keys and VPC peering are not created by the
// generated templates and are left alone (the listing says so).
//
//   return cu::infra::run_teardown(params, {.dry_run = true}, stdout);

#include <cstdio>

#include "infra/infra_params.h"

namespace cu::infra {

struct TeardownOptions {
  bool dry_run = false;
  int wait_seconds = 900;  // for DeleteStack to complete
};

// Returns the exit code (0); throws cu::Error on failure or refusal.
int run_teardown(const InfraParams& p, const TeardownOptions& options, std::FILE* out);

}  // namespace cu::infra
