#pragma once
// SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it, as pure computation: no I/O.
// The gateway authenticates its clients with verifiers in PostgreSQL's stored format
// (pg_authid.rolpassword) and, when the upstream asks for SCRAM too, logs in to it with the
// ClientKey the client's proof revealed — which works when the gateway's verifier is the
// upstream's own (same salt and iteration count), as PgBouncer does.
//
//   auto v = cu::gateway::scram::parse_verifier("SCRAM-SHA-256$4096:c2FsdA==$…:…");
//   cu::gateway::scram::ServerExchange server(*v);
//   std::string server_first = server.first(client_first);   // from SASLInitialResponse
//   if (!server.final(client_final)) refuse();                  // from SASLResponse
//   send(server.server_final());                               // AuthenticationSASLFinal
//   cu::gateway::scram::ClientExchange up(server.client_key(), *v);
//   std::string c1 = up.first();  …  up.final(server_first_from_upstream)  …  up.verify(v)
//
// Channel binding is not offered (the mechanism is plain SCRAM-SHA-256); a client that
// supports it says so with the "y" flag, which is accepted. Passwords are not SASLprep'd
// by make_verifier (PostgreSQL's own verifiers are the ones to use).

#include <optional>
#include <string>
#include <string_view>

namespace cu::gateway::scram {

inline constexpr std::string_view kMechanism = "SCRAM-SHA-256";

// "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>", the fields base64; held here
// as raw bytes.
struct Verifier {
  int iterations = 0;
  std::string salt, stored_key, server_key;
};

// nullopt when `text` is not a well-formed SCRAM-SHA-256 verifier.
std::optional<Verifier> parse_verifier(std::string_view text);
std::string format_verifier(const Verifier& v);
// The verifier of `password` with this salt and iteration count (PBKDF2-HMAC-SHA256), and
// the ClientKey a client derives from the password (what a proof reveals).
Verifier make_verifier(std::string_view password, std::string_view salt, int iterations);
std::string client_key(std::string_view password, std::string_view salt, int iterations);

// A malformed or unexpected SCRAM message (the exchange cannot go on).
struct ProtocolError {
  std::string message;
};

// The server side of one exchange. A ServerExchange made with `unknown_user()` runs the
// same exchange and always fails, so a client cannot tell unknown users from wrong
// passwords (PostgreSQL does the same).
class ServerExchange {
 public:
  explicit ServerExchange(Verifier v, std::string server_nonce = {});  // {}: random
  static ServerExchange unknown_user(std::string_view user);

  // client-first-message -> server-first-message. Throws ProtocolError.
  std::string first(std::string_view client_first);
  // client-final-message: true when the proof is right. Throws ProtocolError.
  bool final(std::string_view client_final);
  // server-final-message ("v=…"), after final() returned true.
  const std::string& server_final() const { return server_final_; }
  // The client's ClientKey, recovered from its proof; after final() returned true.
  const std::string& client_key() const { return client_key_; }
  const Verifier& verifier() const { return v_; }

 private:
  Verifier v_;
  bool known_ = true;
  std::string nonce_, client_first_bare_, server_first_, gs2_header_;
  std::string server_final_, client_key_;
};

// The client side of one exchange, knowing the ClientKey rather than the password.
class ClientExchange {
 public:
  ClientExchange(std::string client_key, Verifier v, std::string client_nonce = {});

  // client-first-message ("n,,n=,r=…": PostgreSQL takes the user from the startup packet).
  std::string first();
  // server-first-message -> client-final-message. Throws ProtocolError, also when the
  // server's salt or iteration count differ from the verifier's (ClientKey is then useless).
  std::string final(std::string_view server_first);
  // server-final-message: true when the server proved it knows the verifier.
  bool verify(std::string_view server_final) const;

 private:
  std::string client_key_;
  Verifier v_;
  std::string nonce_, client_first_bare_, auth_message_;
};

}  // namespace cu::gateway::scram
