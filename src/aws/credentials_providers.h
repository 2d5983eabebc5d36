#pragma once
// The individual credential sources default_chain() (credentials.h) is made of, for callers
// that want one source only (tests, `whoami --profile`), and the caching wrapper that keeps
// temporary credentials fresh.
//
//   auto imds = cu::aws::caching(cu::aws::imds_credentials(env, cu::aws::default_http_fetch()));
//   cu::aws::Credentials c = imds->get();  // fetched once, refreshed 5 min before expiry
//
// Factories return nullptr when their source is not configured at all (no variables, no
// profile settings) and throw cu::Error (kUsage) when it is configured wrongly; get()
// throws kAccess when the source is configured but yields nothing.

#include <chrono>
#include <string>
#include <vector>

#include "aws/config_file.h"
#include "aws/credentials.h"

namespace cu::aws {

// Caches what `inner` returns; calls it again when the cached credentials expire within
// `margin` (never for long-term keys). If a refresh fails while the cached credentials are
// still valid, they are kept and a warning is logged. Thread-safe; one refresh at a time.
CredentialsProviderPtr caching(CredentialsProviderPtr inner,
                               std::chrono::seconds margin = std::chrono::minutes(5),
                               Clock clock = {});

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (or the older
// AWS_SECURITY_TOKEN); AWS_CREDENTIAL_EXPIRATION when set. nullptr when unset; kUsage when
// only one of the key id and the secret is set.
CredentialsProviderPtr environment_credentials(const Environment& env);

// aws_access_key_id / aws_secret_access_key / aws_session_token of one profile; nullptr
// when the profile has no key id.
CredentialsProviderPtr profile_static_credentials(const Profile& profile);

// Runs `command` (a credential_process line, split like a POSIX shell would split words but
// executed without a shell) and reads its JSON: {"Version": 1, "AccessKeyId", "SecretAccessKey",
// "SessionToken", "Expiration"}. Not cached: wrap in caching().
CredentialsProviderPtr process_credentials(std::string command, std::string description);
// The word splitting used by process_credentials (quotes ' and ", backslash escapes).
std::vector<std::string> split_command(std::string_view command);

// Container credentials (ECS, Lambda, EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
// (on http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a
// loopback address / the ECS and EKS link-local hosts), with the Authorization header from
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every fetch) or
// AWS_CONTAINER_AUTHORIZATION_TOKEN. nullptr when neither URI is set. Not cached.
CredentialsProviderPtr container_credentials(const Environment& env, HttpFetch fetch);

// EC2 instance metadata, IMDSv2 only: PUT a session token, GET the role name, GET its
// credentials. AWS_EC2_METADATA_SERVICE_ENDPOINT or _ENDPOINT_MODE=IPv6 choose the endpoint;
// nullptr when AWS_EC2_METADATA_DISABLED is true. Not cached.
CredentialsProviderPtr imds_credentials(const Environment& env, HttpFetch fetch);

// Assumes a role with the credentials of `source`, through `assume_role`. Not cached.
CredentialsProviderPtr assume_role_credentials(CredentialsProviderPtr source, AssumeRoleCall call,
                                               AssumeRoleFn assume_role);

// The credentials of one profile, as the shared-files step of the chain resolves them:
// role_arn (with source_profile, followed through any number of profiles, or
// credential_source), static keys, credential_process. nullptr when the profile has no
// credential settings; kUsage for a missing profile, a cycle, or an unsupported kind (SSO,
// web identity). Temporary credentials are wrapped in caching().
CredentialsProviderPtr profile_credentials(const Environment& env, const SharedConfig& config,
                                           const std::string& profile, const ChainOptions& options);

// Parses a credentials JSON document (credential_process, container and instance metadata
// answers; the token is "SessionToken" or "Token"). Registers the secrets. Throws kAccess
// naming `source` (never the document) when a field is missing.
Credentials parse_credentials_json(std::string_view json, const std::string& source);

}  // namespace cu::aws
