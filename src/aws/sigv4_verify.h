#pragma once
// The server side of SigV4: checks that a received request was signed by the holder of a
// known secret key, by recomputing its signature with the signer itself (sigv4.h) from the
// headers the client says it signed. Used by the gateway's Data API (local Redshift).
//
//   aws::SignatureCheck c = aws::verify_signature(request, "redshift-data", lookup, now);
//   if (!c.ok) reply(400, c.code, c.message);   // AWS's codes: InvalidSignatureException, …
//
// `request` carries the method, "http://<Host header><path>?<query>" as received, every
// received header and the body. Checked: an Authorization header of the AWS4-HMAC-SHA256
// form, a credential scope for `service`, an X-Amz-Date within `max_skew` of `now` that
// agrees with the scope's date, `host` among the signed headers, a known access key (and
// its session token when the key has one), and the signature itself.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "aws/sigv4.h"

namespace cu::aws {

// The secret (and session token) of an access key id, or nothing when it is not known.
using SecretKeyLookup = std::function<std::optional<Credentials>(std::string_view access_key_id)>;

struct SignatureCheck {
  bool ok = false;
  // When !ok: the error code AWS's JSON services answer with and its message.
  // MissingAuthenticationTokenException (no Authorization), IncompleteSignatureException
  // (malformed), UnrecognizedClientException (unknown key or token),
  // InvalidSignatureException (wrong signature, wrong service, expired).
  std::string code;
  std::string message;
  int http_status = 400;
  // Parsed from the credential scope (also on failure, when it could be read).
  std::string access_key_id;
  std::string region;
};

// The parts of an "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…" header.
struct AuthorizationHeader {
  std::string access_key_id, date, region, service;  // from Credential=<key>/<date>/<region>/…
  std::vector<std::string> signed_headers;           // lowercase, as listed
  std::string signature;
};
// Nothing when the header is not of that form.
std::optional<AuthorizationHeader> parse_authorization(std::string_view value);

SignatureCheck verify_signature(const HttpRequest& request, std::string_view service,
                                const SecretKeyLookup& lookup,
                                std::chrono::system_clock::time_point now,
                                std::chrono::minutes max_skew = std::chrono::minutes(15));

}  // namespace cu::aws
