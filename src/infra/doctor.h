#pragma once
// `crossunload doctor`: walks the job's access chain link by link, prints one line per link
// ("ok" or "FAIL") and stops at the first failure with a concrete fix:
//
//   identity        whose credentials these are (STS GetCallerIdentity)
//   assume role     SM-Read-Role with the external id (when the job names secret_role_arn)
//   read secret     GetSecretValue, parsed as a database secret
//   resolve host    DNS of the secret's host
//   reach host:port TCP connect (security groups, peering routes)
//   tls             the server's answer to PostgreSQL's SSLRequest, against sslmode
//   log in          libpq login with the secret's user and password
//   server          Redshift or PostgreSQL (version())
//   unload roles    the IAM_ROLE chain: only Redshift can assume its first role, so this
//                   line says what the caller cannot check; the write role is assumed
//                   when the job gives write_role_arn (client mode)
//   destination     the bucket as the job uses it: a probe object written and deleted
//                   (client mode), or a listing under the prefix (server mode: Redshift
//                   writes, the job only verifies)
//
// With via = "data-api" there is no network path to check: after "assume role" come
//   read secret     GetSecretValue as the PROD role (the Data API reads the secret with its
//                   caller's permissions), the secret holding username and password
//   data api        `select 1` through the Data API (ExecuteStatement, DescribeStatement
//                   until FINISHED, GetStatementResult) as the PROD role, on the job's
//                   cluster or workgroup and database
// then "unload roles" and "destination" as in server mode.
//
//   return cu::infra::run_doctor(params, stdout);   // exit code of the failing link's error

#include <cstdio>

#include "infra/infra_params.h"

namespace cu::infra {

// Returns 0 when every link holds; otherwise prints the failure and returns its exit code.
int run_doctor(const InfraParams& p, std::FILE* out);

}  // namespace cu::infra
