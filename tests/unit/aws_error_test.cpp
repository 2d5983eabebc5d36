// Error responses as AWS documents them, parsed into one error value.
#include <gtest/gtest.h>

#include "aws/error.h"

namespace cu::aws {
namespace {

// From the Amazon S3 API reference, "Error responses".
constexpr const char* kS3NoSuchKey = R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/mybucket/myfoto.jpg</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>)";

// From the AWS STS API reference (Query protocol error shape).
constexpr const char* kStsAccessDenied =
    R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::111111111111:user/dev is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/SM-Read-Role</Message>
  </Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>)";

TEST(AwsErrorTest, S3XmlError) {
  auto info =
      parse_error_response("s3", "GetObject", 404, {{"x-amz-request-id", "HDR1"}}, kS3NoSuchKey);
  EXPECT_EQ(info.code, "NoSuchKey");
  EXPECT_EQ(info.message, "The resource you requested does not exist");
  EXPECT_EQ(info.request_id, "HDR1");  // the header wins over the body
  auto no_header = parse_error_response("s3", "GetObject", 404, {}, kS3NoSuchKey);
  EXPECT_EQ(no_header.request_id, "4442587FB7D0A2F9");
}

TEST(AwsErrorTest, QueryProtocolErrorIsAccess) {
  auto info = parse_error_response("sts", "AssumeRole", 403, {}, kStsAccessDenied);
  EXPECT_EQ(info.code, "AccessDenied");
  EXPECT_EQ(info.request_id, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
  auto err = to_error(info, "assume role",
                      "arn:aws:iam::222222222222:role/SM-Read-Role as "
                      "arn:aws:iam::111111111111:user/dev",
                      ErrorKind::kOther);
  EXPECT_EQ(err.kind(), ErrorKind::kAccess);
  EXPECT_EQ(err.exit_code(), 3);
  std::string what = err.what();
  EXPECT_EQ(what.rfind("assume role arn:aws:iam::222222222222:role/SM-Read-Role as "
                       "arn:aws:iam::111111111111:user/dev: User: ",
                       0),
            0u)
      << what;
  EXPECT_NE(what.find("(sts:AssumeRole, HTTP 403) [AccessDenied] (request id "
                      "c6104cbe-af31-11e0-8154-cbc7ccf896c7); hint: "),
            std::string::npos)
      << what;
}

TEST(AwsErrorTest, JsonProtocolError) {
  // Secrets Manager, JSON 1.1 protocol: the code in __type, the id in x-amzn-RequestId.
  auto info = parse_error_response(
      "secretsmanager", "GetSecretValue", 400,
      {{"X-Amzn-Requestid", "5f0a7c3e-1111-2222-3333-444455556666"}},
      R"({"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."})");
  EXPECT_EQ(info.code, "ResourceNotFoundException");
  EXPECT_EQ(info.message, "Secrets Manager can't find the specified secret.");
  EXPECT_EQ(info.request_id, "5f0a7c3e-1111-2222-3333-444455556666");
  EXPECT_EQ(classify(info, ErrorKind::kOther), ErrorKind::kUsage);

  auto namespaced = parse_error_response(
      "kms", "Decrypt", 400, {},
      R"({"__type":"com.amazonaws.kms#AccessDeniedException","message":"denied"})");
  EXPECT_EQ(namespaced.code, "AccessDeniedException");
  EXPECT_EQ(namespaced.message, "denied");
  EXPECT_EQ(classify(namespaced, ErrorKind::kOther), ErrorKind::kAccess);

  auto suffixed = parse_error_response(
      "secretsmanager", "GetSecretValue", 400, {},
      R"({"__type":"UnrecognizedClientException:http://internal.amazon.com/coral/","message":"The security token included in the request is invalid."})");
  EXPECT_EQ(suffixed.code, "UnrecognizedClientException");
  EXPECT_EQ(classify(suffixed, ErrorKind::kOther), ErrorKind::kAccess);
}

TEST(AwsErrorTest, EmptyBodyFallsBackToStatus) {
  auto head404 = parse_error_response("s3", "HeadObject", 404, {{"x-amz-request-id", "R"}}, "");
  EXPECT_EQ(head404.code, "NotFound");
  EXPECT_EQ(head404.request_id, "R");
  auto head403 = parse_error_response("s3", "HeadObject", 403, {}, "");
  EXPECT_EQ(classify(head403, ErrorKind::kDestination), ErrorKind::kAccess);
  auto garbage = parse_error_response("s3", "PutObject", 502, {}, "<html>Bad gateway");
  EXPECT_EQ(garbage.message, "bad gateway (HTTP 502)");
  EXPECT_EQ(classify(garbage, ErrorKind::kDestination), ErrorKind::kDestination);
}

TEST(AwsErrorTest, AccessCodes) {
  for (const char* code : {"AccessDenied", "InvalidClientTokenId", "SignatureDoesNotMatch",
                           "ExpiredToken", "UnrecognizedClientException", "InvalidAccessKeyId"})
    EXPECT_TRUE(is_access_code(code)) << code;
  EXPECT_FALSE(is_access_code("NoSuchBucket"));
  AwsErrorInfo info{"s3", "PutObject", 404, "NoSuchBucket", "The specified bucket does not exist",
                    "X",  {}};
  EXPECT_EQ(classify(info, ErrorKind::kDestination), ErrorKind::kDestination);
}

TEST(AwsErrorTest, ErrorDocumentInA200) {
  // CompleteMultipartUpload can answer 200 with an error body (S3 API reference).
  EXPECT_TRUE(is_error_document(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
      "<Message>We encountered an internal error. Please try again.</Message></Error>"));
  EXPECT_FALSE(
      is_error_document("<?xml version=\"1.0\"?><CompleteMultipartUploadResult><Key>k</Key>"
                        "</CompleteMultipartUploadResult>"));
  EXPECT_FALSE(is_error_document(""));
}

TEST(AwsErrorTest, HeaderLookupIgnoresCase) {
  HeaderList h{{"X-Amz-Bucket-Region", "eu-west-1"}};
  EXPECT_EQ(find_header(h, "x-amz-bucket-region"), "eu-west-1");
  EXPECT_EQ(find_header(h, "x-amz-request-id"), "");
}

}  // namespace
}  // namespace cu::aws
