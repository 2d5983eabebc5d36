#pragma once
// AWS error responses turned into one cu::Error. Every AWS protocol we speak reports a
// failure differently — S3 as `<Error><Code>`, the Query protocol (STS, IAM) as
// `<ErrorResponse><Error><Code>`, the JSON protocol (Secrets Manager, KMS) as
// `{"__type": …, "message": …}` — and puts the request id in `x-amz-request-id`,
// `x-amzn-RequestId` or the body. parse_error_response() reads all of them; to_error() makes
// the cu::Error a user can act on:
//
//   AwsErrorInfo info = parse_error_response("sts", "AssumeRole", 403, headers, body);
//   throw to_error(info, "assume role", "arn:… as arn:…", ErrorKind::kOther);
//
// Kinds: authentication and authorization codes (AccessDenied, InvalidClientTokenId,
// SignatureDoesNotMatch, ExpiredToken, UnrecognizedClientException, …, or a bare HTTP 403)
// are kAccess; validation and "not found" codes that mean the user's configuration is wrong
// (ValidationError, InvalidParameterException, ResourceNotFoundException — a secret name
// that does not exist in that account/region — NoSuchBucket on reads) are kUsage where the
// caller says so; everything else gets the kind the caller chooses (kDestination for S3
// writes).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace cu::aws {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// What AWS said about a failed request.
struct AwsErrorInfo {
  std::string service{};    // "s3", "sts", "secretsmanager"
  std::string operation{};  // "AssumeRole", "UploadPart", …
  long status = 0;          // HTTP status; 0 for a transport failure
  std::string code{};       // AWS error code ("AccessDenied"); empty when the body had none
  std::string message{};    // AWS's message, or a description of the HTTP status
  std::string request_id{};
  HeaderList headers{};  // of the response, for callers that need more (x-amz-bucket-region)
  // Set when the failure is below AWS and its cause is known (an untrusted certificate):
  // replaces the hint the code or status would give.
  std::string hint{};
};

// Parses an error response of any of the three shapes (XML S3, XML Query, JSON). Tolerates
// an empty or unparseable body (HEAD responses have none): the code is then derived from
// the status ("NotFound", "Forbidden", …) the way the SDKs do.
AwsErrorInfo parse_error_response(std::string service, std::string operation, long status,
                                  const HeaderList& headers, std::string_view body);

// True when `body` is an S3 XML error document. S3 can answer 200 OK to
// CompleteMultipartUpload and CopyObject and still report an error in the body.
bool is_error_document(std::string_view body);

// Codes that mean the request was not authenticated or not authorized.
bool is_access_code(std::string_view code);
// Codes that mean the request itself (or the resource it names) is wrong.
bool is_validation_code(std::string_view code);

// Codes that mean a policy refused the call (AccessDenied, AccessDeniedException,
// UnauthorizedOperation, …), as opposed to credentials AWS could not authenticate.
bool is_authorization_code(std::string_view code);

// The IAM action a policy must allow for `operation` of `service`, as the Service
// Authorization Reference maps them: iam_action("s3", "ListObjectsV2") == "s3:ListBucket",
// iam_action("sts", "AssumeRole") == "sts:AssumeRole". S3 is the service whose actions are
// not named after its operations; elsewhere the action is "<service>:<operation>".
std::string iam_action(std::string_view service, std::string_view operation);

// What the error message names for a refused call: the IAM action, followed by the operation
// when the names differ ("s3:ListBucket (ListObjectsV2)", "sts:AssumeRole").
std::string refused_action(const AwsErrorInfo& info);

// An AWS failure as cu::Error, with the protocol details kept for callers that branch on
// them (a 404 from HeadObject, a 301 from the wrong region).
class AwsError : public Error {
 public:
  AwsError(ErrorKind kind, std::string step, std::string resource, AwsErrorInfo info);
  const AwsErrorInfo& info() const { return info_; }
  long status() const { return info_.status; }

 private:
  AwsErrorInfo info_;
};

// The kind for `info`: kAccess for access codes, kUsage for validation codes when
// `validation_is_usage`, otherwise `fallback`.
ErrorKind classify(const AwsErrorInfo& info, ErrorKind fallback, bool validation_is_usage = true);

// Builds the error users see: "<step> <resource>: <message> (<service>:<operation>, HTTP
// <status>) [<code>] (request id <id>); hint: …" with a hint for the common codes. When a
// policy refused the call, the IAM action replaces <service>:<operation>:
// "Access Denied (s3:ListBucket (ListObjectsV2), HTTP 403) [AccessDenied]".
AwsError to_error(const AwsErrorInfo& info, std::string step, std::string resource,
                  ErrorKind fallback, bool validation_is_usage = true);

// Case-insensitive header lookup; empty when absent.
std::string find_header(const HeaderList& headers, std::string_view name);

}  // namespace cu::aws
