#pragma once
// AWS Signature Version 4: a pure function of (request, credentials, time, region,
// service). No I/O: the HTTP client calls sign() just before sending. Tested file by file
// against AWS's official vectors (shared/testdata/sigv4/).
//
//   cu::aws::HttpRequest req{"GET", "https://sts.us-east-1.amazonaws.com/?Action=…", {}, ""};
//   cu::aws::SigningParams p{"us-east-1", "sts", std::chrono::system_clock::now()};
//   cu::aws::sign(req, creds, p);   // adds X-Amz-Date, X-Amz-Security-Token, Authorization

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "aws/credentials.h"

namespace cu::aws {

// A request as the signer and the HTTP client see it. `url` is absolute
// (scheme://host[:port]/path[?query]) with path and query already percent-encoded the way
// they will be sent. Header names keep their case; order is kept.
struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // ignored when SigningParams::payload says otherwise
};

enum class PayloadSigning {
  kSignedBody,       // hex SHA-256 of `body` (default; STS, Secrets Manager, small S3 puts)
  kUnsignedPayload,  // "UNSIGNED-PAYLOAD" (S3 streaming uploads over TLS)
  kPrecomputed,      // SigningParams::payload_hash given by the caller (S3 parts)
};

struct SigningParams {
  std::string region;
  std::string service;  // "s3", "sts", "secretsmanager", …
  std::chrono::system_clock::time_point time;
  PayloadSigning payload = PayloadSigning::kSignedBody;
  std::string payload_hash;             // for kPrecomputed
  bool add_content_sha256_header = false;  // S3 wants x-amz-content-sha256
  bool normalize_path = true;           // false for S3 (keys are not paths)
  bool double_encode_path = true;       // false for S3
};

// Adds X-Amz-Date, X-Amz-Security-Token (session credentials), x-amz-content-sha256 (when
// asked) and Authorization to `req`.
void sign(HttpRequest& req, const Credentials& creds, const SigningParams& params);

// A presigned URL (query-string signing) valid for `expires`.
std::string presign(const HttpRequest& req, const Credentials& creds, const SigningParams& params,
                    std::chrono::seconds expires);

// The intermediate artefacts, exposed for the test vectors and for debugging
// SignatureDoesNotMatch ("crossunload -v" prints the canonical request).
std::string canonical_request(const HttpRequest& req, const SigningParams& params);
std::string string_to_sign(const std::string& canonical_request, const SigningParams& params);

// Helpers other AWS code needs.
std::string sha256_hex(std::string_view data);
std::string uri_encode(std::string_view s, bool encode_slash);  // RFC 3986 unreserved kept

}  // namespace cu::aws
