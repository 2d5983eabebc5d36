#include "aws/sts.h"

#include <fmt/format.h>

#include <ctime>
#include <pugixml.hpp>

#include "aws/endpoints.h"
#include "aws/names.h"
#include "aws/role_chain.h"
#include "aws/sigv4.h"
#include "base/redact.h"

namespace cu::aws {
namespace {

constexpr const char* kFormType = "application/x-www-form-urlencoded; charset=utf-8";

void add_param(std::string& form, std::string_view name, std::string_view value) {
  if (!form.empty()) {
    form += '&';
  }
  form += uri_encode(name, true);
  form += '=';
  form += uri_encode(value, true);
}

pugi::xml_node result_node(const pugi::xml_document& doc, const char* result, const char* op) {
  pugi::xml_node n = doc.document_element().child(result);
  if (!n) {
    throw Error(ErrorKind::kOther, op, "",
                "unexpected response from STS (no " + std::string(result) + ")");
  }
  return n;
}

pugi::xml_document load(std::string_view xml, const char* op) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) {
    throw Error(ErrorKind::kOther, op, "", "unparseable XML response from STS");
  }
  return doc;
}

}  // namespace

ServiceEndpoint sts_endpoint(const std::string& region, const std::string& endpoint_url) {
  std::string url = endpoint_url;
  if (url.empty()) {
    std::string domain = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    url = region.empty() ? "https://sts.amazonaws.com"
                         : fmt::format("https://sts.{}.{}", region, domain);
  }
  return ServiceEndpoint{"sts", region_or_default(region), url};
}

std::chrono::system_clock::time_point parse_iso8601(std::string_view text) {
  std::tm tm{};
  int y, mo, d, h, mi, s;
  std::string buf(text);
  if (std::sscanf(buf.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) {
    throw Error(ErrorKind::kOther, "parse time", "", "not an ISO 8601 time: " + buf);
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string account_of_arn(std::string_view arn) {
  // arn:partition:service:region:account:resource
  if (!arn.starts_with("arn:")) {
    return {};
  }
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = arn.find(':', pos);
    if (pos == std::string_view::npos) {
      return {};
    }
    ++pos;
  }
  auto end = arn.find(':', pos);
  if (end == std::string_view::npos) {
    return {};
  }
  return std::string(arn.substr(pos, end - pos));
}

std::string assume_role_form(const AssumeRoleRequest& r) {
  std::string form;
  add_param(form, "Action", "AssumeRole");
  add_param(form, "Version", "2011-06-15");
  add_param(form, "RoleArn", r.role_arn);
  std::string session = r.session_name;
  if (session.empty()) {
    session = fmt::format("crossunload-{}", std::time(nullptr));
  }
  add_param(form, "RoleSessionName", session);
  if (!r.external_id.empty()) {
    add_param(form, "ExternalId", r.external_id);
  }
  if (r.duration_seconds) {
    add_param(form, "DurationSeconds", std::to_string(*r.duration_seconds));
  }
  if (!r.source_identity.empty()) {
    add_param(form, "SourceIdentity", r.source_identity);
  }
  for (std::size_t i = 0; i < r.tags.size(); ++i) {
    add_param(form, fmt::format("Tags.member.{}.Key", i + 1), r.tags[i].first);
    add_param(form, fmt::format("Tags.member.{}.Value", i + 1), r.tags[i].second);
  }
  return form;
}

AssumedRole parse_assume_role_response(std::string_view xml) {
  auto doc = load(xml, "assume role");
  pugi::xml_node result = result_node(doc, "AssumeRoleResult", "assume role");
  pugi::xml_node c = result.child("Credentials");
  AssumedRole out;
  out.credentials.access_key_id = c.child_value("AccessKeyId");
  out.credentials.secret_access_key = c.child_value("SecretAccessKey");
  out.credentials.session_token = c.child_value("SessionToken");
  register_secret(out.credentials.secret_access_key);
  register_secret(out.credentials.session_token);
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty()) {
    throw Error(ErrorKind::kOther, "assume role", "", "STS returned no credentials");
  }
  if (std::string_view exp = c.child_value("Expiration"); !exp.empty()) {
    out.credentials.expiration = parse_iso8601(exp);
  }
  out.assumed_role_arn = result.child("AssumedRoleUser").child_value("Arn");
  out.assumed_role_id = result.child("AssumedRoleUser").child_value("AssumedRoleId");
  return out;
}

CallerIdentity parse_caller_identity_response(std::string_view xml) {
  auto doc = load(xml, "get caller identity");
  pugi::xml_node result = result_node(doc, "GetCallerIdentityResult", "get caller identity");
  return CallerIdentity{result.child_value("Account"), result.child_value("Arn"),
                        result.child_value("UserId")};
}

StsClient::StsClient(ServiceEndpoint endpoint, CredentialsProviderPtr credentials,
                     RetryPolicy retry)
    : client_(std::move(endpoint), std::move(credentials), retry,
              HttpOptions{.request_timeout = std::chrono::milliseconds(30'000)}) {}

AssumedRole StsClient::assume_role(const AssumeRoleRequest& request,
                                   const std::string& caller) const {
  std::string form = assume_role_form(request);
  ServiceRequest r;
  r.operation = "AssumeRole";
  r.method = "POST";
  r.headers = {{"Content-Type", kFormType}};
  r.body = form;
  r.idempotent = true;  // a second session is harmless
  r.step = "assume role";
  r.resource = request.role_arn + " as " + (caller.empty() ? "?" : caller);
  r.error_kind = ErrorKind::kAccess;
  try {
    HttpResponse resp = client_.send(r);
    AssumedRole out = parse_assume_role_response(resp.body);
    out.credentials.source = "assume role " + request.role_arn;
    return out;
  } catch (const AwsError& e) {
    if (!caller.empty() || e.kind() != ErrorKind::kAccess) {
      throw;
    }
    // Name the identity AWS refused; keep the original error if even that fails.
    std::string who = client_.credentials()->describe();
    try {
      who = get_caller_identity().arn;
    } catch (const Error&) {
    }
    throw AwsError(e.kind(), "assume role", request.role_arn + " as " + who, e.info());
  }
}

CallerIdentity StsClient::get_caller_identity() const {
  ServiceRequest r;
  r.operation = "GetCallerIdentity";
  r.method = "POST";
  r.headers = {{"Content-Type", kFormType}};
  r.body = "Action=GetCallerIdentity&Version=2011-06-15";
  r.step = "get caller identity";
  r.resource = "via " + client_.credentials()->describe();
  r.error_kind = ErrorKind::kAccess;
  return parse_caller_identity_response(client_.send(r).body);
}

AssumeRoleFn sts_assume_role(const Environment& env, const SharedConfig& config,
                             RetryPolicy retry) {
  return [env, config, retry](const AssumeRoleCall& call) -> Credentials {
    std::string region =
        region_or_default(call.region.empty() ? resolve_region(env, config) : call.region);
    ResolvedEndpoint ep = resolve_endpoint("sts", region, env, config);
    StsClient sts(ServiceEndpoint{ep.signing_name, ep.region, ep.url},
                  fixed_credentials(call.source, call.source_description), retry);
    AssumeRoleRequest req;
    req.role_arn = call.role_arn;
    req.session_name = call.session_name;
    req.external_id = call.external_id;
    req.duration_seconds = call.duration_seconds;
    return sts.assume_role(req).credentials;
  };
}

}  // namespace cu::aws
