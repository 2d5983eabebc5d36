#pragma once
// AwsContext — the AWS side of one job: the process environment and shared config files,
// the region, our own credentials (the SDKs' default chain) and the endpoints of the
// services the job calls (STS, Secrets Manager, S3), resolved once the way the AWS CLI
// would resolve them (AWS_ENDPOINT_URL_*, profiles). It makes clients for any identity:
//
//   aws::AwsContext aws(env, job.region);
//   auto prod = aws.assume(aws.own(), {{.role_arn = arn, .external_id = id}});
//   aws::SecretsManagerClient sm = aws.secrets_manager(prod);
//   aws::S3Client s3 = aws.s3(aws.own());

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/config_file.h"
#include "aws/credentials.h"
#include "aws/glue.h"
#include "aws/role_chain.h"
#include "aws/s3.h"
#include "aws/secrets.h"
#include "aws/sts.h"

namespace cu::aws {

class AwsContext {
 public:
  // `region`: the job's `region` key; otherwise the environment's / profile's region.
  AwsContext(aws::Environment env, const std::optional<std::string>& region);

  // The region for our own calls; throws kUsage when none is configured anywhere.
  const std::string& region() const;
  // Our own identity: the default credential chain (resolved lazily on first get()).
  aws::CredentialsProviderPtr own();
  // A provider that assumes `hops` one after the other starting from `source`.
  std::shared_ptr<aws::RoleChainProvider> assume(aws::CredentialsProviderPtr source,
                                                 std::vector<aws::AssumeRoleRequest> hops);

  aws::StsClient sts(aws::CredentialsProviderPtr credentials) const;
  aws::SecretsManagerClient secrets_manager(aws::CredentialsProviderPtr credentials) const;
  aws::GlueClient glue(aws::CredentialsProviderPtr credentials) const;
  std::unique_ptr<aws::S3Client> s3(aws::CredentialsProviderPtr credentials,
                                    const std::optional<std::string>& bucket_region = {}) const;

  const aws::Environment& env() const { return env_; }

 private:
  std::string endpoint_url(const char* service) const;  // "" = AWS's public endpoint

  aws::Environment env_;
  aws::SharedConfig config_;
  std::string region_;
  aws::CredentialsProviderPtr own_;
};

}  // namespace cu::aws
