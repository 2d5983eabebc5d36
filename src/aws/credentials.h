#pragma once
// AWS credentials and the providers that produce them (environment, shared files, role
// profiles, credential_process, container, IMDSv2, STS role chains). A provider caches
// temporary credentials and refreshes them ahead of expiry, so a run longer than a role
// session keeps working: call get() before each request, never keep a copy for long.
//
//   auto provider = cu::aws::default_chain(cu::aws::Environment::from_process());
//   cu::aws::Credentials c = provider->get();

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace cu::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // secret: registered with cu::register_secret when read
  std::string session_token;      // secret; empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;  // none = long-term
  std::string source;  // where they came from, for messages: "environment", "profile dev", …

  bool empty() const { return access_key_id.empty(); }
  // True when they expire within `margin` of `now` (never for long-term keys).
  bool expires_within(std::chrono::seconds margin,
                      std::chrono::system_clock::time_point now =
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

// Fixed credentials (explicit keys, tests).
CredentialsProviderPtr static_credentials(Credentials c);

}  // namespace cu::aws
