#include "infra/cloud_calls.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>

#include "aws/error.h"
#include "aws/s3.h"
#include "aws/sigv4.h"
#include "base/error.h"

namespace cu::infra {

namespace {

pugi::xml_document parse_xml(std::string_view xml, const char* what) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) {
    throw Error(ErrorKind::kOther, what, "", "the response is not XML");
  }
  return doc;
}

std::string text(const pugi::xml_node& n, const char* child) {
  return n.child(child).text().as_string();
}

}  // namespace

std::string form_encode(std::string_view s) { return aws::uri_encode(s, true); }

std::optional<StackInfo> parse_describe_stacks(std::string_view xml) {
  auto doc = parse_xml(xml, "describe stack");
  auto member = doc.child("DescribeStacksResponse")
                    .child("DescribeStacksResult")
                    .child("Stacks")
                    .child("member");
  if (!member) {
    return std::nullopt;
  }
  StackInfo s;
  s.name = text(member, "StackName");
  s.id = text(member, "StackId");
  s.status = text(member, "StackStatus");
  s.status_reason = text(member, "StackStatusReason");
  for (auto t : member.child("Tags").children("member")) {
    s.tags[text(t, "Key")] = text(t, "Value");
  }
  if (s.status == "DELETE_COMPLETE") {
    return std::nullopt;
  }
  return s;
}

std::vector<StackResource> parse_list_stack_resources(std::string_view xml, std::string* next) {
  auto doc = parse_xml(xml, "list stack resources");
  auto result = doc.child("ListStackResourcesResponse").child("ListStackResourcesResult");
  std::vector<StackResource> out;
  for (auto m : result.child("StackResourceSummaries").children("member")) {
    out.push_back({text(m, "LogicalResourceId"), text(m, "PhysicalResourceId"),
                   text(m, "ResourceType"), text(m, "ResourceStatus")});
  }
  if (next) {
    *next = text(result, "NextToken");
  }
  return out;
}

std::vector<ObjectVersion> parse_list_object_versions(std::string_view xml, std::string* key_marker,
                                                      std::string* version_marker) {
  auto doc = parse_xml(xml, "list object versions");
  auto root = doc.child("ListVersionsResult");
  std::vector<ObjectVersion> out;
  for (auto n : root.children()) {
    std::string name = n.name();
    if (name != "Version" && name != "DeleteMarker") {
      continue;
    }
    ObjectVersion v;
    v.key = text(n, "Key");
    v.version_id = text(n, "VersionId");
    v.size = n.child("Size").text().as_ullong();
    v.delete_marker = name == "DeleteMarker";
    out.push_back(std::move(v));
  }
  bool truncated = std::string(text(root, "IsTruncated")) == "true";
  *key_marker = truncated ? text(root, "NextKeyMarker") : "";
  *version_marker = truncated ? text(root, "NextVersionIdMarker") : "";
  return out;
}

std::string delete_versions_body(const std::vector<ObjectVersion>& versions, std::size_t begin,
                                 std::size_t end) {
  pugi::xml_document doc;
  auto del = doc.append_child("Delete");
  del.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  del.append_child("Quiet").text() = "true";
  for (std::size_t i = begin; i < end && i < versions.size(); ++i) {
    auto o = del.append_child("Object");
    o.append_child("Key").text() = versions[i].key.c_str();
    if (!versions[i].version_id.empty()) {
      o.append_child("VersionId").text() = versions[i].version_id.c_str();
    }
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

StepFunctions::StepFunctions(aws::ServiceEndpoint endpoint, aws::CredentialsProviderPtr credentials)
    : client_(std::move(endpoint), std::move(credentials)) {}

std::string StepFunctions::call(const std::string& operation, const std::string& body,
                                const std::string& resource) const {
  aws::ServiceRequest r;
  r.operation = operation;
  r.method = "POST";
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"},
               {"X-Amz-Target", "AWSStepFunctions." + operation}};
  r.body = body;
  r.step = "teardown";
  r.resource = resource;
  return client_.send(r).body;
}

std::vector<std::string> StepFunctions::running_executions(
    const std::string& state_machine_arn) const {
  std::vector<std::string> out;
  std::string token;
  do {
    nlohmann::json req = {{"stateMachineArn", state_machine_arn}, {"statusFilter", "RUNNING"}};
    if (!token.empty()) {
      req["nextToken"] = token;
    }
    nlohmann::json page;
    try {
      page = nlohmann::json::parse(call("ListExecutions", req.dump(), state_machine_arn), nullptr,
                                   false);
    } catch (const aws::AwsError& e) {
      if (e.info().code == "StateMachineDoesNotExist") {
        return out;
      }
      throw;
    }
    if (!page.is_object()) {
      throw Error(ErrorKind::kOther, "teardown", state_machine_arn,
                  "unparseable ListExecutions response");
    }
    for (const auto& x : page.value("executions", nlohmann::json::array())) {
      out.push_back(x.value("executionArn", ""));
    }
    token = page.value("nextToken", "");
  } while (!token.empty());
  return out;
}

void StepFunctions::stop_execution(const std::string& execution_arn,
                                   const std::string& cause) const {
  nlohmann::json req = {
      {"executionArn", execution_arn}, {"error", "crossunload.Teardown"}, {"cause", cause}};
  call("StopExecution", req.dump(), execution_arn);
}

CloudFormation::CloudFormation(aws::ServiceEndpoint endpoint,
                               aws::CredentialsProviderPtr credentials)
    : client_(std::move(endpoint), std::move(credentials)) {}

std::string CloudFormation::call(const std::string& operation, const std::string& params,
                                 const std::string& resource) const {
  aws::ServiceRequest r;
  r.operation = operation;
  r.method = "POST";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  std::string body = "Action=" + operation + "&Version=2010-05-15" + params;
  r.body = body;
  r.step = "teardown";
  r.resource = resource;
  return client_.send(r).body;
}

std::optional<StackInfo> CloudFormation::describe_stack(const std::string& name) const {
  try {
    return parse_describe_stacks(call("DescribeStacks", "&StackName=" + form_encode(name), name));
  } catch (const aws::AwsError& e) {
    // "Stack with id X does not exist" is a ValidationError: the stack is already gone.
    if (e.info().code == "ValidationError" &&
        e.info().message.find("does not exist") != std::string::npos) {
      return std::nullopt;
    }
    throw;
  }
}

std::vector<StackResource> CloudFormation::list_resources(const std::string& name) const {
  std::vector<StackResource> all;
  std::string next;
  do {
    std::string params = "&StackName=" + form_encode(name);
    if (!next.empty()) {
      params += "&NextToken=" + form_encode(next);
    }
    auto page = parse_list_stack_resources(call("ListStackResources", params, name), &next);
    all.insert(all.end(), page.begin(), page.end());
  } while (!next.empty());
  return all;
}

void CloudFormation::delete_stack(const std::string& name) const {
  call("DeleteStack", "&StackName=" + form_encode(name), name);
}

S3Versions::S3Versions(aws::ServiceEndpoint endpoint, aws::CredentialsProviderPtr credentials,
                       bool path_style)
    : endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)),
      path_style_(path_style) {}

std::string S3Versions::path(const std::string& bucket) const {
  return path_style_ ? "/" + bucket + "/" : "/";
}

namespace {

aws::ServiceClient s3_client(const aws::ServiceEndpoint& ep, const aws::CredentialsProviderPtr& c,
                             const std::string& bucket, bool path_style) {
  aws::ServiceEndpoint e = ep;
  if (!path_style) {
    // https://s3.<region>.amazonaws.com -> https://<bucket>.s3.<region>.amazonaws.com
    auto scheme = e.endpoint.find("://");
    e.endpoint.insert(scheme + 3, bucket + ".");
  }
  return aws::ServiceClient(e, c);
}

}  // namespace

std::vector<ObjectVersion> S3Versions::list(const std::string& bucket,
                                            const std::string& prefix) const {
  auto client = s3_client(endpoint_, credentials_, bucket, path_style_);
  std::vector<ObjectVersion> all;
  std::string key_marker, version_marker;
  do {
    aws::ServiceRequest r;
    r.operation = "ListObjectVersions";
    r.method = "GET";
    r.path = path(bucket);
    // Query parameters in canonical (sorted) order.
    r.query = "";
    if (!key_marker.empty()) {
      r.query += "key-marker=" + form_encode(key_marker) + "&";
    }
    r.query += "prefix=" + form_encode(prefix);
    if (!version_marker.empty()) {
      r.query += "&version-id-marker=" + form_encode(version_marker);
    }
    r.query += "&versions=";
    r.step = "list object versions";
    r.resource = aws::s3_url(bucket, prefix);
    r.error_kind = ErrorKind::kDestination;
    auto page = parse_list_object_versions(client.send(r).body, &key_marker, &version_marker);
    all.insert(all.end(), page.begin(), page.end());
  } while (!key_marker.empty() || !version_marker.empty());
  return all;
}

void S3Versions::remove(const std::string& bucket,
                        const std::vector<ObjectVersion>& versions) const {
  auto client = s3_client(endpoint_, credentials_, bucket, path_style_);
  for (std::size_t i = 0; i < versions.size(); i += 1000) {
    std::string body = delete_versions_body(versions, i, i + 1000);
    aws::ServiceRequest r;
    // The API call is DeleteObjects, but with version ids IAM checks s3:DeleteObjectVersion
    // for each key (s3:DeleteObject is not enough): a refusal must name the action to allow.
    r.operation = "DeleteObjectVersion";
    r.method = "POST";
    r.path = path(bucket);
    r.query = "delete=";
    r.headers = {{"Content-Type", "application/xml"}, {"Content-MD5", aws::content_md5(body)}};
    r.body = body;
    r.step = "delete object versions";
    r.resource = aws::s3_url(bucket, versions[i].key);
    r.error_kind = ErrorKind::kDestination;
    aws::HttpResponse answer = client.send(r);
    pugi::xml_document doc;
    if (doc.load_buffer(answer.body.data(), answer.body.size())) {
      if (auto err = doc.child("DeleteResult").child("Error")) {
        std::string code = text(err, "Code");
        std::string url = aws::s3_url(bucket, text(err, "Key"));
        std::string request_id = answer.header("x-amz-request-id");
        if (aws::is_access_code(code)) {
          // S3 answers 200 and refuses keys one by one: a refused key is an access error
          // naming the IAM action, as a refused request is.
          aws::AwsErrorInfo info;
          info.service = "s3";
          info.operation = r.operation;
          info.code = code;
          info.message = text(err, "Message");
          info.request_id = request_id;
          throw aws::to_error(info, r.step, url, ErrorKind::kDestination);
        }
        throw Error(ErrorKind::kDestination, r.step, url, text(err, "Message"))
            .with_aws(code, request_id);
      }
    }
  }
}

}  // namespace cu::infra
