#pragma once
// EngineUnloadExecutor — the gateway's real UNLOAD: it carries out a statement the way an
// Amazon Redshift cluster does, with the product's engine writing the objects.
// `crossunload gateway` gives it to the Gateway (cli/gateway.cpp):
//
//   gateway::EngineExecutorConfig c;
//   c.env = aws::Environment::from_process();   // the cluster's identity: the default chain
//   c.default_iam_role = "arn:aws:iam::222222222222:role/CrossAccount-S3-Write-Role";
//   gateway_options.executors = gateway::engine_executor_factory(std::move(c));
//
// For each statement: unload::parse, validate (Redshift's rules, then the result's columns),
// resolve authorization as a cluster would — its own credentials (the default chain, i.e.
// `--aws-profile`), `IAM_ROLE default` → the configured default role, a chain of roles →
// assumed hop by hop through STS starting from its own credentials, ACCESS_KEY_ID/SECRET or
// CREDENTIALS → those keys — and then engine::run_unload from the client's own upstream
// session into S3 with the last hop's credentials (or into a folder for a path TO). The
// inner SELECT is rewritten from Redshift's literal rules to PostgreSQL's
// (unload::to_postgres_sql) before it runs. A hop that cannot be assumed fails with
// Redshift's "is not authorized to assume IAM Role <arn>" (42501); nothing is written then,
// and on any later failure the engine removes what this statement wrote. A path TO is
// refused unless the config names a local root, and must then lie inside it (local_root.h).

#include <memory>
#include <optional>
#include <string>

#include "aws/config_file.h"
#include "gateway/unload_executor.h"

namespace cu::gateway {

struct EngineExecutorConfig {
  aws::Environment env;               // where the cluster's credentials and endpoints come from
  std::optional<std::string> region;  // the cluster's region; else env/profile, else us-east-1
  std::string default_iam_role;       // ARN used for `IAM_ROLE default`; empty = none set
  std::string cluster_name = "crossunload-gateway";  // names the cluster in error messages
  // The folder local-path UNLOADs may write into (--local-root); empty: refused, as on
  // Redshift (local_root.h).
  std::string local_root;
};

class EngineUnloadExecutor : public UnloadExecutor {
 public:
  struct Shared;  // resolved once per gateway, used by every session's executor
  explicit EngineUnloadExecutor(std::shared_ptr<Shared> shared);
  ~EngineUnloadExecutor() override;

  std::uint64_t execute(std::string_view statement, const SessionInfo& session,
                        UpstreamSession& upstream) override;

 private:
  std::shared_ptr<Shared> shared_;
};

// Resolves the cluster's region and own identity (lazily: the first S3 UNLOAD asks for the
// credentials) once, and returns the factory of EngineUnloadExecutors sharing them.
UnloadExecutorFactory engine_executor_factory(EngineExecutorConfig config);

}  // namespace cu::gateway
