#pragma once
// Shared by the AWS integration tests: the moto endpoint from the stack (a missing one is a
// failure, never a skip), the two-account world made by aws_moto_setup.py, and an
// independent SHA-256 (OpenSSL directly, not our signer's helper).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "aws/role_chain.h"

namespace cu::aws::testing {

inline std::string moto_endpoint() {
  const char* e = std::getenv("CU_MOTO_ENDPOINT");
  if (!e || !*e) {
    ADD_FAILURE() << "CU_MOTO_ENDPOINT is not set: run this test through scripts/test (it starts "
                     "moto_server and exports the address)";
    return "";
  }
  return e;
}

inline std::string random_suffix() {
  std::random_device rd;
  return std::to_string(rd() % 1000000000u);
}

// Runs aws_moto_setup.py; the JSON it prints.
inline nlohmann::json setup_world(const std::string& endpoint, const std::string& suffix) {
  std::string cmd =
      "python3 " CU_SOURCE_DIR "/tests/integration/aws_moto_setup.py " + endpoint + " " + suffix;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {};
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) {
    ADD_FAILURE() << "aws_moto_setup.py failed (" << rc << "): " << out;
    return {};
  }
  return nlohmann::json::parse(out);
}

inline std::string sha256_of(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < len; ++i) {
    s += hex[md[i] >> 4];
    s += hex[md[i] & 15];
  }
  return s;
}

// Incremental SHA-256 for streamed bodies.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  void update(std::string_view d) { EVP_DigestUpdate(ctx_, d.data(), d.size()); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    static const char* h = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < len; ++i) {
      s += h[md[i] >> 4];
      s += h[md[i] & 15];
    }
    return s;
  }

 private:
  EVP_MD_CTX* ctx_;
};

inline std::string pseudo_random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::uint64_t v = rng();
    std::memcpy(&s[i], &v, 8);
  }
  for (std::size_t i = n - n % 8; i < n; ++i) s[i] = static_cast<char>(rng());
  return s;
}

inline Credentials dev_user_credentials(const nlohmann::json& world) {
  Credentials c;
  c.access_key_id = world["access_key_id"];
  c.secret_access_key = world["secret_access_key"];
  c.source = "DEV user";
  return c;
}

}  // namespace cu::aws::testing
