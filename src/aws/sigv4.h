#pragma once
// AWS Signature Version 4: a pure function of (request, credentials, time, region,
// service). No I/O: the HTTP client calls sign() just before sending. Tested file by file
// against AWS's official vectors (tests/data/sigv4/).
//
//   cu::aws::HttpRequest req{"GET", "https://sts.us-east-1.amazonaws.com/?Action=…", {}, ""};
//   cu::aws::SigningParams p{"us-east-1", "sts", std::chrono::system_clock::now()};
//   cu::aws::sign(req, creds, p);   // adds X-Amz-Date, X-Amz-Security-Token, Authorization

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
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
  std::string payload_hash{};              // for kPrecomputed
  bool add_content_sha256_header = false;  // S3 wants x-amz-content-sha256
  bool normalize_path = true;              // false for S3 (keys are not paths)
  bool double_encode_path = true;          // false for S3
  // False for the few services that want X-Amz-Security-Token added after signing (it is
  // then sent but not part of the signature). Every service we call signs it.
  bool sign_session_token = true;
};

// What a signature was computed from: printed with -v to debug SignatureDoesNotMatch, and
// compared by the tests with AWS's vectors.
struct SigningTrace {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lowercase hex
};

// Adds X-Amz-Date, X-Amz-Security-Token (session credentials), x-amz-content-sha256 (when
// asked) and Authorization to `req`, replacing any left by an earlier signature (a retried
// request is signed again with a fresh time). The Host header is signed from the URL
// (host[:port], the port only when not the scheme's default) unless `req` carries one.
// Headers the transport may rewrite (User-Agent, Expect, Transfer-Encoding, Connection,
// X-Amzn-Trace-Id) are sent unsigned, as the AWS SDKs do.
void sign(HttpRequest& req, const Credentials& creds, const SigningParams& params,
          SigningTrace* trace = nullptr);

// A presigned URL (query-string signing) valid for `expires`.
// The query carries X-Amz-Algorithm/Credential/Date/Expires/SignedHeaders[/Security-Token]
// and X-Amz-Signature; the payload hash follows params.payload (S3: kUnsignedPayload).
std::string presign(const HttpRequest& req, const Credentials& creds, const SigningParams& params,
                    std::chrono::seconds expires, SigningTrace* trace = nullptr);

// The intermediate artefacts, exposed for the test vectors and for debugging
// SignatureDoesNotMatch ("crossunload -v" prints the canonical request).
// `req` must already carry the headers that are signed (X-Amz-Date and so on): sign()
// adds them before calling this.
std::string canonical_request(const HttpRequest& req, const SigningParams& params);
std::string string_to_sign(const std::string& canonical_request, const SigningParams& params);

// The lowercase hex signature of `string_to_sign` under `creds`' secret for params' date,
// region and service: what sign() puts in Authorization. A server recomputes it to verify a
// request (sigv4_verify.h).
std::string signature_of(const Credentials& creds, const SigningParams& params,
                         const std::string& string_to_sign);

// "20150830T123600Z" and "20150830" for a time, in UTC.
std::string amz_date(std::chrono::system_clock::time_point t);
std::string date_stamp(std::chrono::system_clock::time_point t);

// --- aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) ----------------------------
// For S3 uploads over plain HTTP where the body is streamed and cannot be hashed first: the
// request is signed with a "seed" signature, then every chunk carries a signature chained
// to the previous one. Over TLS, kUnsignedPayload is simpler and as safe.
//
//   ChunkSigner chunks = sign_streaming(req, creds, params, size, 64 * 1024);
//   send headers; for each piece: write(chunks.frame(piece)); then write(chunks.frame(""));

inline constexpr std::string_view kStreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

// Bytes on the wire for `payload_size` bytes sent in chunks of `chunk_size` (the last one
// shorter), including the final empty chunk: the Content-Length of the request.
std::uint64_t aws_chunked_length(std::uint64_t payload_size, std::uint64_t chunk_size);

class ChunkSigner {
 public:
  ChunkSigner(const Credentials& creds, const SigningParams& params, std::string seed_signature);
  // "<hex size>;chunk-signature=<sig>\r\n<data>\r\n"; the final call passes empty data.
  std::string frame(std::string_view data);
  const std::string& last_signature() const { return previous_; }

 private:
  std::string key_, date_, scope_, previous_;
};

// Sets Content-Encoding: aws-chunked, x-amz-decoded-content-length, Content-Length and
// x-amz-content-sha256 = kStreamingPayload, signs `req` (its body is ignored) and returns the
// signer of the chunks that follow.
ChunkSigner sign_streaming(HttpRequest& req, const Credentials& creds, SigningParams params,
                           std::uint64_t payload_size, std::uint64_t chunk_size,
                           SigningTrace* trace = nullptr);

// Helpers other AWS code needs.
std::string sha256_hex(std::string_view data);
std::string uri_encode(std::string_view s, bool encode_slash);  // RFC 3986 unreserved kept

}  // namespace cu::aws
