// `crossunload whoami` — prints the AWS identity of the credentials in use, then assumes the
// given roles one after the other and prints the identity after each hop. The first thing
// to run when cross-account access fails: the failing hop is named, with AWS's code and
// request id.
#include <fmt/format.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "aws/config_file.h"
#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/error.h"
#include "aws/names.h"
#include "aws/role_chain.h"
#include "aws/sts.h"
#include "base/error.h"
#include "cli/commands.h"
#include "unload/validate.h"

namespace cu::cli {
namespace {

struct WhoamiOptions {
  std::vector<std::string> role_arns;
  std::vector<std::string> external_ids;
  std::string region;
  std::string profile;
  std::string session_name;
};

std::string utc(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void print_identity(const aws::CallerIdentity& id) {
  fmt::print("  account  {}\n  arn      {}\n", id.account, id.arn);
}

int run_whoami(const WhoamiOptions& o) {
  using namespace cu::aws;
  if (!o.external_ids.empty() && o.external_ids.size() != 1 &&
      o.external_ids.size() != o.role_arns.size()) {
    throw Error(ErrorKind::kUsage, "whoami", "",
                fmt::format("{} --external-id for {} --role-arn", o.external_ids.size(),
                            o.role_arns.size()))
        .with_hint("give one --external-id for every hop, or one for all hops");
  }
  // The chain a job would use: IAM role ARNs, at most Redshift's number of hops.
  if (o.role_arns.size() > unload::kMaxRoleChain) {
    throw Error(ErrorKind::kUsage, "whoami", "--role-arn",
                fmt::format("the role chain has {} roles; at most {} roles can be chained",
                            o.role_arns.size(), unload::kMaxRoleChain));
  }
  for (std::size_t i = 0; i < o.role_arns.size(); ++i) {
    if (!is_role_arn(o.role_arns[i])) {
      throw Error(ErrorKind::kUsage, "whoami", fmt::format("--role-arn {}", i + 1),
                  fmt::format("'{}' is not an IAM role ARN", o.role_arns[i]))
          .with_hint("expected arn:<partition>:iam::<12-digit account>:role/<name>");
    }
  }

  Environment env = Environment::from_process();
  std::optional<std::string> profile;
  if (!o.profile.empty()) {
    profile = o.profile;
  }
  SharedConfig config = SharedConfig::load(env, profile);
  std::string region =
      aws::region_or_default(o.region.empty() ? resolve_region(env, config) : o.region);
  ResolvedEndpoint ep = resolve_endpoint("sts", region, env, config);
  ServiceEndpoint sts_ep{ep.signing_name, ep.region, ep.url};

  ChainOptions chain;
  chain.profile = profile;
  chain.assume_role = sts_assume_role(env, config);
  CredentialsProviderPtr current = default_chain(env, chain);

  fmt::print("credentials  {}\n", current->describe());
  if (ep.configured) {
    fmt::print("sts endpoint {} ({})\n", ep.url, ep.origin);
  }
  CallerIdentity id = StsClient(sts_ep, current).get_caller_identity();
  print_identity(id);

  std::string caller = id.arn;
  for (std::size_t i = 0; i < o.role_arns.size(); ++i) {
    AssumeRoleRequest req;
    req.role_arn = o.role_arns[i];
    if (!o.external_ids.empty()) {
      req.external_id = o.external_ids.size() == 1 ? o.external_ids[0] : o.external_ids[i];
    }
    req.session_name = o.session_name;
    std::string step = fmt::format("hop {} of {}: assume role", i + 1, o.role_arns.size());
    fmt::print("hop {}        assume role {}{}\n", i + 1, req.role_arn,
               req.external_id.empty() ? "" : " with external id");
    AssumedRole assumed;
    try {
      assumed = StsClient(sts_ep, current).assume_role(req, caller);
    } catch (const AwsError& e) {
      throw AwsError(e.kind(), step, e.resource(), e.info());
    }
    current = fixed_credentials(assumed.credentials, assumed.assumed_role_arn);
    try {
      id = StsClient(sts_ep, current).get_caller_identity();
    } catch (const AwsError& e) {
      throw AwsError(e.kind(), fmt::format("hop {}: get caller identity", i + 1), e.resource(),
                     e.info());
    }
    print_identity(id);
    if (assumed.credentials.expiration) {
      fmt::print("  expires  {}\n", utc(*assumed.credentials.expiration));
    }
    caller = id.arn;
  }
  return 0;
}

}  // namespace

void add_whoami(CLI::App& app, Runner& selected) {
  auto opts = std::make_shared<WhoamiOptions>();
  auto* cmd = app.add_subcommand(
      "whoami",
      "Print the AWS identity of the credentials in use, then after each hop of a role chain");
  cmd->add_option("--role-arn", opts->role_arns,
                  "Role to assume, in order; repeat for a chain (each hop uses the previous "
                  "hop's credentials)");
  cmd->add_option("--external-id", opts->external_ids,
                  "External id for the AssumeRole calls: once for every hop, or once per hop");
  cmd->add_option("--region", opts->region,
                  "Region of the STS endpoint (default: AWS_REGION, "
                  "profile region, us-east-1)");
  cmd->add_option("--profile", opts->profile, "Profile of ~/.aws/config to start from");
  cmd->add_option("--role-session-name", opts->session_name,
                  "Session name for the AssumeRole calls (default crossunload-<time>)");
  cmd->footer(
      "Example:\n"
      "  crossunload whoami --role-arn arn:aws:iam::222222222222:role/SM-Read-Role \\\n"
      "      --external-id x-123 --role-arn arn:aws:iam::111111111111:role/S3-Write-Role");
  cmd->callback([&selected, opts] { selected = [opts] { return run_whoami(*opts); }; });
}

}  // namespace cu::cli
