#include "aws/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "base/strings.h"

namespace cu::aws {
namespace {

// The JSON protocol's __type may be "com.amazonaws.secretsmanager#ResourceNotFoundException"
// or "ResourceNotFoundException:http://internal.amazon.com/…"; the code is the bare name.
std::string bare_json_type(std::string type) {
  if (auto hash = type.rfind('#'); hash != std::string::npos) {
    type = type.substr(hash + 1);
  }
  if (auto colon = type.find(':'); colon != std::string::npos) {
    type = type.substr(0, colon);
  }
  return type;
}

// What the SDKs call an error with no body (HEAD, some proxies).
std::string code_for_status(long status) {
  switch (status) {
    case 301:
      return "PermanentRedirect";
    case 304:
      return "NotModified";
    case 400:
      return "BadRequest";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 412:
      return "PreconditionFailed";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    default:
      return "";
  }
}

std::string message_for_status(long status) {
  switch (status) {
    case 301:
      return "the bucket is in another region (HTTP 301 Moved Permanently)";
    case 400:
      return "bad request (HTTP 400)";
    case 403:
      return "forbidden (HTTP 403)";
    case 404:
      return "not found (HTTP 404)";
    case 412:
      return "precondition failed (HTTP 412)";
    case 429:
      return "too many requests (HTTP 429)";
    case 500:
      return "internal server error (HTTP 500)";
    case 502:
      return "bad gateway (HTTP 502)";
    case 503:
      return "service unavailable (HTTP 503)";
    case 504:
      return "gateway timeout (HTTP 504)";
    default:
      return fmt::format("HTTP {}", status);
  }
}

void parse_xml(std::string_view body, AwsErrorInfo& info) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) {
    return;
  }
  // S3: <Error>…</Error>; Query: <ErrorResponse><Error>…</Error><RequestId/></ErrorResponse>;
  // EC2-style: <Response><Errors><Error>…</Error></Errors><RequestID/></Response>.
  pugi::xml_node root = doc.document_element();
  pugi::xml_node err;
  if (std::string_view(root.name()) == "Error") {
    err = root;
  } else {
    err = root.child("Error");
    if (!err) {
      err = root.child("Errors").child("Error");
    }
  }
  if (!err) {
    return;
  }
  info.code = trim(err.child_value("Code"));
  info.message = trim(err.child_value("Message"));
  std::string rid = std::string(trim(err.child_value("RequestId")));
  if (rid.empty()) {
    rid = trim(root.child_value("RequestId"));
  }
  if (rid.empty()) {
    rid = trim(root.child_value("RequestID"));
  }
  if (info.request_id.empty()) {
    info.request_id = rid;
  }
}

void parse_json(std::string_view body, AwsErrorInfo& info) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return;
  }
  for (const char* key : {"__type", "code", "Code"}) {
    if (auto it = j.find(key); it != j.end() && it->is_string()) {
      info.code = bare_json_type(it->get<std::string>());
      break;
    }
  }
  for (const char* key : {"message", "Message", "errorMessage"}) {
    if (auto it = j.find(key); it != j.end() && it->is_string()) {
      info.message = it->get<std::string>();
      break;
    }
  }
}

}  // namespace

std::string find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return {};
}

bool is_error_document(std::string_view body) {
  body = trim(body);
  if (body.empty() || body.front() != '<') {
    return false;
  }
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) {
    return false;
  }
  return std::string_view(doc.document_element().name()) == "Error";
}

AwsErrorInfo parse_error_response(std::string service, std::string operation, long status,
                                  const HeaderList& headers, std::string_view body) {
  AwsErrorInfo info;
  info.service = std::move(service);
  info.operation = std::move(operation);
  info.status = status;
  info.headers = headers;
  for (const char* h : {"x-amz-request-id", "x-amzn-RequestId", "x-amzn-request-id"}) {
    info.request_id = find_header(headers, h);
    if (!info.request_id.empty()) {
      break;
    }
  }
  // The JSON protocol may also put the code in a header (API Gateway-style services).
  std::string header_code = find_header(headers, "x-amzn-ErrorType");

  std::string_view b = trim(body);
  if (!b.empty() && b.front() == '<') {
    parse_xml(b, info);
  } else if (!b.empty() && b.front() == '{') {
    parse_json(b, info);
  }

  if (info.code.empty() && !header_code.empty()) {
    info.code = bare_json_type(header_code);
  }
  if (info.code.empty()) {
    info.code = code_for_status(status);
  }
  if (info.message.empty()) {
    info.message = message_for_status(status);
  }
  return info;
}

bool is_access_code(std::string_view code) {
  static constexpr std::array<std::string_view, 23> kCodes = {"AccessDenied",
                                                              "AccessDeniedException",
                                                              "InvalidClientTokenId",
                                                              "InvalidAccessKeyId",
                                                              "SignatureDoesNotMatch",
                                                              "InvalidSignatureException",
                                                              "ExpiredToken",
                                                              "ExpiredTokenException",
                                                              "UnrecognizedClientException",
                                                              "InvalidToken",
                                                              "MissingAuthenticationToken",
                                                              "IncompleteSignature",
                                                              "AuthFailure",
                                                              "UnauthorizedOperation",
                                                              "AllAccessDisabled",
                                                              "AccountProblem",
                                                              "NotAuthorized",
                                                              "InvalidSecurity",
                                                              "RequestExpired",
                                                              "Forbidden",
                                                              "KMS.AccessDeniedException",
                                                              "RegionDisabledException",
                                                              "DecryptionFailure"};
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

bool is_validation_code(std::string_view code) {
  static constexpr std::array<std::string_view, 12> kCodes = {
      "ValidationError",           "ValidationException",         "InvalidParameterValue",
      "InvalidParameterException", "InvalidParameterCombination", "MissingParameter",
      "InvalidRequestException",   "ResourceNotFoundException",   "MalformedPolicyDocument",
      "InvalidArgument",           "InvalidBucketName",           "InvalidIdentityToken"};
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

bool is_authorization_code(std::string_view code) {
  static constexpr std::array<std::string_view, 5> kCodes = {
      "AccessDenied", "AccessDeniedException", "KMS.AccessDeniedException", "UnauthorizedOperation",
      "Forbidden"};
  return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

std::string iam_action(std::string_view service, std::string_view operation) {
  // S3's operations whose IAM action has another name (Service Authorization Reference,
  // "API operations defined by Amazon S3"); every other S3 operation we could call
  // (GetBucketLocation, GetBucketVersioning, …) is authorized by its own name.
  struct Mapping {
    std::string_view operation, action;
  };
  static constexpr std::array<Mapping, 15> kS3 = {{
      {"ListObjectsV2", "ListBucket"},
      {"ListObjects", "ListBucket"},
      {"HeadBucket", "ListBucket"},
      {"ListObjectVersions", "ListBucketVersions"},
      {"ListMultipartUploads", "ListBucketMultipartUploads"},
      {"ListParts", "ListMultipartUploadParts"},
      {"ListBuckets", "ListAllMyBuckets"},
      {"CreateMultipartUpload", "PutObject"},
      {"UploadPart", "PutObject"},
      {"UploadPartCopy", "PutObject"},
      {"CompleteMultipartUpload", "PutObject"},
      {"CopyObject", "PutObject"},
      {"HeadObject", "GetObject"},
      {"DeleteObjects", "DeleteObject"},
      {"GetBucketLifecycleConfiguration", "GetLifecycleConfiguration"},
  }};
  if (service == "s3") {
    for (const auto& m : kS3) {
      if (m.operation == operation) {
        return fmt::format("s3:{}", m.action);
      }
    }
  }
  return fmt::format("{}:{}", service, operation);
}

std::string refused_action(const AwsErrorInfo& info) {
  if (info.operation.empty()) {
    return info.service;
  }
  // Secrets Manager decrypts with the secret's KMS key as the caller: the refusal is KMS's.
  if (info.code == "DecryptionFailure") {
    return fmt::format("kms:Decrypt ({})", info.operation);
  }
  std::string action = iam_action(info.service, info.operation);
  std::string_view name = std::string_view(action).substr(action.find(':') + 1);
  return name == info.operation ? action : fmt::format("{} ({})", action, info.operation);
}

ErrorKind classify(const AwsErrorInfo& info, ErrorKind fallback, bool validation_is_usage) {
  if (is_access_code(info.code) || (info.status == 403 && info.code.empty())) {
    return ErrorKind::kAccess;
  }
  if (validation_is_usage && is_validation_code(info.code)) {
    return ErrorKind::kUsage;
  }
  return fallback;
}

namespace {

std::string hint_for(const AwsErrorInfo& info) {
  if (!info.hint.empty()) {
    return info.hint;
  }
  const std::string& c = info.code;
  if (is_authorization_code(c) || c == "DecryptionFailure") {
    std::string action = c == "DecryptionFailure" ? std::string("kms:Decrypt")
                                                  : iam_action(info.service, info.operation);
    return fmt::format(
        "the identity in use may not perform {} on this resource: its IAM policy (and any "
        "bucket, key or organization policy) must allow {}{}; 'crossunload whoami' shows the "
        "identity at each hop",
        refused_action(info), action,
        info.service == "sts" ? " and the role's trust policy must let it in (external id)" : "");
  }
  if (c == "InvalidClientTokenId" || c == "InvalidAccessKeyId" ||
      c == "UnrecognizedClientException") {
    return "AWS does not know this access key id: check where the credentials come from "
           "(environment, profile, role chain) and that they are for this partition";
  }
  if (c == "SignatureDoesNotMatch" || c == "InvalidSignatureException") {
    return "the secret access key does not belong to the access key id, or the system clock is "
           "off";
  }
  if (c == "ExpiredToken" || c == "ExpiredTokenException" || c == "RequestExpired") {
    return "the session credentials have expired; refresh them (aws sso login, a new role "
           "session) or check the system clock";
  }
  if (c == "ResourceNotFoundException") {
    return "check the name or ARN and the region; a secret exists in one account and region only";
  }
  if (c == "NoSuchBucket") {
    return "check the bucket name and the account the credentials act in";
  }
  if (c == "PermanentRedirect" || c == "AuthorizationHeaderMalformed") {
    return "the bucket is in another region: set the region of the destination";
  }
  if (c == "RegionDisabledException") {
    return "STS is not activated in this region for the account; use another regional endpoint";
  }
  if (info.status == 0 || info.status >= 500 || c == "SlowDown" || c == "Throttling" ||
      c == "ThrottlingException" || c == "RequestLimitExceeded") {
    return "the request was retried and kept failing; try again later";
  }
  return "";
}

std::string describe(const AwsErrorInfo& info) {
  // A refusal names what the policy must allow; any other failure names the call made.
  std::string where = is_authorization_code(info.code) || info.code == "DecryptionFailure"
                          ? refused_action(info)
                      : info.operation.empty() ? info.service
                                               : info.service + ":" + info.operation;
  if (info.status > 0) {
    return fmt::format("{} ({}, HTTP {})", info.message, where, info.status);
  }
  return fmt::format("{} ({})", info.message, where);
}

}  // namespace

AwsError::AwsError(ErrorKind kind, std::string step, std::string resource, AwsErrorInfo info)
    : Error(kind, std::move(step), std::move(resource), describe(info)), info_(std::move(info)) {
  with_aws(info_.code, info_.request_id);
  if (auto h = hint_for(info_); !h.empty()) {
    with_hint(std::move(h));
  }
}

AwsError to_error(const AwsErrorInfo& info, std::string step, std::string resource,
                  ErrorKind fallback, bool validation_is_usage) {
  return AwsError(classify(info, fallback, validation_is_usage), std::move(step),
                  std::move(resource), info);
}

}  // namespace cu::aws
