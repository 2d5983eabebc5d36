// The IAM action an access-denied error names. Expected values are AWS's documentation,
// row by row (the page each comes from is beside it, its sentence quoted or summarized), not
// the table in error.cpp; for STS, Secrets Manager and KMS they are read out of refusals as
// AWS words them.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "aws/error.h"

namespace cu::aws {
namespace {

struct Documented {
  const char* service;
  const char* operation;
  const char* action;
  const char* source;  // where AWS says so
};

// Amazon S3 API Reference, "Permissions" of each operation, and the Service Authorization
// Reference's "API operations defined by Amazon S3" table (list_amazons3.html).
constexpr Documented kS3[] = {
    {"s3", "ListObjectsV2", "s3:ListBucket",
     "API_ListObjectsV2: You must have permission to perform the s3:ListBucket action"},
    {"s3", "ListObjectVersions", "s3:ListBucketVersions",
     "API_ListObjectVersions: you must have permission to perform the s3:ListBucketVersions "
     "action. Be aware of the name difference"},
    {"s3", "ListMultipartUploads", "s3:ListBucketMultipartUploads",
     "Service Authorization Reference, operations table: ListMultipartUploads -> "
     "s3:ListBucketMultipartUploads (also the S3 user guide, multipart upload permissions)"},
    {"s3", "CreateMultipartUpload", "s3:PutObject",
     "Service Authorization Reference, operations table: CreateMultipartUpload -> s3:PutObject"},
    {"s3", "UploadPart", "s3:PutObject",
     "Service Authorization Reference, operations table: UploadPart -> s3:PutObject"},
    {"s3", "CompleteMultipartUpload", "s3:PutObject",
     "Service Authorization Reference: CompleteMultipartUpload - s3:PutObject"},
    {"s3", "PutObject", "s3:PutObject",
     "Service Authorization Reference, operations table: PutObject -> s3:PutObject"},
    {"s3", "AbortMultipartUpload", "s3:AbortMultipartUpload",
     "Service Authorization Reference: AbortMultipartUpload - s3:AbortMultipartUpload"},
    {"s3", "HeadObject", "s3:GetObject",
     "API_HeadObject: To use HEAD, you must have the s3:GetObject permission"},
    {"s3", "GetObject", "s3:GetObject",
     "Service Authorization Reference, operations table: GetObject -> s3:GetObject"},
    {"s3", "DeleteObjects", "s3:DeleteObject",
     "API_DeleteObjects: To delete an object from a bucket, you must always specify the "
     "s3:DeleteObject permission"},
    {"s3", "DeleteObjectVersion", "s3:DeleteObjectVersion",
     "API_DeleteObjects, Permissions: deleting a specific version needs "
     "s3:DeleteObjectVersion"},
    {"s3", "GetBucketVersioning", "s3:GetBucketVersioning",
     "Service Authorization Reference: GetBucketVersioning - s3:GetBucketVersioning"},
    {"s3", "GetBucketLocation", "s3:GetBucketLocation",
     "Service Authorization Reference: GetBucketLocation - s3:GetBucketLocation"},
    {"s3", "HeadBucket", "s3:ListBucket",
     "API_HeadBucket: you must have permissions to perform the s3:ListBucket action"},
    {"s3", "ListParts", "s3:ListMultipartUploadParts",
     "Service Authorization Reference, operations table: ListParts -> "
     "s3:ListMultipartUploadParts"},
    {"s3", "CopyObject", "s3:PutObject",
     "Service Authorization Reference, operations table: CopyObject -> s3:GetObject (source), "
     "s3:PutObject (destination, the one a writer's policy lacks)"},
};

TEST(AwsIamActionTest, S3OperationsAsTheDocumentationMapsThem) {
  for (const auto& d : kS3) {
    EXPECT_EQ(iam_action(d.service, d.operation), d.action) << d.source;
  }
}

// "is not authorized to perform: <action>" in AWS's own refusals.
std::string action_in(const std::string& message) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(message, m,
                                std::regex("not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9]+)")))
      << message;
  return m.size() > 1 ? m[1].str() : "";
}

TEST(AwsIamActionTest, OtherServicesAsTheirRefusalsNameThem) {
  // AWS STS API reference, AssumeRole errors (Query protocol sample).
  EXPECT_EQ(iam_action("sts", "AssumeRole"),
            action_in("User: arn:aws:iam::111111111111:user/dev is not authorized to perform: "
                      "sts:AssumeRole on resource: arn:aws:iam::222222222222:role/SM-Read-Role"));
  // Secrets Manager troubleshooting, "Access denied" messages.
  EXPECT_EQ(iam_action("secretsmanager", "GetSecretValue"),
            action_in("User: arn:aws:sts::111122223333:assumed-role/app/session is not "
                      "authorized to perform: secretsmanager:GetSecretValue on resource: "
                      "MySecret because no identity-based policy allows the "
                      "secretsmanager:GetSecretValue action"));
  // AWS KMS troubleshooting, AccessDeniedException.
  EXPECT_EQ(iam_action("kms", "Decrypt"),
            action_in("User: arn:aws:iam::111122223333:user/u is not authorized to perform: "
                      "kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k"));
  EXPECT_EQ(iam_action("kms", "GenerateDataKey"),
            action_in("is not authorized to perform: kms:GenerateDataKey on resource: key"));
  EXPECT_EQ(iam_action("sts", "GetCallerIdentity"), "sts:GetCallerIdentity");
  EXPECT_EQ(iam_action("cloudformation", "DescribeStacks"), "cloudformation:DescribeStacks");
}

// moto and S3 say only "Access Denied": the message must name what the policy must allow.
constexpr const char* kS3AccessDenied = R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message>
<RequestId>656c76696e6727732072657175657374</RequestId></Error>)";

TEST(AwsIamActionTest, AccessDeniedNamesTheIamAction) {
  auto info = parse_error_response("s3", "ListObjectsV2", 403, {}, kS3AccessDenied);
  auto err = to_error(info, "list", "s3://bucket/prefix/", ErrorKind::kDestination);
  std::string what = err.what();
  EXPECT_EQ(err.exit_code(), 3);
  EXPECT_NE(what.find("Access Denied (s3:ListBucket (ListObjectsV2), HTTP 403) [AccessDenied]"),
            std::string::npos)
      << what;
  EXPECT_NE(what.find("must allow s3:ListBucket"), std::string::npos) << what;

  // A HEAD has no body: the bare 403 is a refusal too.
  auto head = to_error(parse_error_response("s3", "HeadObject", 403, {}, ""), "read",
                       "s3://bucket/key", ErrorKind::kDestination);
  EXPECT_NE(std::string(head.what()).find("(s3:GetObject (HeadObject), HTTP 403)"),
            std::string::npos)
      << head.what();

  // Same name: no repetition.
  auto sm = parse_error_response(
      "secretsmanager", "GetSecretValue", 400, {},
      R"({"__type":"AccessDeniedException","Message":"User is not authorized"})");
  std::string sm_what = to_error(sm, "read secret", "s", ErrorKind::kOther).what();
  EXPECT_NE(sm_what.find("(secretsmanager:GetSecretValue, HTTP 400) [AccessDeniedException]"),
            std::string::npos)
      << sm_what;

  // Secrets Manager could not use the secret's key: KMS refused the caller.
  auto dec = parse_error_response(
      "secretsmanager", "GetSecretValue", 400, {},
      R"({"__type":"DecryptionFailure","Message":"Secrets Manager can't decrypt the protected secret text using the provided KMS key."})");
  std::string dec_what = to_error(dec, "read secret", "s", ErrorKind::kOther).what();
  EXPECT_NE(dec_what.find("kms:Decrypt (GetSecretValue)"), std::string::npos) << dec_what;
}

TEST(AwsIamActionTest, OtherFailuresStillNameTheCall) {
  auto info = parse_error_response(
      "s3", "UploadPart", 500, {},
      "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message>"
      "</Error>");
  std::string what = to_error(info, "upload", "s3://b/k", ErrorKind::kDestination).what();
  EXPECT_NE(what.find("(s3:UploadPart, HTTP 500)"), std::string::npos) << what;
  // Authentication is not authorization: no IAM action to allow.
  auto auth = parse_error_response(
      "s3", "ListObjectsV2", 403, {},
      "<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does "
      "not exist in our records.</Message></Error>");
  std::string auth_what = to_error(auth, "list", "s3://b/", ErrorKind::kDestination).what();
  EXPECT_NE(auth_what.find("(s3:ListObjectsV2, HTTP 403)"), std::string::npos) << auth_what;
}

}  // namespace
}  // namespace cu::aws
