#include "gateway/data_api_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/secrets.h"
#include "aws/sigv4_verify.h"
#include "aws/sts.h"
#include "base/error.h"
#include "base/log.h"
#include "base/redact.h"
#include "gateway/connection_threads.h"
#include "gateway/data_api_http.h"

namespace cu::gateway {

using nlohmann::json;

namespace {

constexpr std::string_view kJsonType = "application/x-amz-json-1.1";
constexpr std::string_view kTargetPrefix = "RedshiftData.";

HttpServerResponse error_response(const std::string& code, const std::string& message, int status,
                                  const std::string& request_id,
                                  const json& extra = json::object()) {
  json body = extra;
  body["__type"] = code;
  body["message"] = message;
  HttpServerResponse r;
  r.status = status;
  r.content_type = std::string(kJsonType);
  r.body = body.dump();
  r.headers = {{"x-amzn-RequestId", request_id}};
  return r;
}

std::string string_member(const json& req, const char* key, std::size_t max_len = 2048) {
  auto it = req.find(key);
  if (it == req.end() || it->is_null()) {
    return {};
  }
  if (!it->is_string()) {
    throw DataApiError("SerializationException", fmt::format("{} must be a string", key));
  }
  std::string v = it->get<std::string>();
  if (v.size() > max_len) {
    throw DataApiError("ValidationException",
                       fmt::format("1 validation error detected: Value at '{}' failed to satisfy "
                                   "constraint: Member must have length less than or equal to {}",
                                   key, max_len));
  }
  return v;
}

// An AWS refusal seen at the authorizer, as the Data API's own code.
std::string data_api_code(const std::string& code) {
  if (code == "InvalidClientTokenId" || code == "UnrecognizedClientException" ||
      code == "ExpiredToken" || code == "ExpiredTokenException") {
    return "UnrecognizedClientException";
  }
  if (code == "SignatureDoesNotMatch" || code == "InvalidSignatureException") {
    return "InvalidSignatureException";
  }
  return "AccessDeniedException";
}

}  // namespace

struct DataApiServer::State {
  DataApiOptions options;
  Fd listener;
  Fd wake_read, wake_write;
  std::unique_ptr<StatementStore> store;
  std::map<std::string, aws::Credentials, std::less<>> keys;  // from credentials_file
  aws::SharedConfig config;
  std::string region;
  aws::CredentialsProviderPtr own;
  std::unique_ptr<aws::SecretsManagerClient> secrets;
  aws::HttpClient http{aws::HttpOptions{.request_timeout = std::chrono::milliseconds(30'000)}};

  ConnectionThreads connections;

  std::optional<aws::Credentials> lookup(std::string_view key_id) {
    if (auto it = keys.find(key_id); it != keys.end()) {
      return it->second;
    }
    try {
      aws::Credentials c = own->get();
      if (c.access_key_id == key_id) {
        return c;
      }
    } catch (const std::exception& e) {
      log::debug("data api: the gateway's own credentials are not available: {}", e.what());
    }
    return std::nullopt;
  }

  // Replays the signed request to the authorizer: nothing when it accepted the caller.
  std::optional<HttpServerResponse> authorize(const HttpServerRequest& req,
                                              const std::string& request_id) {
    aws::HttpRequest out{"POST", options.authorizer_url + req.target, {}, ""};
    for (const auto& [n, v] : req.headers) {
      std::string ln = n;
      for (char& c : ln) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (ln == "content-length" || ln == "connection" || ln == "expect" ||
          ln == "transfer-encoding") {
        continue;
      }
      out.headers.emplace_back(n, v);
    }
    aws::HttpBody body;
    body.data = req.body;
    aws::HttpResponse resp;
    try {
      resp = http.send(out, &body);
    } catch (const std::exception& e) {
      return error_response("InternalServerException",
                            fmt::format("the gateway could not reach its authorizer {}: {}",
                                        options.authorizer_url, e.what()),
                            500, request_id);
    }
    if (resp.status != 401 && resp.status != 403) {
      return std::nullopt;
    }
    aws::AwsErrorInfo info =
        aws::parse_error_response("redshift-data", "", resp.status, resp.headers, resp.body);
    return error_response(data_api_code(info.code), info.message, 400, request_id);
  }

  // The database login of an ExecuteStatement: from the secret, or DbUser.
  void resolve_login(StatementSpec& spec) const {
    if (!spec.secret_arn.empty()) {
      aws::SecretValue v;
      try {
        v = secrets->get_secret_value({.secret_id = spec.secret_arn});
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::kAccess) {
          throw DataApiError("AccessDeniedException",
                             fmt::format("the cluster's identity may not read secret {} "
                                         "(secretsmanager:GetSecretValue): {}",
                                         spec.secret_arn, e.message()));
        }
        DataApiError err("ResourceNotFoundException", fmt::format("secret {} could not be read: {}",
                                                                  spec.secret_arn, e.message()));
        err.extra["ResourceId"] = spec.secret_arn;
        throw err;
      }
      json j = json::parse(v.string.value_or(""), nullptr, false);
      if (!j.is_object() || !j.contains("username") || !j["username"].is_string() ||
          !j.contains("password") || !j["password"].is_string()) {
        throw DataApiError("ValidationException",
                           fmt::format("secret {} is not a database secret: it needs string "
                                       "fields username and password",
                                       spec.secret_arn));
      }
      spec.login_user = j["username"].get<std::string>();
      spec.login_password = j["password"].get<std::string>();
      register_secret(*spec.login_password);
      if (spec.database.empty()) {
        for (const char* k : {"dbname", "database"}) {
          if (j.contains(k) && j[k].is_string()) {
            spec.database = j[k].get<std::string>();
            break;
          }
        }
      }
    } else {
      spec.login_user = spec.db_user;
    }
    if (spec.database.empty()) {
      throw DataApiError("ValidationException", "Database is required");
    }
  }

  StatementSpec statement_spec(const json& req, bool batch, const std::string& caller) {
    StatementSpec spec;
    spec.batch = batch;
    auto check_sql = [&](const json& v, const char* where) {
      if (!v.is_string()) {
        throw DataApiError("SerializationException", fmt::format("{} must be a string", where));
      }
      const auto& s = v.get_ref<const std::string&>();
      if (s.empty()) {
        throw DataApiError("ValidationException",
                           fmt::format("1 validation error detected: Value at '{}' failed to "
                                       "satisfy constraint: Member must have length greater "
                                       "than or equal to 1",
                                       where));
      }
      if (s.size() > options.max_sql_bytes) {
        throw DataApiError(
            "ValidationException",
            fmt::format("1 validation error detected: Value at '{}' failed to satisfy "
                        "constraint: Member must have length less than or equal to {} (it has "
                        "{} bytes)",
                        where, options.max_sql_bytes, s.size()));
      }
      spec.sqls.push_back(s);
    };
    if (batch) {
      auto it = req.find("Sqls");
      if (it == req.end() || !it->is_array() || it->empty() || it->size() > 40) {
        throw DataApiError("ValidationException", "Sqls must be a list of 1 to 40 SQL statements");
      }
      for (const json& s : *it) {
        check_sql(s, "sqls");
      }
    } else {
      auto it = req.find("Sql");
      if (it == req.end()) {
        throw DataApiError("ValidationException",
                           "1 validation error detected: Value null at 'sql' failed to satisfy "
                           "constraint: Member must not be null");
      }
      check_sql(*it, "sql");
    }
    spec.cluster_identifier = string_member(req, "ClusterIdentifier", 63);
    spec.workgroup_name = string_member(req, "WorkgroupName", 64);
    spec.database = string_member(req, "Database", 127);
    spec.db_user = string_member(req, "DbUser", 128);
    spec.secret_arn = string_member(req, "SecretArn", 2048);
    spec.statement_name = string_member(req, "StatementName", 500);
    spec.caller = caller;
    if (spec.cluster_identifier.empty() == spec.workgroup_name.empty()) {
      throw DataApiError("ValidationException",
                         "Either ClusterIdentifier or WorkgroupName is required, not both");
    }
    if (!spec.secret_arn.empty() && !spec.db_user.empty()) {
      throw DataApiError("ValidationException", "SecretArn and DbUser cannot be given together");
    }
    if (spec.secret_arn.empty() && spec.db_user.empty()) {
      throw DataApiError("ValidationException",
                         "this gateway needs SecretArn or DbUser to log in to the database");
    }
    if (auto p = req.find("Parameters"); p != req.end() && !p->is_null() && !p->empty()) {
      throw DataApiError("ValidationException",
                         "Parameters are not supported by this gateway's Data API");
    }
    if (req.contains("SessionId") || req.contains("SessionKeepAliveSeconds")) {
      throw DataApiError("ValidationException",
                         "sessions (SessionId, SessionKeepAliveSeconds) are not supported by "
                         "this gateway's Data API");
    }
    resolve_login(spec);
    return spec;
  }

  json dispatch(const std::string& op, const json& req, const std::string& caller) {
    auto id = [&] {
      std::string v = string_member(req, "Id", 64);
      if (v.empty()) {
        throw DataApiError("ValidationException",
                           "1 validation error detected: Value null at 'id' failed to satisfy "
                           "constraint: Member must not be null");
      }
      return v;
    };
    if (op == "ExecuteStatement") {
      return store->submit(statement_spec(req, false, caller));
    }
    if (op == "BatchExecuteStatement") {
      return store->submit(statement_spec(req, true, caller));
    }
    if (op == "DescribeStatement") {
      return store->describe(id());
    }
    if (op == "GetStatementResult") {
      return store->result(id(), string_member(req, "NextToken", 1024));
    }
    if (op == "CancelStatement") {
      return store->cancel(id());
    }
    if (op == "ListStatements") {
      return store->list(req, caller);
    }
    throw DataApiError("UnknownOperationException",
                       fmt::format("{} is not an operation this gateway's Data API serves", op));
  }

  HttpServerResponse handle(const HttpServerRequest& req, const std::string& peer) {
    const std::string request_id = new_uuid();
    if (req.method != "POST") {
      return error_response("UnknownOperationException", "the Data API takes POST requests", 405,
                            request_id);
    }
    aws::HttpRequest signed_req{req.method, "http://" + req.header("Host") + req.target,
                                req.headers, req.body};
    aws::SignatureCheck check = aws::verify_signature(
        signed_req, "redshift-data", [&](std::string_view k) { return lookup(k); },
        std::chrono::system_clock::now());
    if (!check.ok && check.code == "UnrecognizedClientException" &&
        !options.authorizer_url.empty()) {
      if (auto refused = authorize(req, request_id)) {
        log::info("data api: {} from {} refused by the authorizer", check.access_key_id, peer);
        return *refused;
      }
      check.ok = true;
    }
    if (!check.ok) {
      log::info("data api: request from {} refused: {} ({})", peer, check.code,
                check.access_key_id.empty() ? "no key" : check.access_key_id);
      return error_response(check.code, check.message, check.http_status, request_id);
    }
    std::string target = req.header("X-Amz-Target");
    if (!target.starts_with(kTargetPrefix)) {
      return error_response("UnknownOperationException",
                            target.empty() ? "the request has no X-Amz-Target header"
                                           : fmt::format("unknown target {}", target),
                            400, request_id);
    }
    std::string op = target.substr(kTargetPrefix.size());
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return error_response("SerializationException", "the request body is not a JSON object", 400,
                            request_id);
    }
    try {
      json out = dispatch(op, body, check.access_key_id);
      log::debug("data api {} by {}: ok", op, check.access_key_id);
      HttpServerResponse r;
      r.content_type = std::string(kJsonType);
      r.body = out.dump();
      r.headers = {{"x-amzn-RequestId", request_id}};
      return r;
    } catch (const DataApiError& e) {
      log::info("data api {} by {}: {}: {}", op, check.access_key_id, e.code(), redact(e.what()));
      return error_response(e.code(), redact(e.what()), e.status(), request_id, e.extra);
    } catch (const json::exception& e) {
      return error_response("SerializationException", e.what(), 400, request_id);
    } catch (const std::exception& e) {
      log::warn("data api {}: {}", op, redact(e.what()));
      return error_response("InternalServerException", redact(e.what()), 500, request_id);
    }
  }

  void serve_connection(Fd fd) {
    std::string peer = peer_address(fd.get());
    HttpConnection conn(std::move(fd), options.max_body);
    for (;;) {
      std::optional<HttpServerRequest> req;
      try {
        req = conn.read_request();
      } catch (const HttpRequestError& e) {
        std::string code = e.status() == 413 ? "ValidationException" : "SerializationException";
        conn.write_response(error_response(code, e.what(), e.status(), new_uuid()), false);
        conn.drain_and_close(64 << 20);
        return;
      }
      if (!req) {
        return;
      }
      HttpServerResponse resp = handle(*req, peer);
      if (!conn.write_response(resp, req->keep_alive) || !req->keep_alive) {
        return;
      }
    }
  }
};

DataApiServer::DataApiServer(DataApiOptions options) : state_(std::make_unique<State>()) {
  auto& s = *state_;
  s.options = std::move(options);
  s.config = aws::SharedConfig::load(s.options.env);
  s.region = s.options.region.value_or(aws::resolve_region(s.options.env, s.config));
  if (s.region.empty()) {
    s.region = "us-east-1";
  }
  aws::ChainOptions chain;
  chain.assume_role = aws::sts_assume_role(s.options.env, s.config);
  s.own = aws::default_chain(s.options.env, chain);
  aws::ResolvedEndpoint sm =
      aws::resolve_endpoint("secretsmanager", s.region, s.options.env, s.config);
  s.secrets = std::make_unique<aws::SecretsManagerClient>(
      aws::secretsmanager_endpoint(s.region, sm.configured ? sm.url : ""), s.own);
  if (!s.options.credentials_file.empty()) {
    std::ifstream in(s.options.credentials_file);
    if (!in) {
      throw Error(ErrorKind::kUsage, "gateway", s.options.credentials_file,
                  "cannot read the Data API credentials file");
    }
    std::stringstream text;
    text << in.rdbuf();
    for (const aws::IniSection& sec : aws::parse_ini(text.str(), s.options.credentials_file)) {
      aws::Credentials c;
      for (const auto& [k, v] : sec.values) {
        if (k == "aws_access_key_id") {
          c.access_key_id = v;
        }
        if (k == "aws_secret_access_key") {
          c.secret_access_key = v;
        }
        if (k == "aws_session_token") {
          c.session_token = v;
        }
      }
      if (c.access_key_id.empty() || c.secret_access_key.empty()) {
        continue;
      }
      register_secret(c.secret_access_key);
      if (!c.session_token.empty()) {
        register_secret(c.session_token);
      }
      c.source = fmt::format("{} [{}]", s.options.credentials_file, sec.header);
      s.keys[c.access_key_id] = c;
    }
    if (s.keys.empty()) {
      throw Error(ErrorKind::kUsage, "gateway", s.options.credentials_file,
                  "no aws_access_key_id / aws_secret_access_key pair in the file")
          .with_hint("write it as ~/.aws/credentials is written: one [section] per key pair");
    }
  }
  s.store = std::make_unique<StatementStore>(s.options.statements);
  s.listener = listen_on(s.options.listen_host, s.options.listen_port);
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw Error(ErrorKind::kOther, "gateway", "pipe", std::strerror(errno));
  }
  s.wake_read = Fd(p[0]);
  s.wake_write = Fd(p[1]);
}

DataApiServer::~DataApiServer() = default;

std::uint16_t DataApiServer::port() const { return bound_port(state_->listener); }

void DataApiServer::stop() {
  char c = 1;
  [[maybe_unused]] auto n = ::write(state_->wake_write.get(), &c, 1);
}

void DataApiServer::serve() {
  auto& s = *state_;
  for (;;) {
    pollfd fds[2] = {{s.listener.get(), POLLIN, 0}, {s.wake_read.get(), POLLIN, 0}};
    s.connections.reap();
    if (::poll(fds, 2, 1000) < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw Error(ErrorKind::kOther, "data api", "poll", std::strerror(errno));
    }
    if (fds[1].revents != 0) {
      break;
    }
    if (fds[0].revents == 0) {
      continue;
    }
    int cfd = accept_connection(s.listener, "data api");
    if (cfd < 0) {
      continue;
    }
    s.connections.start(cfd, [&s](Fd fd) {
      try {
        s.serve_connection(std::move(fd));
      } catch (const std::exception& e) {
        log::warn("data api connection: {}", redact(e.what()));
      }
    });
  }
  s.connections.shutdown_and_join();
}

}  // namespace cu::gateway
