// Container credentials and EC2 instance metadata (IMDSv2) against a small HTTP server on
// loopback started by the test (a thread, an ephemeral port), through the real libcurl
// transport (default_http_fetch). The server plays the endpoint as AWS documents it.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "aws/credentials.h"
#include "aws/credentials_providers.h"
#include "aws_credentials_loopback.h"
#include "base/error.h"
#include "base/redact.h"
#include "error_of.h"
#include "temp_dir.h"

using namespace cu::aws;
namespace fs = std::filesystem;
using cu_test::error_of;
using cu_test::LoopbackServer;
using cu_test::Reply;
using cu_test::SeenRequest;

namespace {

const char* kCredsJson = R"({"AccessKeyId":"ASIAMETA","SecretAccessKey":"meta-secret-key",
  "Token":"meta-session-token","Expiration":"2099-01-01T00:00:00Z","Code":"Success"})";

TEST(AwsContainerCredentials, FullUriWithToken) {
  LoopbackServer server([](const SeenRequest& r) {
    if (r.target != "/creds" || r.headers.count("authorization") == 0 ||
        r.headers.at("authorization") != "Bearer container-tok-1") {
      return Reply{401, R"({"message":"bad token"})"};
    }
    return Reply{200, kCredsJson};
  });
  Environment env{{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"},
                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer container-tok-1"}}};
  auto p = container_credentials(env, default_http_fetch());
  ASSERT_NE(p, nullptr);
  Credentials c = p->get();
  EXPECT_EQ(c.access_key_id, "ASIAMETA");
  EXPECT_EQ(c.session_token, "meta-session-token");
  ASSERT_TRUE(c.expiration.has_value());
  EXPECT_EQ(cu::redact("meta-secret-key meta-session-token Bearer container-tok-1"), "*** *** ***");
  ASSERT_EQ(server.seen().size(), 1u);
  EXPECT_EQ(server.seen()[0].method, "GET");
}

TEST(AwsContainerCredentials, TokenFileIsReadOnEveryFetch) {
  // EKS Pod Identity rotates the token file; the latest content must be sent.
  cu_test::TempDir dir("cu-token");
  fs::path token = dir.write("token", "file-token-one\n");
  LoopbackServer server([](const SeenRequest&) { return Reply{200, kCredsJson}; });
  Environment env{{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/v1/credentials"},
                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-file-set"},
                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token.string()}}};
  auto p = container_credentials(env, default_http_fetch());
  p->get();
  std::ofstream(token) << "file-token-two";
  p->get();
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].headers.at("authorization"), "file-token-one");
  EXPECT_EQ(seen[1].headers.at("authorization"), "file-token-two");
}

TEST(AwsContainerCredentials, ErrorsAndRetries) {
  int calls = 0;
  LoopbackServer server([&calls](const SeenRequest& r) {
    if (r.target == "/denied") return Reply{403, R"({"message":"token rejected"})"};
    if (++calls < 3) return Reply{503, "busy"};
    return Reply{200, kCredsJson};
  });
  Environment env{{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/flaky"}}};
  EXPECT_EQ(container_credentials(env, default_http_fetch())->get().access_key_id, "ASIAMETA");
  EXPECT_EQ(calls, 3);

  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/denied";
  cu::ErrorKind kind{};
  std::string msg =
      error_of([&] { container_credentials(env, default_http_fetch())->get(); }, &kind);
  EXPECT_EQ(kind, cu::ErrorKind::kAccess);
  EXPECT_NE(msg.find("HTTP 403: token rejected"), std::string::npos) << msg;
  EXPECT_NE(msg.find("AWS_CONTAINER_AUTHORIZATION_TOKEN"), std::string::npos) << msg;
}

TEST(AwsContainerCredentials, OnlySafeHosts) {
  for (const char* ok : {"http://127.0.0.1:1/x", "http://localhost/x", "http://169.254.170.2/x",
                         "http://169.254.170.23/v1/credentials", "http://[::1]:8/x",
                         "http://[fd00:ec2::23]/x", "https://creds.example.com/x"}) {
    Environment env{{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", ok}}};
    EXPECT_NE(container_credentials(env, default_http_fetch()), nullptr) << ok;
  }
  for (const char* bad : {"http://creds.example.com/x", "http://10.0.0.1/x", "ftp://127.0.0.1/x"}) {
    Environment env{{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", bad}}};
    cu::ErrorKind kind{};
    error_of([&] { container_credentials(env, default_http_fetch()); }, &kind);
    EXPECT_EQ(kind, cu::ErrorKind::kUsage) << bad;
  }
  EXPECT_EQ(container_credentials(Environment{}, default_http_fetch()), nullptr);
}

// IMDSv2 as the EC2 User Guide describes it: PUT /latest/api/token with a TTL header yields
// a token; every metadata GET must carry it.
Reply imds(const SeenRequest& r, const std::string& role) {
  if (r.method == "PUT" && r.target == "/latest/api/token") {
    if (r.headers.count("x-aws-ec2-metadata-token-ttl-seconds") == 0) return {400, ""};
    return {200, "imds-session-token-abc"};
  }
  if (r.headers.count("x-aws-ec2-metadata-token") == 0 ||
      r.headers.at("x-aws-ec2-metadata-token") != "imds-session-token-abc") {
    return {401, ""};
  }
  if (r.target == "/latest/meta-data/iam/security-credentials/") {
    return role.empty() ? Reply{404, ""} : Reply{200, role + "\n"};
  }
  if (r.target == "/latest/meta-data/iam/security-credentials/" + role) return {200, kCredsJson};
  return {404, ""};
}

TEST(AwsImdsCredentials, TokenThenRoleThenCredentials) {
  LoopbackServer server([](const SeenRequest& r) { return imds(r, "app-role"); });
  Environment env{{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url() + "/"}}};
  auto p = imds_credentials(env, default_http_fetch());
  Credentials c = p->get();
  EXPECT_EQ(c.access_key_id, "ASIAMETA");
  EXPECT_EQ(c.source, "EC2 instance metadata role app-role");
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].headers.at("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(seen[1].target, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(seen[2].target, "/latest/meta-data/iam/security-credentials/app-role");
  EXPECT_EQ(cu::redact("imds-session-token-abc"), "***");
}

TEST(AwsImdsCredentials, LastStepOfTheDefaultChain) {
  LoopbackServer server([](const SeenRequest& r) { return imds(r, "app-role"); });
  cu_test::TempDir home("cu-home");
  Environment env{{{"HOME", home.str()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()}}};
  auto p = default_chain(env);
  EXPECT_EQ(p->describe(), "EC2 instance metadata " + server.url());
  EXPECT_EQ(p->get().access_key_id, "ASIAMETA");
  p->get();  // cached
  EXPECT_EQ(server.seen().size(), 3u);
}

TEST(AwsImdsCredentials, Failures) {
  LoopbackServer no_role([](const SeenRequest& r) { return imds(r, ""); });
  Environment env{{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", no_role.url()}}};
  cu::ErrorKind kind{};
  std::string msg = error_of([&] { imds_credentials(env, default_http_fetch())->get(); }, &kind);
  EXPECT_EQ(kind, cu::ErrorKind::kAccess);
  EXPECT_NE(msg.find("cannot read the instance profile role: HTTP 404"), std::string::npos) << msg;

  LoopbackServer v1_only([](const SeenRequest& r) {
    return r.method == "PUT" ? Reply{403, ""} : Reply{200, "role"};
  });
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = v1_only.url();
  msg = error_of([&] { imds_credentials(env, default_http_fetch())->get(); });
  EXPECT_NE(msg.find("cannot get a session token: HTTP 403"), std::string::npos) << msg;

  // Nothing listening: a closed port on loopback.
  int port = 0;
  {
    LoopbackServer gone([](const SeenRequest&) { return Reply{}; });
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:" + std::to_string(port);
  msg = error_of([&] { imds_credentials(env, default_http_fetch())->get(); }, &kind);
  EXPECT_EQ(kind, cu::ErrorKind::kAccess);
  EXPECT_NE(msg.find("cannot get a session token"), std::string::npos) << msg;

  EXPECT_EQ(
      imds_credentials(Environment{{{"AWS_EC2_METADATA_DISABLED", "true"}}}, default_http_fetch()),
      nullptr);
}

TEST(AwsImdsCredentials, EndpointMode) {
  std::vector<std::string> urls;
  HttpFetch record = [&urls](const FetchRequest& r) -> FetchResponse {
    urls.push_back(r.url);
    throw std::runtime_error("unreachable");
  };
  error_of([&] { imds_credentials(Environment{}, record)->get(); });
  error_of([&] {
    imds_credentials(Environment{{{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}}}, record)
        ->get();
  });
  EXPECT_EQ(urls, (std::vector<std::string>{"http://169.254.169.254/latest/api/token",
                                            "http://[fd00:ec2::254]/latest/api/token"}));
}

}  // namespace
