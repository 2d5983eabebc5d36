#include "aws/redshift_data.h"

#include "aws/endpoints.h"
#include "base/error.h"

namespace cu::aws {

using nlohmann::json;

namespace {

std::string string_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t int_of(const json& j, const char* key, std::int64_t fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

}  // namespace

ServiceEndpoint redshift_data_endpoint(const std::string& region, const std::string& endpoint_url) {
  std::string r = region.empty() ? "us-east-1" : region;
  std::string url = endpoint_url.empty() ? default_endpoint("redshift-data", r).url : endpoint_url;
  return ServiceEndpoint{"redshift-data", r, url};
}

std::string execute_statement_body(const ExecuteStatementRequest& r) {
  json body = {{"Sql", r.sql}};
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) {
      body[key] = v;
    }
  };
  put("ClusterIdentifier", r.cluster_identifier);
  put("WorkgroupName", r.workgroup_name);
  put("Database", r.database);
  put("DbUser", r.db_user);
  put("SecretArn", r.secret_arn);
  put("StatementName", r.statement_name);
  put("ClientToken", r.client_token);
  return body.dump();
}

StatementDescription parse_describe_statement(const json& j) {
  StatementDescription d;
  d.id = string_of(j, "Id");
  d.status = string_of(j, "Status");
  d.error = string_of(j, "Error");
  d.duration_ns = int_of(j, "Duration", 0);
  d.result_rows = int_of(j, "ResultRows", -1);
  if (auto it = j.find("HasResultSet"); it != j.end() && it->is_boolean()) {
    d.has_result_set = it->get<bool>();
  }
  d.query_string = string_of(j, "QueryString");
  d.cluster_identifier = string_of(j, "ClusterIdentifier");
  d.workgroup_name = string_of(j, "WorkgroupName");
  d.database = string_of(j, "Database");
  d.secret_arn = string_of(j, "SecretArn");
  d.db_user = string_of(j, "DbUser");
  return d;
}

bool is_final_status(std::string_view status) {
  return status == "FINISHED" || status == "FAILED" || status == "ABORTED";
}

RedshiftDataClient::RedshiftDataClient(ServiceEndpoint endpoint, CredentialsProviderPtr credentials,
                                       RetryPolicy retry)
    : client_(std::move(endpoint), std::move(credentials), retry,
              HttpOptions{.request_timeout = std::chrono::milliseconds(30'000)}) {}

json RedshiftDataClient::call(const std::string& operation, const std::string& text,
                              const std::string& step, const std::string& resource,
                              bool idempotent) const {
  ServiceRequest r = json_request("RedshiftData", operation);
  r.body = text;
  r.step = step;
  r.resource = resource + " via " + client_.credentials()->describe();
  r.idempotent = idempotent;
  r.error_kind = ErrorKind::kOther;
  return client_.send_json(r);
}

std::string RedshiftDataClient::execute_statement(const ExecuteStatementRequest& request) const {
  std::string target = request.cluster_identifier.empty() ? "workgroup " + request.workgroup_name
                                                          : "cluster " + request.cluster_identifier;
  // With a ClientToken a repeated submission is the same statement, so it may be retried.
  json j = call("ExecuteStatement", execute_statement_body(request), "submit statement",
                target + "/" + request.database, !request.client_token.empty());
  std::string id = string_of(j, "Id");
  if (id.empty()) {
    throw Error(ErrorKind::kOther, "submit statement", target,
                "the Data API answered ExecuteStatement without a statement id");
  }
  return id;
}

StatementDescription RedshiftDataClient::describe_statement(const std::string& id) const {
  return parse_describe_statement(
      call("DescribeStatement", json{{"Id", id}}.dump(), "describe statement", id));
}

bool RedshiftDataClient::cancel_statement(const std::string& id) const {
  json j = call("CancelStatement", json{{"Id", id}}.dump(), "cancel statement", id, false);
  auto it = j.find("Status");
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

json RedshiftDataClient::get_statement_result(const std::string& id,
                                              const std::string& next_token) const {
  json body = {{"Id", id}};
  if (!next_token.empty()) {
    body["NextToken"] = next_token;
  }
  return call("GetStatementResult", body.dump(), "read statement result", id);
}

}  // namespace cu::aws
