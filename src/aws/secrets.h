#pragma once
// AWS Secrets Manager: GetSecretValue (JSON 1.1 protocol) by name or ARN, a version stage or
// id, SecretString or SecretBinary; and the parser for database secrets as Redshift and RDS
// store them. Secret values are registered with cu::register_secret the moment they are
// read; no error message ever contains one.
//
//   SecretsManagerClient sm(secretsmanager_endpoint("eu-west-1"), prod_role);
//   SecretValue v = sm.get_secret_value({.secret_id = "prod/redshift/etl"});
//   DatabaseSecret db = parse_database_secret(*v.string, "prod/redshift/etl");
//
// A secret id that does not exist (ResourceNotFoundException) is a configuration error
// (exit 2) with a hint about the account and region; AccessDenied/DecryptionFailure are
// access errors (exit 3).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "aws/http_service.h"

namespace cu::aws {

struct GetSecretValueRequest {
  std::string secret_id{};      // name or ARN
  std::string version_stage{};  // "AWSCURRENT" when both are empty
  std::string version_id{};
};

struct SecretValue {
  std::string arn{};
  std::string name{};
  std::string version_id{};
  std::vector<std::string> version_stages{};
  std::optional<std::string> string{};  // SecretString
  std::optional<std::string> binary{};  // SecretBinary, decoded bytes
};

// A database connection as stored in a Redshift or RDS secret.
struct DatabaseSecret {
  std::string host{};
  int port = 0;
  std::string dbname{};  // "dbname", or "database" when that is what the secret has
  std::string username{};
  std::string password{};            // registered as a secret
  std::string engine{};              // "redshift", "postgres", … ; empty when absent
  std::string cluster_identifier{};  // dbClusterIdentifier; empty when absent
};

ServiceEndpoint secretsmanager_endpoint(const std::string& region,
                                        const std::string& endpoint_url = "");

class SecretsManagerClient {
 public:
  SecretsManagerClient(ServiceEndpoint endpoint, CredentialsProviderPtr credentials,
                       RetryPolicy retry = {});
  SecretValue get_secret_value(const GetSecretValueRequest& request) const;

 private:
  ServiceClient client_;
};

// Pure parts, unit-tested without a server.
std::string get_secret_value_body(const GetSecretValueRequest& request);
SecretValue parse_get_secret_value_response(std::string_view json);
// Parses a database secret's JSON; throws cu::Error(kUsage, "read secret", secret_id, …)
// naming the missing or ill-typed field (never a value). `port` may be a number or a string
// of digits; `dbname` may be spelled `database`.
DatabaseSecret parse_database_secret(std::string_view json, const std::string& secret_id);
// Standard base64 (with padding) to bytes; throws std::invalid_argument on bad input.
std::string base64_decode(std::string_view text);

}  // namespace cu::aws
