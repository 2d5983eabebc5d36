#include "aws/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aws/sigv4.h"
#include "base/error.h"

namespace cu::aws {

namespace {

[[noreturn]] void fail(const char* what) {
  throw cu::Error(cu::ErrorKind::kOther, "hash", "OpenSSL", std::string(what) + " failed");
}

}  // namespace

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    fail("EVP_Digest(SHA-256)");
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len) == nullptr) {
    fail("HMAC-SHA256");
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    fail("EVP_DigestInit(SHA-256)");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) {
    fail("EVP_DigestUpdate");
  }
}

std::string Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, md, &len) != 1) {
    fail("EVP_DigestFinal");
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace cu::aws
