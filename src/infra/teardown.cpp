#include "infra/teardown.h"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <thread>

#include "aws/config_file.h"
#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/s3.h"
#include "aws/sts.h"
#include "base/error.h"
#include "infra/cloud_calls.h"
#include "infra/templates.h"

namespace cu::infra {

namespace {

aws::ServiceEndpoint endpoint_for(const char* service, const InfraParams& p,
                                  const aws::Environment& env, const aws::SharedConfig& cfg,
                                  bool* configured = nullptr) {
  aws::ResolvedEndpoint ep = aws::resolve_endpoint(service, p.region, env, cfg);
  if (configured) {
    *configured = ep.configured;
  }
  return {ep.signing_name, ep.region, ep.url};
}

}  // namespace

int run_teardown(const InfraParams& p, const TeardownOptions& options, std::FILE* out) {
  aws::Environment env = aws::Environment::from_process();
  aws::SharedConfig cfg = aws::SharedConfig::load(env, std::nullopt);
  aws::ChainOptions chain;
  chain.assume_role = aws::sts_assume_role(env, cfg);
  aws::CredentialsProviderPtr creds = aws::default_chain(env, chain);

  aws::CallerIdentity me =
      aws::StsClient(endpoint_for("sts", p, env, cfg), creds).get_caller_identity();
  const bool dev = me.account == p.dev_account_id;
  if (!dev && me.account != p.prod_account_id) {
    throw Error(ErrorKind::kUsage, "teardown", me.arn,
                fmt::format("these credentials are for account {}, neither DEV ({}) nor PROD ({})",
                            me.account, p.dev_account_id, p.prod_account_id))
        .with_hint("run teardown once with DEV credentials and once with PROD credentials");
  }
  const std::string stack = dev ? p.dev_stack() : p.prod_stack();
  fmt::print(out, "teardown in {} account {} as {}{}\n", dev ? "DEV" : "PROD", me.account, me.arn,
             options.dry_run ? " (dry run: nothing is deleted)" : "");

  // 1. Plan: list everything first, refuse before touching anything.
  CloudFormation cfn(endpoint_for("cloudformation", p, env, cfg), creds);
  std::optional<StackInfo> info = cfn.describe_stack(stack);
  std::vector<StackResource> resources;
  if (!info) {
    fmt::print(out, "  stack {}: not found (already deleted)\n", stack);
  } else {
    auto tag = info->tags.find(kStackTag);
    if (tag == info->tags.end() || tag->second != stack) {
      throw Error(ErrorKind::kUsage, "teardown", info->id,
                  fmt::format("the stack has no tag {}={}: crossunload did not create it",
                              kStackTag, stack))
          .with_hint(
              "teardown deletes only stacks deployed with that tag (docs/deploy.md); "
              "delete this one yourself if it is yours");
    }
    resources = cfn.list_resources(stack);
    fmt::print(out, "  stack {} ({}): delete it and its {} resources\n", stack, info->status,
               resources.size());
    for (const auto& r : resources) {
      fmt::print(out, "    {:<36} {}\n", r.type,
                 r.physical_id.empty() ? r.logical_id : r.physical_id);
    }
  }

  // The state machine's running executions (via = "data-api"): stopped before the stack
  // goes, so that deleting the state machine does not wait for their next transition.
  std::optional<StepFunctions> sfn;
  std::vector<std::string> executions;
  if (dev && p.data_api && info) {
    sfn.emplace(endpoint_for("states", p, env, cfg), creds);
    executions = sfn->running_executions(p.state_machine_arn());
    fmt::print(out,
               "  state machine {}: stop {} running executions (the statements they submitted "
               "run on until they end)\n",
               p.state_machine_arn(), executions.size());
    for (const auto& x : executions) {
      fmt::print(out, "    {}\n", x);
    }
  }

  std::vector<ObjectVersion> versions;
  std::optional<S3Versions> s3;
  std::unique_ptr<aws::S3Client> uploads_client;
  std::vector<aws::MultipartUploadInfo> uploads;
  if (dev) {
    const std::string where = aws::s3_url(p.bucket, p.prefix);
    if (p.prefix.empty()) {
      fmt::print(out,
                 "  data {}: left alone (no prefix: crossunload never empties a whole bucket)\n",
                 where);
    } else {
      bool custom = false;
      aws::ServiceEndpoint ep = endpoint_for("s3", p, env, cfg, &custom);
      s3.emplace(ep, creds, custom || p.bucket.find('.') != std::string::npos);
      versions = s3->list(p.bucket, p.prefix);
      std::uint64_t bytes = 0;
      std::size_t markers = 0;
      for (const auto& v : versions) {
        bytes += v.size;
        markers += v.delete_marker;
      }
      fmt::print(out, "  data {}: delete {} object versions and {} delete markers ({} bytes)\n",
                 where, versions.size() - markers, markers, bytes);
      // What a run killed mid-write leaves: incomplete multipart uploads, never objects.
      aws::S3Options so;
      so.region = ep.region;
      so.endpoint_url = custom ? ep.endpoint : std::string();
      so.force_path_style = p.bucket.find('.') != std::string::npos;
      uploads_client = std::make_unique<aws::S3Client>(so, creds);
      uploads = uploads_client->list_multipart_uploads(p.bucket, p.prefix);
      fmt::print(out, "  uploads {}: abort {} incomplete multipart uploads\n", where,
                 uploads.size());
      for (const auto& u : uploads) {
        fmt::print(out, "    {} (started {})\n", aws::s3_url(p.bucket, u.key), u.initiated);
      }
    }
    if (p.kms_key_arn) {
      fmt::print(out, "  KMS key {}: left alone (not created by crossunload)\n", *p.kms_key_arn);
    }
  } else if (!p.create_secret) {
    fmt::print(out, "  secret {}: left alone (not created by crossunload)\n", p.secret_name());
  }
  fmt::print(out, "  VPC peering: left alone (not created by crossunload)\n");
  if (options.dry_run) {
    return 0;
  }

  // 2. Act: executions and data first (the stack's roles are not needed for them), then
  // the stack.
  for (const auto& x : executions) {
    sfn->stop_execution(x, "crossunload teardown of " + stack);
  }
  if (!executions.empty()) {
    fmt::print(out, "stopped {} running executions of {}\n", executions.size(),
               p.state_machine_arn());
  }
  for (const auto& u : uploads) {
    uploads_client->abort_multipart_upload(p.bucket, u.key, u.upload_id);
  }
  if (!uploads.empty()) {
    fmt::print(out, "aborted {} incomplete multipart uploads under {}\n", uploads.size(),
               aws::s3_url(p.bucket, p.prefix));
  }
  if (s3 && !versions.empty()) {
    s3->remove(p.bucket, versions);
    fmt::print(out, "deleted {} versions under {}\n", versions.size(),
               aws::s3_url(p.bucket, p.prefix));
  }
  if (info) {
    cfn.delete_stack(stack);
    fmt::print(out, "deleting stack {}", stack);
    std::fflush(out);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(options.wait_seconds);
    for (;;) {
      std::optional<StackInfo> now = cfn.describe_stack(stack);
      if (!now) {
        break;
      }
      if (now->status == "DELETE_FAILED") {
        throw Error(ErrorKind::kOther, "delete stack", now->id,
                    fmt::format("DELETE_FAILED: {}", now->status_reason))
            .with_hint("fix what the reason names and run teardown again (it is safe to re-run)");
      }
      if (std::chrono::steady_clock::now() > until) {
        throw Error(ErrorKind::kOther, "delete stack", now->id,
                    fmt::format("still {} after {} s", now->status, options.wait_seconds))
            .with_hint("run teardown again later (it is safe to re-run)");
      }
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    fmt::print(out, ": deleted\n");
  }
  fmt::print(out, "teardown of {} complete\n", stack);
  return 0;
}

}  // namespace cu::infra
