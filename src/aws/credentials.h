#pragma once
// AWS credentials and the providers that produce them (environment, shared files, role
// profiles, credential_process, container, IMDSv2, STS role chains). A provider caches
// temporary credentials and refreshes them ahead of expiry, so a run longer than a role
// session keeps working: call get() before each request, never keep a copy for long.
//
//   auto provider = cu::aws::default_chain(cu::aws::Environment::from_process());
//   cu::aws::Credentials c = provider->get();

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aws/config_file.h"

namespace cu::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // secret: registered with cu::register_secret when read
  std::string session_token;      // secret; empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;  // none = long-term
  std::string source;  // where they came from, for messages: "environment", "profile dev", …

  bool empty() const { return access_key_id.empty(); }
  // True when they expire within `margin` of `now` (never for long-term keys).
  bool expires_within(std::chrono::seconds margin, std::chrono::system_clock::time_point now =
                                                       std::chrono::system_clock::now()) const {
    return expiration && *expiration - margin <= now;
  }
};

// Produces credentials; thread-safe. Implementations cache and refresh temporary ones.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Current credentials; throws cu::Error (kind kAccess or kUsage) naming the provider.
  virtual Credentials get() = 0;
  // One line for messages and `whoami`: "environment", "assume role arn:… via profile dev".
  virtual std::string describe() const = 0;
};

using CredentialsProviderPtr = std::shared_ptr<CredentialsProvider>;

// Fixed credentials (explicit keys, tests). The secret and token are registered as secrets.
CredentialsProviderPtr static_credentials(Credentials c);

// --- What the default chain needs from outside, injectable for tests -----------------------

// A plain HTTP exchange with a credentials endpoint (container, EC2 instance metadata).
// Throws (any std::exception) when no response arrives.
struct FetchRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{1000};
};
struct FetchResponse {
  long status = 0;
  std::string body;
};
using HttpFetch = std::function<FetchResponse(const FetchRequest&)>;
// libcurl (HttpClient), no retries, the request's timeout for connect and transfer.
HttpFetch default_http_fetch();

// One sts:AssumeRole for a role profile: the source credentials and the profile's role
// settings. Returns temporary credentials (with an expiration).
struct AssumeRoleCall {
  Credentials source;
  std::string source_description;  // "profile base", for messages
  std::string role_arn;
  std::string session_name;  // role_session_name; empty: the STS client's default
  std::string external_id;
  std::optional<int> duration_seconds;
  std::string region;  // the region resolved for the selected profile; empty: none set
};
using AssumeRoleFn = std::function<Credentials(const AssumeRoleCall&)>;

using Clock = std::function<std::chrono::system_clock::time_point()>;

struct ChainOptions {
  Credentials explicit_credentials;          // used alone when set (--access-key-id…)
  std::optional<std::string> profile;        // --profile: beats AWS_PROFILE, skips environment keys
  HttpFetch fetch;                           // empty: default_http_fetch()
  AssumeRoleFn assume_role;                  // empty: sts_assume_role(env, config)
  std::chrono::seconds refresh_margin{300};  // refresh temporary credentials this early
  Clock clock;                               // empty: system_clock::now
};

// The credential chain of the AWS SDKs: explicit -> environment (AWS_ACCESS_KEY_ID…) ->
// shared files (the selected profile: static keys, role_arn with source_profile or
// credential_source, credential_process) -> container (AWS_CONTAINER_CREDENTIALS_*_URI) ->
// EC2 instance metadata (IMDSv2, unless AWS_EC2_METADATA_DISABLED). The first source that
// is configured is used; its errors are not hidden by trying the next. When nothing is
// found, get() throws kAccess listing what was tried. Configuration errors (a malformed
// file, a missing AWS_PROFILE profile, a role cycle) throw kUsage from here.
CredentialsProviderPtr default_chain(const Environment& env, const ChainOptions& options = {});

}  // namespace cu::aws
