#include "aws/context.h"

#include "aws/endpoints.h"
#include "base/error.h"

namespace cu::aws {

AwsContext::AwsContext(aws::Environment env, const std::optional<std::string>& region)
    : env_(std::move(env)), config_(aws::SharedConfig::load(env_)) {
  region_ = region.value_or(aws::resolve_region(env_, config_));
}

const std::string& AwsContext::region() const {
  if (region_.empty()) {
    throw Error(ErrorKind::kUsage, "configure", "region", "no AWS region is configured")
        .with_hint("set `region` in the job file, --region, AWS_REGION, or a profile's region");
  }
  return region_;
}

aws::CredentialsProviderPtr AwsContext::own() {
  if (!own_) {
    aws::ChainOptions options;
    options.assume_role = aws::sts_assume_role(env_, config_);
    own_ = aws::default_chain(env_, options);
  }
  return own_;
}

std::shared_ptr<aws::RoleChainProvider> AwsContext::assume(
    aws::CredentialsProviderPtr source, std::vector<aws::AssumeRoleRequest> hops) {
  return aws::role_chain(std::move(source), std::move(hops),
                         {.region = region(), .endpoint_url = endpoint_url("sts")});
}

std::string AwsContext::endpoint_url(const char* service) const {
  aws::ResolvedEndpoint e = aws::resolve_endpoint(service, region(), env_, config_);
  return e.configured ? e.url : std::string();
}

aws::StsClient AwsContext::sts(aws::CredentialsProviderPtr credentials) const {
  return aws::StsClient(aws::sts_endpoint(region(), endpoint_url("sts")), std::move(credentials));
}

aws::SecretsManagerClient AwsContext::secrets_manager(
    aws::CredentialsProviderPtr credentials) const {
  return aws::SecretsManagerClient(
      aws::secretsmanager_endpoint(region(), endpoint_url("secretsmanager")),
      std::move(credentials));
}

aws::GlueClient AwsContext::glue(aws::CredentialsProviderPtr credentials) const {
  return aws::GlueClient(aws::glue_endpoint(region(), endpoint_url("glue")),
                         std::move(credentials));
}

std::unique_ptr<aws::S3Client> AwsContext::s3(
    aws::CredentialsProviderPtr credentials,
    const std::optional<std::string>& bucket_region) const {
  aws::S3Options o;
  o.region = bucket_region.value_or(region());
  o.endpoint_url = endpoint_url("s3");
  return std::make_unique<aws::S3Client>(o, std::move(credentials));
}

}  // namespace cu::aws
