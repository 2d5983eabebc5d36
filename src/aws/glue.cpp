#include "aws/glue.h"

#include <fmt/format.h>

#include <algorithm>

#include "aws/endpoints.h"
#include "aws/error.h"
#include "base/error.h"

namespace cu::aws {

using nlohmann::json;

namespace {

constexpr const char* kStep = "register catalog";

std::string values_text(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) {
    out += (out.empty() ? "" : "/") + v;
  }
  return out;
}

}  // namespace

ServiceEndpoint glue_endpoint(const std::string& region, const std::string& endpoint_url) {
  std::string r = region.empty() ? "us-east-1" : region;
  std::string url = endpoint_url.empty() ? default_endpoint("glue", r).url : endpoint_url;
  return ServiceEndpoint{"glue", r, url};
}

GlueClient::GlueClient(ServiceEndpoint endpoint, CredentialsProviderPtr credentials,
                       RetryPolicy retry)
    : client_(std::move(endpoint), std::move(credentials), retry,
              HttpOptions{.request_timeout = std::chrono::milliseconds(30'000)}) {}

json GlueClient::call(const std::string& operation, const json& body, const std::string& step,
                      const std::string& resource, ErrorKind kind) const {
  std::string text = body.dump();
  ServiceRequest r = json_request("AWSGlue", operation);
  r.body = text;
  r.step = step;
  r.resource = resource;
  r.error_kind = kind;
  try {
    return client_.send_json(r);
  } catch (const AwsError& e) {
    // Glue's word for a name it cannot take: the job's configuration is wrong.
    if (e.info().code == "InvalidInputException") {
      AwsError usage = to_error(e.info(), step, resource, ErrorKind::kUsage);
      usage.with_hint(
          "Glue database and table names are 1 to 255 lower-case letters, digits and "
          "underscores");
      throw usage;
    }
    throw;
  }
}

void GlueClient::get_database(const std::string& database) const {
  std::string resource = "database " + database + " via " + client_.credentials()->describe();
  try {
    call("GetDatabase", json{{"Name", database}}, kStep, resource);
  } catch (const AwsError& e) {
    if (e.info().code != "EntityNotFoundException") {
      throw;
    }
    throw Error(ErrorKind::kUsage, kStep, "database " + database,
                fmt::format("the Glue database does not exist in this account and region ({}) "
                            "[EntityNotFoundException] (request id {})",
                            client_.endpoint().region, e.info().request_id))
        .with_aws(e.info().code, e.info().request_id)
        .with_hint(
            "create it first (aws glue create-database --database-input Name=…, or CREATE "
            "DATABASE in Athena), or correct catalog_database");
  }
}

std::optional<json> GlueClient::get_table(const std::string& database,
                                          const std::string& table) const {
  try {
    json j = call("GetTable", json{{"DatabaseName", database}, {"Name", table}}, kStep,
                  "table " + database + "." + table + " via " + client_.credentials()->describe());
    auto it = j.find("Table");
    if (it == j.end() || !it->is_object()) {
      return std::nullopt;
    }
    return *it;
  } catch (const AwsError& e) {
    if (e.info().code == "EntityNotFoundException") {
      return std::nullopt;
    }
    throw;
  }
}

bool GlueClient::create_table(const std::string& database, const json& table_input) const {
  try {
    call("CreateTable", json{{"DatabaseName", database}, {"TableInput", table_input}}, kStep,
         "table " + database + "." + table_input.value("Name", std::string()) + " via " +
             client_.credentials()->describe());
    return true;
  } catch (const AwsError& e) {
    // Created meanwhile: by another run, or by this call's own first attempt whose answer
    // was lost (a retry then hears AlreadyExistsException).
    if (e.info().code != "AlreadyExistsException") {
      throw;
    }
    return false;
  }
}

void GlueClient::update_table(const std::string& database, const json& table_input) const {
  call("UpdateTable", json{{"DatabaseName", database}, {"TableInput", table_input}}, kStep,
       "table " + database + "." + table_input.value("Name", std::string()) + " via " +
           client_.credentials()->describe());
}

std::vector<std::vector<std::string>> already_existing_partitions(const json& response,
                                                                  const std::string& resource) {
  std::vector<std::vector<std::string>> out;
  auto errors = response.find("Errors");
  if (errors == response.end() || !errors->is_array()) {
    return out;
  }
  for (const json& e : *errors) {
    std::vector<std::string> values;
    if (auto v = e.find("PartitionValues"); v != e.end() && v->is_array()) {
      for (const json& x : *v) {
        values.push_back(x.is_string() ? x.get<std::string>() : x.dump());
      }
    }
    json detail = e.value("ErrorDetail", json::object());
    std::string code = detail.value("ErrorCode", std::string());
    if (code == "AlreadyExistsException") {
      out.push_back(std::move(values));
      continue;
    }
    std::string message = detail.value("ErrorMessage", std::string());
    Error err(is_access_code(code) ? ErrorKind::kAccess : ErrorKind::kDestination, kStep,
              resource + " partition " + values_text(values),
              fmt::format("Glue did not create the partition: {} [{}]", message, code));
    err.with_aws(code, "");
    throw err;
  }
  return out;
}

GluePartitionCounts GlueClient::put_partitions(const std::string& database,
                                               const std::string& table,
                                               const std::vector<json>& partition_inputs) const {
  GluePartitionCounts counts;
  std::string resource =
      "table " + database + "." + table + " via " + client_.credentials()->describe();
  for (std::size_t start = 0; start < partition_inputs.size(); start += kGluePartitionBatch) {
    std::size_t end = std::min(partition_inputs.size(), start + kGluePartitionBatch);
    json inputs = json::array();
    for (std::size_t i = start; i < end; ++i) {
      inputs.push_back(partition_inputs[i]);
    }
    json answer =
        call("BatchCreatePartition",
             json{{"DatabaseName", database}, {"TableName", table}, {"PartitionInputList", inputs}},
             kStep, resource);
    std::vector<std::vector<std::string>> existing = already_existing_partitions(answer, resource);
    counts.created += (end - start) - existing.size();
    if (existing.empty()) {
      continue;
    }
    json entries = json::array();
    for (std::size_t i = start; i < end; ++i) {
      const json& input = partition_inputs[i];
      std::vector<std::string> values = input.at("Values").get<std::vector<std::string>>();
      if (std::find(existing.begin(), existing.end(), values) != existing.end()) {
        entries.push_back({{"PartitionValueList", values}, {"PartitionInput", input}});
      }
    }
    json updated =
        call("BatchUpdatePartition",
             json{{"DatabaseName", database}, {"TableName", table}, {"Entries", entries}}, kStep,
             resource);
    if (auto errors = updated.find("Errors");
        errors != updated.end() && errors->is_array() && !errors->empty()) {
      const json& e = errors->front();
      json detail = e.value("ErrorDetail", json::object());
      std::string code = detail.value("ErrorCode", std::string());
      Error err(is_access_code(code) ? ErrorKind::kAccess : ErrorKind::kDestination, kStep,
                resource,
                fmt::format("Glue did not update {} existing partition(s): {} [{}]", errors->size(),
                            detail.value("ErrorMessage", std::string()), code));
      err.with_aws(code, "");
      throw err;
    }
    counts.updated += existing.size();
  }
  return counts;
}

}  // namespace cu::aws
