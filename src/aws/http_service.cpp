#include "aws/http_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "aws/retry_config.h"
#include "base/log.h"

namespace cu::aws {

namespace {

// The kind of a failure AWS did not decide: an untrusted certificate is fixed in the
// configuration (the CA bundle), not by the destination or the source; a network failure,
// a 5xx or throttling is no authorization failure even for a call whose refusals are
// (STS's), so it leaves kAccess for kOther. Access codes are kAccess whatever this says
// (classify()).
ErrorKind failure_kind(ErrorKind requested, const AttemptOutcome& outcome, bool throttled) {
  if (outcome.transport_error && outcome.permanent) {
    return ErrorKind::kUsage;
  }
  bool transient = outcome.transport_error || outcome.status >= 500 || throttled ||
                   is_transient_code(outcome.code);
  if (transient && requested == ErrorKind::kAccess) {
    return ErrorKind::kOther;
  }
  return requested;
}

}  // namespace

ServiceClient::ServiceClient(ServiceEndpoint endpoint, CredentialsProviderPtr credentials,
                             RetryPolicy retry, HttpOptions http)
    : endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)),
      retry_(retry),
      retry_env_(RetryEnv::system()),
      http_(http) {
  if (!retry_.max_attempts) {
    // AWS_MAX_ATTEMPTS / max_attempts, as the CLI and SDKs honour them; a bad value throws
    // here, before any request, as a configuration error.
    retry_.max_attempts = configured_retry_settings().max_attempts;
  }
  while (!endpoint_.endpoint.empty() && endpoint_.endpoint.back() == '/') {
    endpoint_.endpoint.pop_back();
  }
}

ServiceRequest json_request(std::string_view target_prefix, std::string operation) {
  ServiceRequest r;
  r.method = "POST";
  r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", fmt::format("{}.{}", target_prefix, operation)}};
  r.operation = std::move(operation);
  return r;
}

nlohmann::json ServiceClient::send_json(const ServiceRequest& r) const {
  HttpResponse resp = send(r);
  nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error(r.error_kind, r.step, r.resource,
                fmt::format("unparseable {} response from {} at {}", r.operation, endpoint_.service,
                            endpoint_.endpoint));
  }
  return j;
}

HttpResponse ServiceClient::send(const ServiceRequest& r) const {
  const bool s3 = endpoint_.service == "s3";
  const bool streaming = static_cast<bool>(r.body_reader);
  const std::string url = endpoint_.endpoint + r.path + (r.query.empty() ? "" : "?" + r.query);
  // Hashed once, not per attempt: parts are megabytes.
  const std::string payload_hash =
      streaming || r.unsigned_payload ? std::string() : sha256_hex(r.body);

  std::uint64_t sunk = 0;  // bytes already streamed to the caller's sink: no retry after that
  BodySink counting_sink;
  if (r.sink) {
    counting_sink = [&](std::string_view chunk) {
      (*r.sink)(chunk);
      sunk += chunk.size();
    };
  }

  Backoff backoff(retry_, retry_env_);
  AttemptTrace local_trace;
  AttemptTrace& trace = r.trace ? *r.trace : local_trace;
  trace = AttemptTrace{};
  for (int attempt = 1;; ++attempt) {
    trace.attempts = attempt;
    HttpRequest hr{r.method, url, {}, ""};
    hr.headers.reserve(r.headers.size() + 6);
    hr.headers.emplace_back("Host", host_header_of(url));
    for (const auto& h : r.headers) {
      hr.headers.push_back(h);
    }

    SigningParams params;
    params.region = endpoint_.region;
    params.service = endpoint_.service;
    params.time = std::chrono::system_clock::now();
    if (streaming || r.unsigned_payload) {
      params.payload = PayloadSigning::kUnsignedPayload;
    } else {
      params.payload = PayloadSigning::kPrecomputed;
      params.payload_hash = payload_hash;
    }
    params.add_content_sha256_header = s3;
    params.normalize_path = !s3;
    params.double_encode_path = !s3;
    // Fresh each attempt: a provider refreshes credentials that are about to expire.
    sign(hr, credentials_->get(), params);

    HttpBody body;
    body.data = r.body;
    if (streaming) {
      body.reader = r.body_reader;
      body.reader_size = r.body_reader_size;
    }

    AwsErrorInfo info;
    AttemptOutcome outcome;
    try {
      HttpOptions opts = http_.options();
      if (r.slow_answer) {
        opts.low_speed_time = std::chrono::seconds(0);
        opts.request_timeout = std::chrono::milliseconds(0);
      }
      opts.detect_resend = r.trace != nullptr;
      HttpResponse resp = http_.send(hr, &body, r.sink ? &counting_sink : nullptr, opts);
      if (resp.resent) {
        trace.earlier_may_have_applied = true;
      }
      bool pass = std::find(r.pass_statuses.begin(), r.pass_statuses.end(), resp.status) !=
                  r.pass_statuses.end();
      bool ok = (resp.status >= 200 && resp.status < 300) || pass;
      // S3 may answer 200 and report the failure in the body (CompleteMultipartUpload).
      if (ok && s3 && r.method == "POST" && resp.status == 200 && is_error_document(resp.body)) {
        info = parse_error_response(endpoint_.service, r.operation, resp.status, resp.headers,
                                    resp.body);
        outcome.status = 500;  // retried like the InternalError it usually is
      } else if (ok) {
        return resp;
      } else {
        info = parse_error_response(endpoint_.service, r.operation, resp.status, resp.headers,
                                    resp.body);
        outcome.status = resp.status;
      }
    } catch (const TransportError& e) {
      info.service = endpoint_.service;
      info.operation = r.operation;
      if (e.permanent()) {
        info.message = e.what();  // names the CA bundle that refused the certificate
        info.hint = e.hint();
      } else {
        info.message =
            fmt::format("could not connect to {}{}: {}", endpoint_.endpoint,
                        e.may_have_reached_server() ? " (no complete answer)" : "", e.detail());
        info.hint = fmt::format(
            "a network failure, not a refusal by AWS: check that {} is reachable from here "
            "(DNS, proxy, firewall, VPC endpoint; the region and AWS_ENDPOINT_URL* choose the "
            "address); AWS_MAX_ATTEMPTS sets how many attempts a request gets",
            endpoint_.endpoint);
      }
      outcome.transport_error = true;
      outcome.request_may_have_reached_server = e.may_have_reached_server();
      outcome.permanent = e.permanent();
    }
    outcome.code = info.code;

    bool throttled = outcome.status == 429 || is_throttling_code(info.code);
    if ((outcome.transport_error && outcome.request_may_have_reached_server) ||
        (outcome.status >= 500 && !throttled)) {
      trace.earlier_may_have_applied = true;
    }
    bool retryable = is_retryable(outcome, r.idempotent) && sunk == 0 &&
                     (!streaming || static_cast<bool>(r.rewind_body_reader));
    std::optional<std::chrono::milliseconds> delay;
    if (retryable) {
      delay = backoff.next_delay(attempt, throttled);
    }
    if (!delay) {
      if (attempt > 1) {
        info.message += fmt::format(" (gave up after {} attempts)", attempt);
      }
      throw to_error(info, r.step, r.resource, failure_kind(r.error_kind, outcome, throttled),
                     r.validation_is_usage);
    }
    log::debug("{}:{} attempt {} failed ({}{}{}), retrying in {} ms", endpoint_.service,
               r.operation, attempt, info.status ? fmt::format("HTTP {} ", info.status) : "",
               info.code, info.status ? "" : info.message, delay->count());
    retry_env_.sleep(*delay);
    if (streaming) {
      r.rewind_body_reader();
    }
  }
}

}  // namespace cu::aws
