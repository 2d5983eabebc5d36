#pragma once
// SHA-256 and HMAC-SHA256 over OpenSSL's EVP interface: the primitives SigV4 and S3
// (Content-MD5 aside) need. Raw digests are returned as byte strings; cu::hex
// (base/strings.h) turns them into the lowercase hex AWS expects.
//
//   std::string key = cu::aws::hmac_sha256("AWS4" + secret, "20150830");
//   std::string h = cu::hex(cu::aws::sha256(body));  // == sha256_hex(body)

#include <string>
#include <string_view>

#include "base/strings.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace cu::aws {

// Raw 32-byte SHA-256 digest of `data`.
std::string sha256(std::string_view data);

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Incremental SHA-256, for payloads hashed while they stream (S3 parts).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  // Raw digest; the object must not be updated afterwards.
  std::string finish();

 private:
  ::evp_md_ctx_st* ctx_;
};

}  // namespace cu::aws
