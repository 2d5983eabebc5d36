#pragma once
// The gateway's Amazon Redshift Data API: an HTTP endpoint speaking the Data API's JSON
// protocol (POST /, X-Amz-Target: RedshiftData.<Operation>, application/x-amz-json-1.1)
// in front of this gateway, so that the AWS SDKs' unchanged `redshift-data` clients and
// `crossunload --via data-api` work against the local Redshift:
// ExecuteStatement, BatchExecuteStatement, DescribeStatement, GetStatementResult,
// CancelStatement, ListStatements. Statements run asynchronously (data_api_statements.h) as
// clients of the gateway's own wire listener: UNLOAD through the gateway's executor.
//
// Trust model (docs/data-api.md): every request must carry a valid SigV4 signature for the
// service `redshift-data` (aws/sigv4_verify.h), computed with a key the gateway knows —
// its own credentials (the identity it was started with) or one listed in
// `credentials_file` (AWS shared-credentials format: every profile's key pair). A key it
// does not know (session credentials from STS, say) is accepted only when `authorizer_url`
// is set: the signed request is then replayed unchanged to that endpoint (the local moto,
// which knows the session keys it issued and enforces IAM), and a 401/403 answer there is
// the caller's refusal here. `SecretArn` is read through Secrets Manager as the gateway
// itself (its own identity, as a cluster's Data API reads secrets on the caller's behalf);
// `DbUser` logs in as that user with the password libpq finds in the gateway's
// environment (PGPASSWORD / PGPASSFILE), standing in for GetClusterCredentials.
//
//   DataApiOptions o;
//   o.listen_port = "0";
//   o.statements.gateway_port = gateway.port();
//   DataApiServer api(std::move(o));   // binds now
//   std::thread t([&] { api.serve(); });
//   …
//   api.stop(); t.join();

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "aws/config_file.h"
#include "gateway/data_api_statements.h"

namespace cu::gateway {

struct DataApiOptions {
  std::string listen_host = "127.0.0.1";
  std::string listen_port = "0";
  StatementStoreOptions statements;
  aws::Environment env;                // the gateway's own identity and endpoints
  std::optional<std::string> region;   // else env / profile, else us-east-1
  std::string credentials_file;        // further accepted keys
  std::string authorizer_url;          // replay unknown keys' requests here (moto)
  std::size_t max_body = 1 << 20;      // request bytes
  std::size_t max_sql_bytes = 100000;  // one statement's text (the Data API's limit)
};

class DataApiServer {
 public:
  // Binds the socket, reads the key file. Throws cu::Error(kUsage, …).
  explicit DataApiServer(DataApiOptions options);
  ~DataApiServer();
  DataApiServer(const DataApiServer&) = delete;
  DataApiServer& operator=(const DataApiServer&) = delete;

  std::uint16_t port() const;
  // Serves until stop(): one thread per connection; running statements are cancelled when
  // the server is destroyed.
  void serve();
  void stop();  // async-signal-safe

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace cu::gateway
