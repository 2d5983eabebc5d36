// SigV4 in S3 mode: the worked examples of the Amazon S3 API Reference ("Signature
// Calculations for the Authorization Header: Transferring Payload in a Single Chunk" and
// "Authenticating Requests: Using Query Parameters"), whose signatures AWS publishes, plus
// the S3 rules the generic suites do not cover: no path normalisation, no second encoding,
// UNSIGNED-PAYLOAD and x-amz-content-sha256.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "aws/sigv4.h"
#include "base/error.h"

using cu::aws::Credentials;
using cu::aws::HttpRequest;
using cu::aws::PayloadSigning;
using cu::aws::SigningParams;
using cu::aws::SigningTrace;

namespace {

const Credentials kDocCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "",
                            std::nullopt, "test"};

std::chrono::system_clock::time_point may24_2013() {
  using namespace std::chrono;
  return sys_days{year{2013} / May / 24};
}

SigningParams s3_params() {
  SigningParams p{"us-east-1", "s3", may24_2013()};
  p.add_content_sha256_header = true;
  p.normalize_path = false;
  p.double_encode_path = false;
  return p;
}

std::string header(const HttpRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

std::string authz(std::string_view signed_headers, std::string_view sig) {
  return std::string(
             "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
             "aws4_request, SignedHeaders=") +
         std::string(signed_headers) + ", Signature=" + std::string(sig);
}

TEST(SigV4S3, GetObjectWithRange) {
  HttpRequest r{
      "GET", "https://examplebucket.s3.amazonaws.com/test.txt", {{"Range", "bytes=0-9"}}, ""};
  cu::aws::sign(r, kDocCreds, s3_params());
  EXPECT_EQ(header(r, "x-amz-content-sha256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(header(r, "X-Amz-Date"), "20130524T000000Z");
  EXPECT_EQ(header(r, "Authorization"),
            authz("host;range;x-amz-content-sha256;x-amz-date",
                  "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
}

TEST(SigV4S3, PutObjectKeyEncodedOnce) {
  // The key "test$file.text" is sent as test%24file.text and signed as such (S3 does not
  // encode twice).
  HttpRequest r{
      "PUT",
      "https://examplebucket.s3.amazonaws.com/test%24file.text",
      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
      "Welcome to Amazon S3."};
  SigningTrace t;
  cu::aws::sign(r, kDocCreds, s3_params(), &t);
  EXPECT_EQ(header(r, "x-amz-content-sha256"),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(t.canonical_request.substr(0, t.canonical_request.find('\n', 4)),
            "PUT\n/test%24file.text");
  EXPECT_EQ(header(r, "Authorization"),
            authz("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                  "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
}

TEST(SigV4S3, GetBucketLifecycleQueryWithoutValue) {
  HttpRequest r{"GET", "https://examplebucket.s3.amazonaws.com/?lifecycle", {}, ""};
  cu::aws::sign(r, kDocCreds, s3_params());
  EXPECT_EQ(header(r, "Authorization"),
            authz("host;x-amz-content-sha256;x-amz-date",
                  "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
}

TEST(SigV4S3, ListObjects) {
  HttpRequest r{"GET", "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J", {}, ""};
  cu::aws::sign(r, kDocCreds, s3_params());
  EXPECT_EQ(header(r, "Authorization"),
            authz("host;x-amz-content-sha256;x-amz-date",
                  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
}

TEST(SigV4S3, PresignedGet) {
  HttpRequest r{"GET", "https://examplebucket.s3.amazonaws.com/test.txt", {}, ""};
  SigningParams p = s3_params();
  p.payload = PayloadSigning::kUnsignedPayload;
  std::string url = cu::aws::presign(r, kDocCreds, p, std::chrono::hours(24));
  EXPECT_EQ(url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

// normalize-path.txt in the classic suite: "my-object//example//photo.user" must be signed
// as is for S3.
TEST(SigV4S3, KeysAreNotNormalised) {
  HttpRequest r{"GET", "https://b.s3.amazonaws.com/my-object//example//photo.user", {}, ""};
  std::string creq = cu::aws::canonical_request(r, s3_params());
  EXPECT_EQ(creq.substr(0, creq.find('\n', 4)), "GET\n/my-object//example//photo.user");
  HttpRequest dots{"GET", "https://b.s3.amazonaws.com/a/./b/../c", {}, ""};
  creq = cu::aws::canonical_request(dots, s3_params());
  EXPECT_EQ(creq.substr(0, creq.find('\n', 4)), "GET\n/a/./b/../c");
}

// The SigV4 documentation: every service but S3 URI-encodes each path segment twice, so a
// path sent as /a%20b is signed as /a%2520b; S3 signs it as sent.
TEST(SigV4S3, DoubleEncodingOnlyOutsideS3) {
  HttpRequest r{"GET", "https://host.example/a%20b", {}, ""};
  SigningParams generic{"us-east-1", "service", may24_2013()};
  std::string creq = cu::aws::canonical_request(r, generic);
  EXPECT_EQ(creq.substr(0, creq.find('\n', 4)), "GET\n/a%2520b");
  creq = cu::aws::canonical_request(r, s3_params());
  EXPECT_EQ(creq.substr(0, creq.find('\n', 4)), "GET\n/a%20b");
}

TEST(SigV4S3, UnsignedAndPrecomputedPayloads) {
  HttpRequest r{"PUT", "https://b.s3.amazonaws.com/k", {}, "body that is not hashed"};
  SigningParams p = s3_params();
  p.payload = PayloadSigning::kUnsignedPayload;
  SigningTrace t;
  cu::aws::sign(r, kDocCreds, p, &t);
  EXPECT_EQ(header(r, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(t.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));

  p.payload = PayloadSigning::kPrecomputed;
  p.payload_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  cu::aws::sign(r, kDocCreds, p, &t);
  EXPECT_EQ(header(r, "x-amz-content-sha256"), p.payload_hash);
  EXPECT_TRUE(t.canonical_request.ends_with("\n" + p.payload_hash));

  p.payload_hash.clear();
  EXPECT_THROW(cu::aws::sign(r, kDocCreds, p), cu::Error);
}

// A retried request is signed again: the old signature headers are replaced, not repeated.
TEST(SigV4S3, ResigningReplacesHeaders) {
  HttpRequest r{
      "GET", "https://examplebucket.s3.amazonaws.com/test.txt", {{"Range", "bytes=0-9"}}, ""};
  Credentials temp = kDocCreds;
  temp.session_token = "token-one";
  cu::aws::sign(r, temp, s3_params());
  temp.session_token = "token-two";
  cu::aws::sign(r, temp, s3_params());
  int auth = 0, date = 0, token = 0, sha = 0;
  for (const auto& [n, v] : r.headers) {
    auth += n == "Authorization";
    date += n == "X-Amz-Date";
    token += n == "X-Amz-Security-Token";
    sha += n == "x-amz-content-sha256";
  }
  EXPECT_EQ(auth, 1);
  EXPECT_EQ(date, 1);
  EXPECT_EQ(token, 1);
  EXPECT_EQ(sha, 1);
  EXPECT_EQ(header(r, "X-Amz-Security-Token"), "token-two");
  EXPECT_NE(header(r, "Authorization").find("x-amz-security-token"), std::string::npos);
}

TEST(SigV4S3, HostFromUrlWithPort) {
  HttpRequest r{"GET", "http://127.0.0.1:5000/bucket/key", {}, ""};
  std::string creq = cu::aws::canonical_request(r, s3_params());
  EXPECT_NE(creq.find("\nhost:127.0.0.1:5000\n"), std::string::npos) << creq;
  HttpRequest d{"GET", "https://Bucket.S3.amazonaws.com:443/key", {}, ""};
  creq = cu::aws::canonical_request(d, s3_params());
  EXPECT_NE(creq.find("\nhost:bucket.s3.amazonaws.com\n"), std::string::npos) << creq;
}

// "Signature Calculations for the Authorization Header: Transferring Payload in Multiple
// Chunks (Chunked Upload)": 66,560 bytes of 'a' in a 64 KiB chunk, a 1 KiB chunk and the
// final empty one, with AWS's published seed and chunk signatures.
TEST(SigV4S3, ChunkedUploadExample) {
  HttpRequest r{"PUT",
                "https://s3.amazonaws.com/examplebucket/chunkObject.txt",
                {{"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                ""};
  SigningTrace t;
  cu::aws::ChunkSigner chunks =
      cu::aws::sign_streaming(r, kDocCreds, s3_params(), 66560, 65536, &t);
  EXPECT_EQ(header(r, "Content-Length"), "66824");
  EXPECT_EQ(header(r, "x-amz-decoded-content-length"), "66560");
  EXPECT_EQ(header(r, "Content-Encoding"), "aws-chunked");
  EXPECT_EQ(header(r, "x-amz-content-sha256"), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  EXPECT_EQ(header(r, "Authorization"),
            authz("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                  "x-amz-decoded-content-length;x-amz-storage-class",
                  "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"));

  std::string first = chunks.frame(std::string(65536, 'a'));
  EXPECT_EQ(
      first.substr(0, first.find("\r\n")),
      "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  std::string second = chunks.frame(std::string(1024, 'a'));
  EXPECT_EQ(second.substr(0, second.find("\r\n")),
            "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  std::string last = chunks.frame("");
  EXPECT_EQ(last,
            "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
            "\r\n\r\n");
  EXPECT_EQ(first.size() + second.size() + last.size(), 66824u);
  EXPECT_EQ(cu::aws::aws_chunked_length(0, 65536), last.size());
  EXPECT_EQ(cu::aws::aws_chunked_length(65536, 65536), first.size() + last.size());
}

TEST(SigV4S3, MissingCredentialsIsAnAccessError) {
  HttpRequest r{"GET", "https://b.s3.amazonaws.com/k", {}, ""};
  try {
    cu::aws::sign(r, Credentials{}, s3_params());
    FAIL() << "expected an error";
  } catch (const cu::Error& e) {
    EXPECT_EQ(e.kind(), cu::ErrorKind::kAccess);
  }
}

}  // namespace
