#include "aws/secrets.h"

#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "aws/names.h"
#include "base/redact.h"

namespace cu::aws {
namespace {

using nlohmann::json;

std::string type_of(const json& v) {
  if (v.is_number()) {
    return "a number";
  }
  if (v.is_string()) {
    return "a string";
  }
  if (v.is_boolean()) {
    return "a boolean";
  }
  if (v.is_null()) {
    return "null";
  }
  if (v.is_array()) {
    return "an array";
  }
  return "an object";
}

Error secret_error(const std::string& secret_id, std::string message) {
  return Error(ErrorKind::kUsage, "read secret", secret_id, std::move(message))
      .with_hint(
          "a database secret is a JSON object with host, port, dbname (or database), username "
          "and password, as Redshift and RDS create it");
}

}  // namespace

std::string base64_decode(std::string_view text) {
  static constexpr auto kTable = [] {
    std::array<int, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) {
      t[static_cast<unsigned char>(alphabet[i])] = i;
    }
    return t;
  }();
  std::string out;
  out.reserve(text.size() / 4 * 3);
  unsigned buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char ch : text) {
    if (ch == '\n' || ch == '\r') {
      continue;
    }
    if (ch == '=') {
      ++padding;
      continue;
    }
    int v = kTable[static_cast<unsigned char>(ch)];
    if (v < 0 || padding > 0) {
      throw std::invalid_argument("invalid base64");
    }
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (padding > 2) {
    throw std::invalid_argument("invalid base64");
  }
  return out;
}

ServiceEndpoint secretsmanager_endpoint(const std::string& region,
                                        const std::string& endpoint_url) {
  std::string r = region_or_default(region);
  std::string url = endpoint_url;
  if (url.empty()) {
    std::string domain = r.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    url = fmt::format("https://secretsmanager.{}.{}", r, domain);
  }
  return ServiceEndpoint{"secretsmanager", r, url};
}

std::string get_secret_value_body(const GetSecretValueRequest& request) {
  json body = {{"SecretId", request.secret_id}};
  if (!request.version_stage.empty()) {
    body["VersionStage"] = request.version_stage;
  }
  if (!request.version_id.empty()) {
    body["VersionId"] = request.version_id;
  }
  return body.dump();
}

SecretValue parse_get_secret_value_response(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    throw Error(ErrorKind::kOther, "read secret", "", "unparseable response from Secrets Manager");
  }
  SecretValue v;
  auto str = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  v.arn = str("ARN");
  v.name = str("Name");
  v.version_id = str("VersionId");
  if (auto it = j.find("VersionStages"); it != j.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (s.is_string()) {
        v.version_stages.push_back(s.get<std::string>());
      }
    }
  }
  if (auto it = j.find("SecretString"); it != j.end() && it->is_string()) {
    v.string = it->get<std::string>();
    register_secret(*v.string);
  }
  if (auto it = j.find("SecretBinary"); it != j.end() && it->is_string()) {
    try {
      v.binary = base64_decode(it->get_ref<const std::string&>());
    } catch (const std::invalid_argument&) {
      throw Error(ErrorKind::kOther, "read secret", v.arn, "SecretBinary is not valid base64");
    }
    register_secret(*v.binary);
  }
  return v;
}

DatabaseSecret parse_database_secret(std::string_view text, const std::string& secret_id) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() quotes the input around the error; the input holds the password.
    throw secret_error(
        secret_id, fmt::format("the secret value is not valid JSON (error at byte {})", e.byte));
  }
  if (!j.is_object()) {
    throw secret_error(secret_id,
                       fmt::format("the secret value is {}, not a JSON object", type_of(j)));
  }
  // First thing: whatever else is wrong, the password never leaks afterwards.
  if (auto it = j.find("password"); it != j.end() && it->is_string()) {
    register_secret(it->get_ref<const std::string&>());
  }

  std::vector<std::string> problems;
  DatabaseSecret db;
  auto string_field = [&](const char* name, bool required, std::string& out) {
    auto it = j.find(name);
    if (it == j.end() || (it->is_string() && it->get_ref<const std::string&>().empty())) {
      if (required) {
        problems.push_back(
            fmt::format("field \"{}\" is {}", name, it == j.end() ? "missing" : "empty"));
      }
      return;
    }
    if (!it->is_string()) {
      problems.push_back(fmt::format("field \"{}\" is {}, expected a string", name, type_of(*it)));
      return;
    }
    out = it->get<std::string>();
  };

  string_field("host", true, db.host);
  if (auto it = j.find("port"); it == j.end()) {
    problems.push_back("field \"port\" is missing");
  } else if (it->is_number_integer() || it->is_number_unsigned()) {
    long long p = it->get<long long>();
    if (p < 1 || p > 65535) {
      problems.push_back(fmt::format("field \"port\" is {}, expected 1 to 65535", p));
    } else {
      db.port = static_cast<int>(p);
    }
  } else if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    bool digits =
        !s.empty() && s.size() <= 5 && s.find_first_not_of("0123456789") == std::string::npos;
    int p = digits ? std::stoi(s) : 0;
    if (!digits || p < 1 || p > 65535) {
      problems.push_back(
          fmt::format("field \"port\" is \"{}\", expected a port number 1 to 65535", s));
    } else {
      db.port = p;
    }
  } else {
    problems.push_back(
        fmt::format("field \"port\" is {}, expected a number or a string of digits", type_of(*it)));
  }
  if (j.contains("dbname") || !j.contains("database")) {
    string_field("dbname", true, db.dbname);
  } else {
    string_field("database", true, db.dbname);
  }
  string_field("username", true, db.username);
  if (auto it = j.find("password"); it == j.end()) {
    problems.push_back("field \"password\" is missing");
  } else if (!it->is_string()) {
    problems.push_back(fmt::format("field \"password\" is {}, expected a string", type_of(*it)));
  } else {
    db.password = it->get<std::string>();
  }
  string_field("engine", false, db.engine);
  string_field("dbClusterIdentifier", false, db.cluster_identifier);

  if (!problems.empty()) {
    std::string msg = problems.front();
    for (std::size_t i = 1; i < problems.size(); ++i) {
      msg += "; " + problems[i];
    }
    throw secret_error(secret_id, "not a database secret: " + msg);
  }
  return db;
}

SecretsManagerClient::SecretsManagerClient(ServiceEndpoint endpoint,
                                           CredentialsProviderPtr credentials, RetryPolicy retry)
    : client_(std::move(endpoint), std::move(credentials), retry,
              HttpOptions{.request_timeout = std::chrono::milliseconds(30'000)}) {}

SecretValue SecretsManagerClient::get_secret_value(const GetSecretValueRequest& request) const {
  std::string body = get_secret_value_body(request);
  ServiceRequest r = json_request("secretsmanager", "GetSecretValue");
  r.body = body;
  r.step = "read secret";
  r.resource = request.secret_id;
  if (!request.version_id.empty()) {
    r.resource += " version " + request.version_id;
  } else if (!request.version_stage.empty()) {
    r.resource += " stage " + request.version_stage;
  }
  r.resource += " via " + client_.credentials()->describe();
  r.error_kind = ErrorKind::kOther;
  SecretValue v = parse_get_secret_value_response(client_.send(r).body);
  if (!v.string && !v.binary) {
    throw Error(ErrorKind::kUsage, "read secret", request.secret_id, "the secret has no value");
  }
  return v;
}

}  // namespace cu::aws
