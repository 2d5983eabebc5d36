#pragma once
// One AWS service endpoint as the rest of src/aws/ talks to it: every attempt is signed
// (SigV4) with fresh credentials from the provider, retried with backoff when AWS or the
// network says so (retry.h), and an error response becomes one AwsError naming the step
// and resource the caller gives (error.h). A policy without max_attempts gets the process's
// AWS_MAX_ATTEMPTS / profile max_attempts (retry_config.h), else RetryPolicy's default.
//
//   ServiceClient sts({"sts", "eu-west-1", "https://sts.eu-west-1.amazonaws.com"}, provider);
//   ServiceRequest r;
//   r.operation = "GetCallerIdentity"; r.method = "POST";
//   r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
//   r.body = "Action=GetCallerIdentity&Version=2011-06-15";
//   r.step = "get caller identity";
//   HttpResponse resp = sts.send(r);
//
// Thread-safe: the upload workers share one client.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/retry.h"
#include "aws/sigv4.h"

namespace cu::aws {

struct ServiceEndpoint {
  std::string service{};   // signing name: "s3", "sts", "secretsmanager"
  std::string region{};    // signing region
  std::string endpoint{};  // "https://sts.eu-west-1.amazonaws.com", no trailing slash
};

// What the attempts of one request did, for callers that must recognise their own earlier
// effect on a retry (S3: a CompleteMultipartUpload or a conditional put whose first answer
// was lost finds the object already there).
struct AttemptTrace {
  int attempts = 0;
  // A failed attempt may have been carried out by the server although no success answer
  // came: the connection broke after the request was sent, or a 5xx that was not
  // throttling (S3 may have acted before failing). When send() then returns, or throws
  // the error of a later attempt, that error may be the consequence of this one.
  bool earlier_may_have_applied = false;
};

struct ServiceRequest {
  std::string operation{};  // AWS's name, for errors and logs: "AssumeRole"
  std::string method = "GET";
  std::string path = "/";    // percent-encoded as sent
  std::string query{};       // percent-encoded, without '?'
  HeaderList headers{};      // besides Host and the signing headers
  std::string_view body{};   // caller-owned, alive until send() returns
  BodyReader body_reader{};  // alternative streaming body (sent UNSIGNED-PAYLOAD)
  std::uint64_t body_reader_size = 0;
  std::function<void()> rewind_body_reader{};  // before each retry of a reader body
  const BodySink* sink = nullptr;  // streams a 2xx response body (not retried once data flowed)
  bool idempotent = true;
  bool unsigned_payload = false;  // S3 over TLS may skip hashing the body
  // The server may think for minutes before answering (CompleteMultipartUpload of a big
  // object): no stall detection, no request timeout for this one.
  bool slow_answer = false;

  // How a failure is reported: "<step> <resource>: …", kind for codes that are neither access
  // nor validation.
  std::string step{};
  std::string resource{};
  ErrorKind error_kind = ErrorKind::kOther;
  bool validation_is_usage = true;
  // Statuses returned to the caller instead of thrown (HeadObject's 404, S3's 301).
  std::vector<long> pass_statuses{};
  // Filled in by send() when set, whether it returns or throws. With a trace, libcurl's own
  // resends (HttpOptions::detect_resend) count as attempts that may have been applied.
  AttemptTrace* trace = nullptr;
};

// A request of AWS's JSON 1.1 protocol (Glue, the Redshift Data API, Secrets Manager): a
// POST to "/" naming the action in X-Amz-Target ("AWSGlue.CreateTable"); the caller sets
// the body (a JSON document), step and resource.
ServiceRequest json_request(std::string_view target_prefix, std::string operation);

class ServiceClient {
 public:
  ServiceClient(ServiceEndpoint endpoint, CredentialsProviderPtr credentials,
                RetryPolicy retry = {}, HttpOptions http = {});

  // Sends the request; returns a 2xx response (or one of pass_statuses); throws AwsError
  // otherwise, after the retries the policy allows.
  HttpResponse send(const ServiceRequest& req) const;
  // send() for a JSON 1.1 request (json_request()): the answer's JSON object. An answer that
  // is not one is an Error of req.error_kind naming req.step, req.resource and the endpoint.
  nlohmann::json send_json(const ServiceRequest& req) const;

  const ServiceEndpoint& endpoint() const { return endpoint_; }
  const CredentialsProviderPtr& credentials() const { return credentials_; }
  const RetryPolicy& retry_policy() const { return retry_; }
  // For tests: a fake clock, random source and sleep.
  void set_retry_env(RetryEnv env) { retry_env_ = std::move(env); }

 private:
  ServiceEndpoint endpoint_;
  CredentialsProviderPtr credentials_;
  RetryPolicy retry_{};
  RetryEnv retry_env_;
  HttpClient http_;
};

}  // namespace cu::aws
