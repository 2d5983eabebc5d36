#pragma once
// Amazon Redshift Data API (service `redshift-data`, JSON 1.1 protocol, target
// RedshiftData.*): submit a statement to a cluster or Serverless workgroup, follow it, cancel
// it, read its result. The job's `via = "data-api"` path (job/data_api_unload.h) and
// `doctor` use it; the local Redshift serves the same protocol (gateway/data_api_server.h).
//
//   RedshiftDataClient rd(redshift_data_endpoint(region, endpoint_url), prod_role);
//   std::string id = rd.execute_statement({.sql = "unload (…) to …", .cluster_identifier = "c",
//                                          .database = "dev", .secret_arn = arn});
//   StatementDescription d = rd.describe_statement(id);   // d.status == "STARTED", …
//   rd.cancel_statement(id);
//
// Refusals are AwsError(kAccess) naming the action (redshift-data:ExecuteStatement, …) and
// the cluster or statement; an unknown statement id is kUsage.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/http_service.h"

namespace cu::aws {

struct ExecuteStatementRequest {
  std::string sql{};
  std::string cluster_identifier{};  // or workgroup_name
  std::string workgroup_name{};
  std::string database{};
  std::string db_user{};     // temporary credentials (redshift:GetClusterCredentials)
  std::string secret_arn{};  // or the secret's login
  std::string statement_name{};
  std::string client_token{};  // makes a retried submission idempotent
};

struct StatementDescription {
  std::string id{};
  std::string status{};  // SUBMITTED, PICKED, STARTED, FINISHED, FAILED, ABORTED
  std::string error{};   // the cluster's message when FAILED
  std::int64_t duration_ns = 0;
  std::int64_t result_rows = -1;
  bool has_result_set = false;
  std::string query_string{};
  std::string cluster_identifier{};
  std::string workgroup_name{};
  std::string database{};
  std::string secret_arn{};
  std::string db_user{};
};

ServiceEndpoint redshift_data_endpoint(const std::string& region,
                                       const std::string& endpoint_url = "");

class RedshiftDataClient {
 public:
  RedshiftDataClient(ServiceEndpoint endpoint, CredentialsProviderPtr credentials,
                     RetryPolicy retry = {});

  // Returns the statement id.
  std::string execute_statement(const ExecuteStatementRequest& request) const;
  StatementDescription describe_statement(const std::string& id) const;
  // True when the Data API accepted the cancellation.
  bool cancel_statement(const std::string& id) const;
  // One page of GetStatementResult, as the Data API answers it.
  nlohmann::json get_statement_result(const std::string& id,
                                      const std::string& next_token = "") const;

  const ServiceClient& service() const { return client_; }

 private:
  nlohmann::json call(const std::string& operation, const std::string& body,
                      const std::string& step, const std::string& resource,
                      bool idempotent = true) const;
  ServiceClient client_;
};

// Pure parts, unit-tested without a server.
std::string execute_statement_body(const ExecuteStatementRequest& request);
StatementDescription parse_describe_statement(const nlohmann::json& response);
// True for FINISHED, FAILED and ABORTED.
bool is_final_status(std::string_view status);

}  // namespace cu::aws
