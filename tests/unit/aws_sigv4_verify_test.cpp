// The server side of SigV4 (aws/sigv4_verify.h): a request signed by sign() verifies; any
// change to what was signed, the wrong key, service, date or token does not, each with the
// error code AWS's JSON services answer.
#include <gtest/gtest.h>

#include <algorithm>

#include "aws/sigv4_verify.h"

namespace cu::aws {
namespace {

using namespace std::chrono_literals;

const auto kNow = std::chrono::system_clock::from_time_t(1700000000);

Credentials key(std::string token = "") {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c.session_token = std::move(token);
  return c;
}

HttpRequest signed_request(const Credentials& c, std::string service = "redshift-data",
                           std::chrono::system_clock::time_point when = kNow) {
  HttpRequest r{"POST", "http://127.0.0.1:8439/", {}, R"({"Id":"x"})"};
  r.headers = {{"Host", "127.0.0.1:8439"},
               {"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "RedshiftData.DescribeStatement"},
               {"User-Agent", "test"}};
  SigningParams p{"us-east-1", std::move(service), when};
  sign(r, c, p);
  return r;
}

SignatureCheck check(const HttpRequest& r, const Credentials& known = key(),
                     std::chrono::system_clock::time_point now = kNow) {
  return verify_signature(
      r, "redshift-data",
      [&](std::string_view id) -> std::optional<Credentials> {
        if (id == known.access_key_id) return known;
        return std::nullopt;
      },
      now);
}

void set_header(HttpRequest& r, std::string_view name, std::string value) {
  for (auto& [n, v] : r.headers) {
    if (n == name) v = std::move(value);
  }
}

TEST(SigV4Verify, AcceptsWhatTheSignerSigned) {
  SignatureCheck c = check(signed_request(key()));
  EXPECT_TRUE(c.ok) << c.code << ": " << c.message;
  EXPECT_EQ(c.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(c.region, "us-east-1");
  // Session credentials: the token is signed and must match the key's.
  Credentials session = key("token-1");
  EXPECT_TRUE(check(signed_request(session), session).ok);
  // An unsigned header (User-Agent) may change on the way.
  HttpRequest r = signed_request(key());
  set_header(r, "User-Agent", "proxy/1.0");
  EXPECT_TRUE(check(r).ok);
}

TEST(SigV4Verify, RefusesAChangedBodyOrHeader) {
  HttpRequest r = signed_request(key());
  r.body = R"({"Id":"y"})";
  EXPECT_EQ(check(r).code, "InvalidSignatureException");
  r = signed_request(key());
  set_header(r, "X-Amz-Target", "RedshiftData.CancelStatement");
  EXPECT_EQ(check(r).code, "InvalidSignatureException");
  r = signed_request(key());
  r.url = "http://127.0.0.1:8439/other";
  EXPECT_EQ(check(r).code, "InvalidSignatureException");
}

TEST(SigV4Verify, RefusesUnknownKeysWrongSecretsAndTokens) {
  Credentials stranger = key();
  stranger.access_key_id = "AKIDSTRANGER";
  EXPECT_EQ(check(signed_request(stranger)).code, "UnrecognizedClientException");
  Credentials wrong = key();
  wrong.secret_access_key = "not-the-secret";
  EXPECT_EQ(check(signed_request(wrong)).code, "InvalidSignatureException");
  EXPECT_EQ(check(signed_request(key("token-2")), key("token-1")).code,
            "UnrecognizedClientException");
  EXPECT_EQ(check(signed_request(key()), key("token-1")).code, "UnrecognizedClientException");
}

TEST(SigV4Verify, RefusesOtherServicesStaleDatesAndMissingParts) {
  EXPECT_EQ(check(signed_request(key(), "sts")).code, "InvalidSignatureException");
  EXPECT_EQ(check(signed_request(key(), "redshift-data", kNow - 20min)).code,
            "InvalidSignatureException");
  EXPECT_TRUE(check(signed_request(key(), "redshift-data", kNow - 10min)).ok);
  HttpRequest r = signed_request(key());
  r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                 [](const auto& h) { return h.first == "Authorization"; }),
                  r.headers.end());
  SignatureCheck c = check(r);
  EXPECT_EQ(c.code, "MissingAuthenticationTokenException");
  EXPECT_EQ(c.http_status, 403);
  r = signed_request(key());
  set_header(r, "Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114");
  EXPECT_EQ(check(r).code, "IncompleteSignatureException");
  r = signed_request(key());
  set_header(r, "X-Amz-Date", "yesterday");
  EXPECT_EQ(check(r).code, "IncompleteSignatureException");
}

TEST(SigV4Verify, ParsesTheAuthorizationHeader) {
  auto h = parse_authorization(
      "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/redshift-data/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=abc");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->access_key_id, "AKID");
  EXPECT_EQ(h->date, "20150830");
  EXPECT_EQ(h->service, "redshift-data");
  EXPECT_EQ(h->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(h->signature, "abc");
  EXPECT_FALSE(parse_authorization("Bearer x"));
  EXPECT_FALSE(parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, Signature=x"));
}

}  // namespace
}  // namespace cu::aws
