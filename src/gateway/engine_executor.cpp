#include "gateway/engine_executor.h"

#include <fmt/format.h>

#include <mutex>

#include "aws/context.h"
#include "aws/role_chain.h"
#include "aws/s3.h"
#include "base/error.h"
#include "base/log.h"
#include "engine/copy_binary_decoder.h"
#include "engine/unload.h"
#include "gateway/local_root.h"
#include "pg/copy_source.h"
#include "sink/object_store.h"
#include "unload/inner_sql.h"
#include "unload/naming.h"
#include "unload/parse.h"
#include "unload/validate.h"

namespace cu::gateway {

struct EngineUnloadExecutor::Shared {
  EngineExecutorConfig config;
  std::unique_ptr<aws::AwsContext> aws;
  aws::CredentialsProviderPtr own;        // the cluster's credentials; providers are thread-safe
  std::unique_ptr<LocalRoot> local_root;  // null: local-path UNLOAD refused
};

namespace {

// The gateway's UpstreamSession seen as the engine's CopySource (the same two calls).
class UpstreamCopySource : public pg::CopySource {
 public:
  UpstreamCopySource(UpstreamSession& upstream, std::string where)
      : upstream_(upstream), where_(std::move(where)) {}

  std::vector<pg::SourceColumn> describe(std::string_view select) override {
    std::vector<pg::SourceColumn> out;
    for (const pg::wire::Column& c : upstream_.describe(select)) {
      out.push_back({c.name, c.type_oid, c.type_mod});
    }
    return out;
  }
  uint64_t copy_out(std::string_view copy_sql,
                    const std::function<void(std::string_view)>& on_chunk) override {
    return upstream_.copy_out(copy_sql, on_chunk);
  }
  std::string describe_source() const override { return where_; }

 private:
  UpstreamSession& upstream_;
  std::string where_;
};

aws::CredentialsProviderPtr keys_provider(const unload::AccessKeys& k) {
  aws::Credentials c;
  c.access_key_id = k.access_key_id;
  c.secret_access_key = k.secret_access_key;
  c.session_token = k.session_token.value_or("");
  c.source = "ACCESS_KEY_ID in the UNLOAD statement";
  return aws::static_credentials(std::move(c));
}

}  // namespace

EngineUnloadExecutor::EngineUnloadExecutor(std::shared_ptr<Shared> shared)
    : shared_(std::move(shared)) {}
EngineUnloadExecutor::~EngineUnloadExecutor() = default;

std::uint64_t EngineUnloadExecutor::execute(std::string_view statement, const SessionInfo& session,
                                            UpstreamSession& upstream) {
  unload::UnloadSpec spec = unload::parse(statement);
  unload::Destination dest = unload::parse_destination(spec.destination);
  // A path TO is this gateway's extension (no cluster writes files locally): refused unless
  // the gateway has a local root, then confined to it, before anything is read or written.
  // It needs no authorization; an s3:// TO follows every Redshift rule, IAM_ROLE or keys
  // included.
  if (!dest.s3) {
    if (!shared_->local_root) {
      refuse_local_unload(spec.destination);
    }
    spec.destination = shared_->local_root->confine(dest.prefix);
    dest = unload::parse_destination(spec.destination);
  }
  unload::validate(spec, {.for_redshift = dest.s3});

  UpstreamCopySource source(upstream, fmt::format("gateway session of {}@{} from {}", session.user,
                                                  session.database, session.client_address));
  // Redshift's literal rules (backslash escapes in '…') become PostgreSQL's E'…' before the
  // query meets PostgreSQL; PARTITION BY and column checks use the result's columns.
  spec.select = unload::to_postgres_sql(spec.select);
  {
    std::vector<unload::ResultColumn> cols;
    for (const pg::SourceColumn& c : source.describe(spec.select)) {
      cols.push_back({c.name, pg::type_name(c.type_oid)});
    }
    unload::validate_columns(spec, cols);
  }

  std::unique_ptr<aws::S3Client> s3;
  std::unique_ptr<sink::ObjectStore> store;
  std::string identity = "local folder";
  if (!dest.s3) {
    store = make_confined_folder_store(*shared_->local_root);
  } else {
    Shared& sh = *shared_;
    aws::CredentialsProviderPtr writer;
    std::vector<std::string> chain;
    const unload::Authorization& auth = *spec.authorization;
    if (std::holds_alternative<unload::IamRoleDefault>(auth)) {
      if (sh.config.default_iam_role.empty()) {
        throw Error(
            ErrorKind::kUsage, "resolve IAM_ROLE", "IAM_ROLE default",
            fmt::format("no default IAM role is set for cluster {}", sh.config.cluster_name))
            .with_hint("start the gateway with --default-iam-role <arn>, or name the role");
      }
      chain.push_back(sh.config.default_iam_role);
    } else if (auto* c = std::get_if<unload::IamRoleChain>(&auth)) {
      chain = c->arns;
    } else if (auto* k = std::get_if<unload::AccessKeys>(&auth)) {
      writer = keys_provider(*k);
    } else {
      // validate() has checked: a role chain, or both keys.
      const auto& cred = std::get<unload::Credentials>(auth);
      if (cred.aws_iam_role) {
        chain = cred.aws_iam_role->arns;
      } else {
        writer = keys_provider({*cred.aws_access_key_id, *cred.aws_secret_access_key, cred.token});
      }
    }
    if (!chain.empty()) {
      std::vector<aws::AssumeRoleRequest> hops;
      hops.reserve(chain.size());
      for (const std::string& arn : chain) {
        hops.push_back({.role_arn = arn, .session_name = "RedshiftIAMRoleSession"});
      }
      auto provider = sh.aws->assume(sh.own, std::move(hops));
      try {
        provider->get();  // every hop now, so a refusal fails before anything is read
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kAccess) {
          throw;
        }
        // The failing hop's ARN starts the STS error's resource ("<arn> as <caller>").
        std::string role = e.resource().substr(0, e.resource().find(' '));
        throw Error(ErrorKind::kAccess, "assume role", role,
                    fmt::format("User arn:aws:redshift:{}:cluster:{} is not authorized to "
                                "assume IAM Role {}",
                                sh.aws->region(), sh.config.cluster_name, role))
            .with_aws(e.aws_code(), e.request_id())
            .with_hint(fmt::format("STS said: {}", e.message()));
      }
      identity = provider->describe();
      writer = provider;
    } else {
      identity = writer->describe();
    }
    s3 = sh.aws->s3(writer, spec.region);
    store = sink::make_s3_store(*s3, dest.bucket);
  }

  engine::UnloadResult r;
  try {
    r = engine::run_unload(spec, source, *store);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kAccess || !dest.s3) {
      throw;
    }
    throw Error(ErrorKind::kAccess, e.step(), e.resource(),
                fmt::format("S3 refused access to bucket {} for {}: {}", dest.bucket, identity,
                            e.message()))
        .with_aws(e.aws_code(), e.request_id())
        .with_hint(
            "the last role of IAM_ROLE needs s3:PutObject, s3:ListBucket and "
            "s3:DeleteObject on the bucket; nothing was written");
  }
  log::info("UNLOAD by {}@{}: {} rows, {} file(s), {} bytes to {} as {}", session.user,
            session.database, r.rows, r.files.size(), r.bytes, spec.destination, identity);
  return r.rows;
}

UnloadExecutorFactory engine_executor_factory(EngineExecutorConfig config) {
  auto shared = std::make_shared<EngineUnloadExecutor::Shared>();
  shared->aws = std::make_unique<aws::AwsContext>(config.env, config.region);
  try {
    shared->aws->region();
  } catch (const Error&) {
    shared->aws = std::make_unique<aws::AwsContext>(config.env, std::string("us-east-1"));
  }
  shared->own = shared->aws->own();
  if (!config.local_root.empty()) {
    shared->local_root = std::make_unique<LocalRoot>(config.local_root);
  }
  shared->config = std::move(config);
  return [shared] { return std::make_unique<EngineUnloadExecutor>(shared); };
}

}  // namespace cu::gateway
