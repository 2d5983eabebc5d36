// `crossunload gateway` — the local Redshift: a PostgreSQL wire-protocol proxy that relays
// everything to a real PostgreSQL and executes UNLOAD itself (src/gateway/gateway.h).
#include "gateway/gateway.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>

#include "base/error.h"
#include "base/log.h"
#include "cli/commands.h"
#include "gateway/data_api_server.h"
#include "gateway/engine_executor.h"

namespace cu::cli {
namespace {

gateway::Gateway* running_gateway = nullptr;
gateway::DataApiServer* running_data_api = nullptr;

extern "C" void stop_gateway(int) {
  if (running_gateway) {
    running_gateway->stop();
  }
  if (running_data_api) {
    running_data_api->stop();
  }
}

struct GatewayFlags {
  std::string listen = "127.0.0.1:5439";
  std::string upstream;
  std::string tls_cert, tls_key;
  std::string password_file;
  int max_connections = 100;
  int auth_timeout_s = 60;
  std::string aws_profile, region, default_iam_role;
  std::string local_root;
  std::string data_api_listen, data_api_credentials, data_api_authorizer;
  bool verbose = false;
};

std::string data_api_host(const std::string& listen) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.size() >= 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

// The Data API endpoint (--data-api-listen): its statements connect to this gateway.
std::unique_ptr<gateway::DataApiServer> make_data_api(const GatewayFlags& f,
                                                      const gateway::GatewayOptions& o,
                                                      uint16_t gateway_port) {
  if (f.data_api_listen.rfind(':') == std::string::npos) {
    throw Error(ErrorKind::kUsage, "gateway", "--data-api-listen", "expected host:port")
        .with_hint("e.g. --data-api-listen 127.0.0.1:8439 (port 0 picks a free port)");
  }
  gateway::DataApiOptions d;
  d.listen_host = data_api_host(f.data_api_listen);
  d.listen_port = f.data_api_listen.substr(f.data_api_listen.rfind(':') + 1);
  d.statements.gateway_host =
      o.listen_host == "0.0.0.0" || o.listen_host == "::" ? "127.0.0.1" : o.listen_host;
  d.statements.gateway_port = gateway_port;
  d.env = aws::Environment::from_process();
  if (!f.aws_profile.empty()) {
    d.env.vars["AWS_PROFILE"] = f.aws_profile;
  }
  if (!f.region.empty()) {
    d.region = f.region;
  }
  d.credentials_file = f.data_api_credentials;
  d.authorizer_url = f.data_api_authorizer;
  return std::make_unique<gateway::DataApiServer>(std::move(d));
}

int run_gateway(const GatewayFlags& f) {
  if (f.verbose) {
    log::set_level(log::Level::kDebug);
  }
  gateway::GatewayOptions o;
  size_t colon = f.listen.rfind(':');
  if (colon == std::string::npos) {
    throw Error(ErrorKind::kUsage, "gateway", "--listen", "expected host:port")
        .with_hint("e.g. --listen 127.0.0.1:5439 (port 0 picks a free port)");
  }
  o.listen_host = f.listen.substr(0, colon);
  if (o.listen_host.size() >= 2 && o.listen_host.front() == '[') {
    o.listen_host = o.listen_host.substr(1, o.listen_host.size() - 2);
  }
  o.listen_port = f.listen.substr(colon + 1);
  o.upstream = gateway::parse_upstream(f.upstream);
  o.tls_cert = f.tls_cert;
  o.tls_key = f.tls_key;
  o.password_file = f.password_file;
  o.max_connections = f.max_connections;
  o.auth_timeout = std::chrono::seconds(f.auth_timeout_s);
  // The cluster's own AWS identity: the default chain, or the named profile.
  gateway::EngineExecutorConfig ec;
  ec.env = aws::Environment::from_process();
  if (!f.aws_profile.empty()) {
    ec.env.vars["AWS_PROFILE"] = f.aws_profile;
  }
  if (!f.region.empty()) {
    ec.region = f.region;
  }
  ec.default_iam_role = f.default_iam_role;
  ec.local_root = f.local_root;
  o.executors = gateway::engine_executor_factory(std::move(ec));
  gateway::Gateway g(o);

  std::signal(SIGPIPE, SIG_IGN);
  running_gateway = &g;
  struct sigaction sa {};
  sa.sa_handler = stop_gateway;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  // Scripts and tests read this line to learn the port (with --listen host:0).
  std::printf("crossunload gateway listening on %s:%u, upstream %s (sslmode=%s)%s\n",
              o.listen_host.c_str(), g.port(), o.upstream.display().c_str(),
              std::string(gateway::to_string(o.upstream.sslmode)).c_str(),
              o.tls_cert.empty() ? "" : ", TLS on");
  std::fflush(stdout);
  std::unique_ptr<gateway::DataApiServer> data_api;
  std::thread data_api_thread;
  if (!f.data_api_listen.empty()) {
    data_api = make_data_api(f, o, g.port());
    running_data_api = data_api.get();
    std::printf("crossunload gateway Data API listening on %s:%u\n",
                data_api_host(f.data_api_listen).c_str(), data_api->port());
    std::fflush(stdout);
    data_api_thread = std::thread([&] { data_api->serve(); });
  }
  g.serve();
  if (data_api) {
    data_api->stop();
    data_api_thread.join();
    running_data_api = nullptr;
  }
  running_gateway = nullptr;
  log::info("gateway stopped");
  return 0;
}

}  // namespace

void add_gateway(CLI::App& app, Runner& selected) {
  auto flags = std::make_shared<GatewayFlags>();
  auto* cmd = app.add_subcommand(
      "gateway", "Local Redshift: a PostgreSQL wire-protocol proxy that executes UNLOAD itself");
  cmd->add_option("--listen", flags->listen, "Address to accept clients on (host:port)")
      ->capture_default_str();
  cmd->add_option("--upstream", flags->upstream,
                  "The PostgreSQL to relay to, over TCP: host:port or a libpq conninfo (its "
                  "user, database and password are ignored: clients log in as themselves; a "
                  "Unix socket is refused). TLS to it as libpq's sslmode says: disable, prefer "
                  "(default), require, verify-ca, verify-full, with sslrootcert (default: the "
                  "system's CAs)")
      ->required();
  cmd->add_option("--tls-cert", flags->tls_cert,
                  "PEM certificate: accept TLS from clients (SSLRequest is declined without)");
  cmd->add_option("--tls-key", flags->tls_key, "PEM private key of --tls-cert");
  cmd->add_option("--password-file", flags->password_file,
                  "Authenticate clients in the gateway (SCRAM-SHA-256): lines user:verifier, "
                  "the verifier as pg_authid.rolpassword holds it (file mode 0600). Without it "
                  "the upstream must ask every client for its password");
  cmd->add_option("--max-connections", flags->max_connections,
                  "Sessions at once; one more is refused with \"sorry, too many clients "
                  "already\" (0: no limit)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--auth-timeout", flags->auth_timeout_s,
                  "Seconds a client has to finish connecting and authenticating, as "
                  "PostgreSQL's authentication_timeout")
      ->capture_default_str()
      ->check(CLI::Range(1, 600));
  cmd->add_option("--aws-profile", flags->aws_profile,
                  "AWS profile of the cluster's own identity (default: the usual chain)");
  cmd->add_option("--region", flags->region,
                  "The cluster's region (default: AWS_REGION / the profile's, else us-east-1)");
  cmd->add_option("--default-iam-role", flags->default_iam_role,
                  "Role ARN used for `IAM_ROLE default`");
  cmd->add_option("--local-root", flags->local_root,
                  "Folder that UNLOAD TO a local path may write into (a relative path is taken "
                  "from it); without it only s3:// destinations are accepted, as on Redshift");
  cmd->add_option("--data-api-listen", flags->data_api_listen,
                  "Also serve the Redshift Data API (JSON over HTTP, SigV4) on host:port");
  cmd->add_option("--data-api-credentials", flags->data_api_credentials,
                  "AWS credentials file whose key pairs may call the Data API (besides the "
                  "gateway's own identity)");
  cmd->add_option("--data-api-authorizer", flags->data_api_authorizer,
                  "URL (a local moto) that authenticates and authorizes callers whose keys the "
                  "gateway does not know, by replaying their signed request");
  cmd->add_flag("-v,--verbose", flags->verbose, "Debug logging");
  cmd->footer(
      "Example:\n"
      "  crossunload gateway --listen 127.0.0.1:5439 --upstream 'host=127.0.0.1 port=5432' \\\n"
      "    --local-root /srv/unloads\n"
      "  psql -h 127.0.0.1 -p 5439 -U etl tickit \\\n"
      "    -c \"unload ('select * from category') to '/srv/unloads/out/category_'\"");
  cmd->callback([&selected, flags] { selected = [flags] { return run_gateway(*flags); }; });
}

}  // namespace cu::cli
