// Credentials served over HTTP by the platform: the container endpoint (ECS, Lambda, EKS
// Pod Identity) and EC2 instance metadata (IMDSv2).

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/credentials_providers.h"
#include "aws/http.h"
#include "base/error.h"
#include "base/redact.h"

namespace cu::aws {

namespace {

struct Url {
  std::string scheme, host;
};

Url parse_url(std::string_view url) {
  Url u;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return u;
  }
  u.scheme = std::string(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  if (rest.starts_with("[")) {
    u.host = std::string(rest.substr(1, rest.find(']') - 1));
  } else {
    u.host = std::string(rest.substr(0, rest.find(':')));
  }
  return u;
}

// Plain-http container endpoints must stay on the machine or on AWS's link-local hosts,
// as in the SDKs: credentials never cross a network in clear.
bool allowed_http_host(const std::string& host) {
  if (host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23") {
    return true;
  }
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    in6_addr ecs{};
    inet_pton(AF_INET6, "fd00:ec2::23", &ecs);
    return IN6_IS_ADDR_LOOPBACK(&v6) || std::memcmp(&v6, &ecs, sizeof v6) == 0;
  }
  return false;
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw cu::Error(cu::ErrorKind::kAccess, "read container credentials", path,
                    "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
    token.pop_back();
  }
  return token;
}

// A short, secret-free reason from an endpoint's error answer (JSON "message"/"Message").
std::string answer_reason(const FetchResponse& r) {
  nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
  std::string msg;
  if (doc.is_object()) {
    for (const char* k : {"message", "Message", "Code", "code"}) {
      if (auto it = doc.find(k); it != doc.end() && it->is_string()) {
        msg = it->get<std::string>();
        break;
      }
    }
  }
  return msg.empty() ? fmt::format("HTTP {}", r.status) : fmt::format("HTTP {}: {}", r.status, msg);
}

class ContainerProvider : public CredentialsProvider {
 public:
  ContainerProvider(std::string url, std::string token, std::string token_file, HttpFetch fetch)
      : url_(std::move(url)),
        token_(std::move(token)),
        token_file_(std::move(token_file)),
        fetch_(std::move(fetch)) {}

  Credentials get() override {
    FetchRequest req;
    req.url = url_;
    req.timeout = std::chrono::seconds(2);
    std::string token = token_file_.empty() ? token_ : read_token_file(token_file_);
    cu::register_secret(token);
    if (token.find_first_of("\r\n") != std::string::npos) {
      throw cu::Error(cu::ErrorKind::kUsage, "read container credentials", url_,
                      "the authorization token contains a line break");
    }
    if (!token.empty()) {
      req.headers.emplace_back("Authorization", token);
    }
    FetchResponse r;
    // The SDKs retry this local endpoint a few times: it can be briefly unavailable while
    // the agent starts.
    for (int attempt = 1;; ++attempt) {
      try {
        r = fetch_(req);
        if (r.status < 500 || attempt == 3) {
          break;
        }
      } catch (const std::exception& e) {
        if (attempt == 3) {
          // The endpoint the platform configured does not answer: a network failure (exit
          // 1), not a refusal of the credentials.
          throw cu::Error(
              cu::ErrorKind::kOther, "read container credentials", url_,
              fmt::format("could not connect to {} (gave up after 3 attempts): {}", url_, e.what()))
              .with_hint(
                  "the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*_URI) "
                  "does not answer: is the agent running?");
        }
      }
    }
    if (r.status != 200) {
      throw cu::Error(cu::ErrorKind::kAccess, "read container credentials", url_, answer_reason(r))
          .with_hint(r.status == 401 || r.status == 403
                         ? "check AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)"
                         : "");
    }
    return parse_credentials_json(r.body, "container credentials " + url_);
  }
  std::string describe() const override { return "container credentials " + url_; }

 private:
  std::string url_, token_, token_file_;
  HttpFetch fetch_;
};

class ImdsProvider : public CredentialsProvider {
 public:
  ImdsProvider(std::string endpoint, HttpFetch fetch)
      : endpoint_(std::move(endpoint)), fetch_(std::move(fetch)) {}

  Credentials get() override {
    FetchRequest token_req{"PUT",
                           endpoint_ + "/latest/api/token",
                           {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}},
                           std::chrono::seconds(1)};
    FetchResponse token = call(token_req, "get a session token");
    cu::register_secret(token.body);
    std::vector<std::pair<std::string, std::string>> auth = {
        {"X-aws-ec2-metadata-token", token.body}};

    std::string base = endpoint_ + "/latest/meta-data/iam/security-credentials/";
    FetchResponse role =
        call({"GET", base, auth, std::chrono::seconds(1)}, "read the instance profile role");
    std::string name = role.body.substr(0, role.body.find('\n'));
    while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) {
      name.pop_back();
    }
    if (name.empty()) {
      throw cu::Error(cu::ErrorKind::kAccess, "read instance metadata", endpoint_,
                      "the instance has no IAM role (instance profile)");
    }
    FetchResponse creds =
        call({"GET", base + name, auth, std::chrono::seconds(1)}, "read the role credentials");
    nlohmann::json doc = nlohmann::json::parse(creds.body, nullptr, false);
    if (doc.is_object() && doc.contains("Code") && doc["Code"].is_string() &&
        doc["Code"] != "Success") {
      throw cu::Error(cu::ErrorKind::kAccess, "read instance metadata", base + name,
                      "instance metadata answered Code " + doc["Code"].get<std::string>());
    }
    return parse_credentials_json(creds.body, "EC2 instance metadata role " + name);
  }
  std::string describe() const override { return "EC2 instance metadata " + endpoint_; }

 private:
  FetchResponse call(const FetchRequest& req, const std::string& what) {
    FetchResponse r;
    try {
      r = fetch_(req);
    } catch (const std::exception& e) {
      throw cu::Error(cu::ErrorKind::kAccess, "read instance metadata", req.url,
                      fmt::format("cannot {}: {}", what, e.what()));
    }
    if (r.status != 200) {
      throw cu::Error(cu::ErrorKind::kAccess, "read instance metadata", req.url,
                      fmt::format("cannot {}: {}", what, answer_reason(r)));
    }
    return r;
  }

  std::string endpoint_;
  HttpFetch fetch_;
};

}  // namespace

HttpFetch default_http_fetch() {
  return [](const FetchRequest& req) {
    HttpOptions opts;
    opts.connect_timeout = req.timeout;
    opts.request_timeout = req.timeout * 3;
    HttpClient client(opts);
    HttpResponse r = client.send(HttpRequest{req.method, req.url, req.headers, ""});
    return FetchResponse{r.status, std::move(r.body)};
  };
}

CredentialsProviderPtr container_credentials(const Environment& env, HttpFetch fetch) {
  std::string url;
  if (auto rel = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    url = "http://169.254.170.2" + (rel->starts_with("/") ? *rel : "/" + *rel);
  } else if (auto full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    Url u = parse_url(*full);
    bool ok = u.scheme == "https" || (u.scheme == "http" && allowed_http_host(u.host));
    if (!ok) {
      throw cu::Error(cu::ErrorKind::kUsage, "read container credentials", *full,
                      "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback "
                      "address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23");
    }
    url = *full;
  } else {
    return nullptr;
  }
  std::string token_file = env.get_or("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "");
  std::string token = env.get_or("AWS_CONTAINER_AUTHORIZATION_TOKEN", "");
  cu::register_secret(token);
  return std::make_shared<ContainerProvider>(std::move(url), std::move(token),
                                             std::move(token_file), std::move(fetch));
}

CredentialsProviderPtr imds_credentials(const Environment& env, HttpFetch fetch) {
  if (env.flag("AWS_EC2_METADATA_DISABLED")) {
    return nullptr;
  }
  std::string endpoint;
  if (auto e = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    endpoint = *e;
  } else {
    std::string mode = env.get_or("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv4");
    endpoint =
        (mode == "IPv6" || mode == "ipv6") ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
  }
  while (endpoint.ends_with("/")) {
    endpoint.pop_back();
  }
  return std::make_shared<ImdsProvider>(std::move(endpoint), std::move(fetch));
}

}  // namespace cu::aws
