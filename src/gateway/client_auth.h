#pragma once
// Client authentication in the gateway: the password file (`--password-file`) and the
// authentication messages of the PostgreSQL protocol the gateway reads and writes itself
// (AuthenticationSASL/SASLContinue/SASLFinal, SASLInitialResponse, SASLResponse).
//
// The password file holds one `user:verifier` line per role, the verifier in PostgreSQL's
// stored format, as `select rolname || ':' || rolpassword from pg_authid` prints it:
//
//   # crossunload gateway --password-file (mode 0600)
//   etl:SCRAM-SHA-256$4096:c2FsdHNhbHQ=$…:…
//
//   auto pw = cu::gateway::PasswordFile::load("/etc/crossunload/gateway.passwords");
//   if (const cu::gateway::scram::Verifier* v = pw.find("etl")) { … }

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/scram.h"
#include "pg/wire_protocol.h"

namespace cu::gateway {

class PasswordFile {
 public:
  // Reads the file. Throws cu::Error(kUsage, "gateway --password-file", path, …) when it
  // cannot be read, may be read by group or others, has a malformed line (named by its
  // number; a line's content is never quoted), or holds no user.
  static PasswordFile load(const std::string& path);

  // The verifier of `user`, or null.
  const scram::Verifier* find(std::string_view user) const;
  size_t size() const { return users_.size(); }

 private:
  std::map<std::string, scram::Verifier, std::less<>> users_;
};

// ---- Authentication messages ----

// Codes of the Authentication ('R') message.
namespace auth {
inline constexpr uint32_t kOk = 0;
inline constexpr uint32_t kCleartextPassword = 3;
inline constexpr uint32_t kMd5Password = 5;
inline constexpr uint32_t kGss = 7;
inline constexpr uint32_t kGssContinue = 8;
inline constexpr uint32_t kSspi = 9;
inline constexpr uint32_t kSasl = 10;
inline constexpr uint32_t kSaslContinue = 11;
inline constexpr uint32_t kSaslFinal = 12;
}  // namespace auth

// The code of an Authentication message and the data after it. Throw scram::ProtocolError
// on a short message.
uint32_t authentication_code(const pg::wire::Message& m);
std::string_view authentication_data(const pg::wire::Message& m);
// The mechanisms an AuthenticationSASL offers.
std::vector<std::string> sasl_mechanisms(const pg::wire::Message& m);

std::string authentication_sasl(const std::vector<std::string_view>& mechanisms);
std::string authentication_sasl_continue(std::string_view data);
std::string authentication_sasl_final(std::string_view data);

struct SaslInitialResponse {
  std::string_view mechanism, data;
};
// Throws scram::ProtocolError when malformed.
SaslInitialResponse parse_sasl_initial_response(const pg::wire::Message& m);
std::string sasl_initial_response(std::string_view mechanism, std::string_view data);
std::string sasl_response(std::string_view data);

}  // namespace cu::gateway
