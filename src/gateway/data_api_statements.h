#pragma once
// The statements the gateway's Data API has accepted (data_api_server.h): each runs
// asynchronously on a thread of its own (at most `max_active` at once), as a client of
// this gateway's own wire listener — so an UNLOAD goes through the gateway's UNLOAD
// executor and its role chain exactly as a psql client's would, and everything else runs
// on the upstream PostgreSQL. Status moves SUBMITTED → STARTED → FINISHED | FAILED |
// ABORTED; results of SELECTs are kept for GetStatementResult. Answers are the Data API's
// JSON shapes (nlohmann::json), errors are DataApiError.
//
//   StatementStore store({.gateway_port = 5439});
//   std::string id = store.submit(spec);          // returns at once
//   nlohmann::json d = store.describe(id);        // {"Status": "STARTED", …}
//   store.cancel(id);

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cu::gateway {

// A Data API error: `code` is the __type the SDKs match on (ValidationException, …).
class DataApiError : public std::runtime_error {
 public:
  DataApiError(std::string code, const std::string& message, int status = 400)
      : std::runtime_error(message), code_(std::move(code)), status_(status) {}
  const std::string& code() const { return code_; }
  int status() const { return status_; }
  nlohmann::json extra = nlohmann::json::object();  // ResourceId, StatementId, …

 private:
  std::string code_;
  int status_;
};

// One ExecuteStatement or BatchExecuteStatement, validated, its database login resolved.
struct StatementSpec {
  std::vector<std::string> sqls;  // one, or the batch's
  bool batch = false;
  std::string cluster_identifier, workgroup_name, database, db_user, secret_arn;
  std::string statement_name;
  std::string caller;  // access key id that submitted it (ListStatements' RoleLevel=false)
  // How the statement logs in to the database (from the secret, or db_user).
  std::string login_user;
  std::optional<std::string> login_password;  // none: libpq's PGPASSWORD / PGPASSFILE
};

struct StatementStoreOptions {
  std::string gateway_host = "127.0.0.1";  // this gateway's wire listener
  std::uint16_t gateway_port = 5439;
  int max_active = 16;                         // running at once; more → ActiveStatementsExceeded
  std::uint64_t max_result_bytes = 100 << 20;  // per statement (the Data API's limit: 100 MB)
  std::size_t max_page_records = 1000;         // GetStatementResult page size
  std::uint64_t max_page_bytes = 4 << 20;
  std::size_t max_kept = 10000;  // finished statements remembered
};

class StatementStore {
 public:
  explicit StatementStore(StatementStoreOptions options);
  ~StatementStore();  // cancels what runs and waits for it
  StatementStore(const StatementStore&) = delete;
  StatementStore& operator=(const StatementStore&) = delete;

  // ExecuteStatement / BatchExecuteStatement's answer (Id, CreatedAt, …).
  nlohmann::json submit(StatementSpec spec);
  nlohmann::json describe(const std::string& id) const;
  nlohmann::json result(const std::string& id, const std::string& next_token) const;
  nlohmann::json cancel(const std::string& id);
  nlohmann::json list(const nlohmann::json& request, const std::string& caller) const;

  struct Statement;  // one submitted statement (or batch)

 private:
  std::shared_ptr<Statement> find(const std::string& id, std::size_t* sub) const;
  void reap();
  void run(const std::shared_ptr<Statement>& st);

  StatementStoreOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Statement>> by_id_;
  std::vector<std::shared_ptr<Statement>> order_;  // submission order
  int active_ = 0;
  bool stopping_ = false;
};

// "2d8f…-…" (RFC 4122 version 4, lowercase): a new statement id.
std::string new_uuid();

// The Data API's typeName for a PostgreSQL type ("int4", "varchar", "numeric", …).
std::string data_api_type_name(std::uint32_t type_oid);

}  // namespace cu::gateway
