#include "gateway/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>
#include <vector>

#include "aws/crypto.h"
#include "aws/secrets.h"

namespace cu::gateway::scram {
namespace {

constexpr size_t kKeyLength = 32;  // SHA-256

std::string b64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> unb64(std::string_view text) {
  try {
    return aws::base64_decode(text);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("no random bytes from OpenSSL");
  }
  return out;
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a);
  for (size_t i = 0; i < out.size() && i < b.size(); ++i) {
    out[i] = static_cast<char>(out[i] ^ b[i]);
  }
  return out;
}

bool same_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t comma = s.find(',');
    out.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) {
      return out;
    }
    s.remove_prefix(comma + 1);
  }
}

// The value of attribute `name` ("r" in "r=abc"), or a ProtocolError.
std::string_view attribute(std::string_view item, char name, std::string_view what) {
  if (item.size() < 2 || item[0] != name || item[1] != '=') {
    throw ProtocolError{std::string("malformed SCRAM ") + std::string(what)};
  }
  return item.substr(2);
}

}  // namespace

std::optional<Verifier> parse_verifier(std::string_view text) {
  // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
  std::string_view prefix = "SCRAM-SHA-256$";
  if (text.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  text.remove_prefix(prefix.size());
  size_t colon = text.find(':');
  size_t dollar = text.find('$');
  if (colon == std::string_view::npos || dollar == std::string_view::npos || dollar < colon) {
    return std::nullopt;
  }
  Verifier v;
  std::string_view iter = text.substr(0, colon);
  auto [end, ec] = std::from_chars(iter.data(), iter.data() + iter.size(), v.iterations);
  if (ec != std::errc() || end != iter.data() + iter.size() || v.iterations <= 0) {
    return std::nullopt;
  }
  std::string_view keys = text.substr(dollar + 1);
  size_t key_colon = keys.find(':');
  if (key_colon == std::string_view::npos) {
    return std::nullopt;
  }
  auto salt = unb64(text.substr(colon + 1, dollar - colon - 1));
  auto stored = unb64(keys.substr(0, key_colon));
  auto server = unb64(keys.substr(key_colon + 1));
  if (!salt || salt->empty() || !stored || stored->size() != kKeyLength || !server ||
      server->size() != kKeyLength) {
    return std::nullopt;
  }
  v.salt = *salt;
  v.stored_key = *stored;
  v.server_key = *server;
  return v;
}

std::string format_verifier(const Verifier& v) {
  return "SCRAM-SHA-256$" + std::to_string(v.iterations) + ":" + b64(v.salt) + "$" +
         b64(v.stored_key) + ":" + b64(v.server_key);
}

namespace {
std::string salted_password(std::string_view password, std::string_view salt, int iterations) {
  std::string salted(kKeyLength, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(kKeyLength),
                        reinterpret_cast<unsigned char*>(salted.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return salted;
}
}  // namespace

Verifier make_verifier(std::string_view password, std::string_view salt, int iterations) {
  std::string salted = salted_password(password, salt, iterations);
  Verifier v;
  v.iterations = iterations;
  v.salt = std::string(salt);
  v.stored_key = aws::sha256(aws::hmac_sha256(salted, "Client Key"));
  v.server_key = aws::hmac_sha256(salted, "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  return v;
}

std::string client_key(std::string_view password, std::string_view salt, int iterations) {
  std::string salted = salted_password(password, salt, iterations);
  std::string key = aws::hmac_sha256(salted, "Client Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  return key;
}

ServerExchange::ServerExchange(Verifier v, std::string server_nonce)
    : v_(std::move(v)), nonce_(std::move(server_nonce)) {
  if (nonce_.empty()) {
    nonce_ = b64(random_bytes(18));
  }
}

ServerExchange ServerExchange::unknown_user(std::string_view user) {
  // A salt that is stable per user name (as a real one would be), keys nobody knows.
  static const std::string secret = random_bytes(kKeyLength);
  Verifier v;
  v.iterations = 4096;
  v.salt = aws::hmac_sha256(secret, user).substr(0, 16);
  v.stored_key = random_bytes(kKeyLength);
  v.server_key = random_bytes(kKeyLength);
  ServerExchange e(std::move(v));
  e.known_ = false;
  return e;
}

std::string ServerExchange::first(std::string_view client_first) {
  // gs2-header "n,," or "y,," (no channel binding, no authzid), then the bare message.
  if (client_first.size() < 3 || (client_first[0] != 'n' && client_first[0] != 'y') ||
      client_first[1] != ',') {
    throw ProtocolError{client_first.substr(0, 2) == "p="
                            ? "SCRAM channel binding is not supported by this server"
                            : "malformed SCRAM client-first-message"};
  }
  if (client_first[2] != ',') {
    throw ProtocolError{"SCRAM authorization identity is not supported"};
  }
  gs2_header_ = std::string(client_first.substr(0, 3));
  client_first_bare_ = std::string(client_first.substr(3));
  auto items = split_commas(client_first_bare_);
  if (items.size() < 2) {
    throw ProtocolError{"malformed SCRAM client-first-message"};
  }
  attribute(items[0], 'n', "client-first-message");  // PostgreSQL ignores the name
  std::string_view client_nonce = attribute(items[1], 'r', "client-first-message");
  if (client_nonce.empty()) {
    throw ProtocolError{"malformed SCRAM client-first-message"};
  }
  nonce_ = std::string(client_nonce) + nonce_;
  server_first_ = "r=" + nonce_ + ",s=" + b64(v_.salt) + ",i=" + std::to_string(v_.iterations);
  return server_first_;
}

bool ServerExchange::final(std::string_view client_final) {
  size_t p = client_final.rfind(",p=");
  if (p == std::string_view::npos || server_first_.empty()) {
    throw ProtocolError{"malformed SCRAM client-final-message"};
  }
  std::string_view without_proof = client_final.substr(0, p);
  auto items = split_commas(without_proof);
  if (items.size() < 2) {
    throw ProtocolError{"malformed SCRAM client-final-message"};
  }
  auto binding = unb64(attribute(items[0], 'c', "client-final-message"));
  if (!binding || *binding != gs2_header_) {
    throw ProtocolError{"SCRAM channel binding check failed"};
  }
  if (attribute(items[1], 'r', "client-final-message") != nonce_) {
    throw ProtocolError{"SCRAM nonce does not match"};
  }
  auto proof = unb64(client_final.substr(p + 3));
  if (!proof || proof->size() != kKeyLength) {
    throw ProtocolError{"malformed SCRAM proof"};
  }
  std::string auth = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  std::string client_key = xor_bytes(*proof, aws::hmac_sha256(v_.stored_key, auth));
  if (!known_ || !same_bytes(aws::sha256(client_key), v_.stored_key)) {
    return false;
  }
  client_key_ = std::move(client_key);
  server_final_ = "v=" + b64(aws::hmac_sha256(v_.server_key, auth));
  return true;
}

ClientExchange::ClientExchange(std::string client_key, Verifier v, std::string client_nonce)
    : client_key_(std::move(client_key)), v_(std::move(v)), nonce_(std::move(client_nonce)) {
  if (nonce_.empty()) {
    nonce_ = b64(random_bytes(18));
  }
}

std::string ClientExchange::first() {
  client_first_bare_ = "n=,r=" + nonce_;
  return "n,," + client_first_bare_;
}

std::string ClientExchange::final(std::string_view server_first) {
  auto items = split_commas(server_first);
  if (items.size() < 3) {
    throw ProtocolError{"malformed SCRAM server-first-message"};
  }
  std::string_view nonce = attribute(items[0], 'r', "server-first-message");
  auto salt = unb64(attribute(items[1], 's', "server-first-message"));
  std::string_view iter = attribute(items[2], 'i', "server-first-message");
  if (nonce.size() <= nonce_.size() || nonce.substr(0, nonce_.size()) != nonce_ || !salt) {
    throw ProtocolError{"malformed SCRAM server-first-message"};
  }
  int iterations = 0;
  std::from_chars(iter.data(), iter.data() + iter.size(), iterations);
  if (*salt != v_.salt || iterations != v_.iterations) {
    throw ProtocolError{
        "the upstream's SCRAM salt and iteration count for this user differ from the "
        "gateway's verifier"};
  }
  std::string without_proof = "c=biws,r=" + std::string(nonce);
  auth_message_ = client_first_bare_ + "," + std::string(server_first) + "," + without_proof;
  std::string proof = xor_bytes(client_key_, aws::hmac_sha256(v_.stored_key, auth_message_));
  return without_proof + ",p=" + b64(proof);
}

bool ClientExchange::verify(std::string_view server_final) const {
  if (server_final.substr(0, 2) != "v=" || auth_message_.empty()) {
    return false;
  }
  auto signature = unb64(server_final.substr(2));
  return signature && same_bytes(*signature, aws::hmac_sha256(v_.server_key, auth_message_));
}

}  // namespace cu::gateway::scram
