#pragma once
// AWS Glue Data Catalog (service `glue`, JSON 1.1 protocol, target AWSGlue.*): the few calls
// that register an unload's output as a table Athena queries — the database's existence, a
// table read, created or replaced, and its partitions created (or, when they exist,
// updated) in batches of 100, the most one call takes.
//
//   GlueClient glue(glue_endpoint(region, endpoint_url), dev_role);
//   glue.get_database("sales");                         // kUsage when it does not exist
//   if (glue.get_table("sales", "daily")) glue.update_table("sales", input);
//   else glue.create_table("sales", input);
//   GluePartitionCounts n = glue.put_partitions("sales", "daily", partitions);
//
// Table and partition inputs are Glue's own JSON shapes (TableInput, PartitionInput), built
// by the caller. Refusals are AwsError(kAccess) naming the action (glue:CreateTable, …);
// a database or table name Glue rejects (InvalidInputException, EntityNotFoundException on
// the database) is kUsage; any other Glue failure is kDestination — the catalog is part of
// where the output goes.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/http_service.h"

namespace cu::aws {

ServiceEndpoint glue_endpoint(const std::string& region, const std::string& endpoint_url = "");

struct GluePartitionCounts {
  std::size_t created = 0;
  std::size_t updated = 0;  // already there: replaced with the given input
};

// The most partitions one BatchCreatePartition / BatchUpdatePartition takes.
inline constexpr std::size_t kGluePartitionBatch = 100;

class GlueClient {
 public:
  GlueClient(ServiceEndpoint endpoint, CredentialsProviderPtr credentials, RetryPolicy retry = {});

  // Throws kUsage when the database does not exist in the caller's catalog.
  void get_database(const std::string& database) const;
  // The table (GetTable's "Table"), or nullopt when there is none of that name.
  std::optional<nlohmann::json> get_table(const std::string& database,
                                          const std::string& table) const;
  // False when a table of that name exists already (AlreadyExistsException): created by
  // another run meanwhile, or by this request's own attempt whose answer was lost.
  bool create_table(const std::string& database, const nlohmann::json& table_input) const;
  void update_table(const std::string& database, const nlohmann::json& table_input) const;
  // BatchCreatePartition in chunks of kGluePartitionBatch; the partitions that already
  // exist (AlreadyExistsException per entry) are replaced with BatchUpdatePartition, so a
  // second call with the same input creates nothing and changes nothing. Any other
  // per-entry error is thrown (kDestination) with Glue's code and message.
  GluePartitionCounts put_partitions(const std::string& database, const std::string& table,
                                     const std::vector<nlohmann::json>& partition_inputs) const;

  const ServiceClient& service() const { return client_; }

 private:
  nlohmann::json call(const std::string& operation, const nlohmann::json& body,
                      const std::string& step, const std::string& resource,
                      ErrorKind kind = ErrorKind::kDestination) const;
  ServiceClient client_;
};

// Pure parts, unit-tested without a server: the "Values" of BatchCreatePartition's Errors
// entries whose code is AlreadyExistsException; any other entry's code and message as a
// kDestination error naming `resource`.
std::vector<std::vector<std::string>> already_existing_partitions(const nlohmann::json& response,
                                                                  const std::string& resource);

}  // namespace cu::aws
