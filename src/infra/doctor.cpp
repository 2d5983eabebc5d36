#include "infra/doctor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "aws/config_file.h"
#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "aws/redshift_data.h"
#include "aws/role_chain.h"
#include "aws/s3.h"
#include "aws/secrets.h"
#include "aws/sts.h"
#include "base/error.h"
#include "base/unique_fd.h"
#include "pg/connection.h"
#include "pg/conninfo.h"

namespace cu::infra {

namespace {

// Connects with a timeout; returns the connected socket.
int tcp_connect(const sockaddr* addr, socklen_t len, int timeout_ms, std::string* why) {
  int fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *why = std::strerror(errno);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (::connect(fd, addr, len) != 0 && errno != EINPROGRESS) {
    *why = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int n = ::poll(&p, 1, timeout_ms);
  int err = 0;
  socklen_t elen = sizeof err;
  if (n == 1) {
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  }
  if (n != 1 || err != 0) {
    *why = n == 0 ? fmt::format("no answer within {} ms", timeout_ms)
                  : std::strerror(err ? err : errno);
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

struct Walk {
  std::FILE* out;
  int link = 0;

  // Runs one link: prints "ok" with what `f` returns, or "FAIL" with the error and its hint
  // and rethrows (the walk stops at the first failure).
  void step(const std::string& name, const std::function<std::string()>& f) {
    ++link;
    try {
      std::string detail = f();
      fmt::print(out, "ok    {:<16} {}\n", name, detail);
    } catch (const Error& e) {
      fmt::print(out, "FAIL  {:<16} {}\n", name, e.what());
      std::fflush(out);
      throw;
    }
    std::fflush(out);
  }
  void note(const std::string& name, const std::string& detail) const {
    fmt::print(out, "-     {:<16} {}\n", name, detail);
  }
};

// How long the Data API link waits for `select 1`: a paused cluster or a Serverless
// workgroup that scales up from zero takes tens of seconds before it runs anything.
constexpr auto kDataApiWait = std::chrono::seconds(120);

std::string data_api_where(const InfraParams& p) {
  return fmt::format("{} {}/{}", p.cluster_id ? "cluster" : "workgroup",
                     p.cluster_id ? *p.cluster_id : p.workgroup.value_or(""),
                     p.database.value_or(""));
}

// via = "data-api": the secret as the Data API reads it (with its caller's permissions;
// it needs username and password), then `select 1` through the Data API as the job's
// identity, followed until FINISHED.
void data_api_links(Walk& w, const InfraParams& p, const aws::CredentialsProviderPtr& caller,
                    const std::string& caller_arn,
                    const std::function<aws::ResolvedEndpoint(const char*)>& endpoint) {
  using namespace cu::aws;
  if (!p.secret_id.empty()) {
    w.step("read secret", [&] {
      ResolvedEndpoint ep = endpoint("secretsmanager");
      SecretsManagerClient sm({ep.signing_name, ep.region, ep.url}, caller);
      SecretValue v;
      try {
        v = sm.get_secret_value({.secret_id = p.secret_id});
      } catch (Error& e) {
        if (e.kind() == ErrorKind::kAccess) {
          e.with_hint(fmt::format(
              "the Data API reads the secret with its caller's permissions: {}'s policy must "
              "allow secretsmanager:GetSecretValue on {} (crossunload infra generates it)",
              p.secret_role_arn(), p.secret_policy_arn()));
        }
        throw;
      }
      nlohmann::json j = nlohmann::json::parse(v.string.value_or(""), nullptr, false);
      for (const char* key : {"username", "password"}) {
        if (!j.is_object() || !j.contains(key) || !j[key].is_string()) {
          throw Error(ErrorKind::kUsage, "read secret", p.secret_id,
                      fmt::format("the secret has no {} (a JSON string)", key))
              .with_hint("the Data API logs in with the secret's username and password");
        }
      }
      return fmt::format("{} as {} (user {}; the Data API reads it as its caller)",
                         v.arn.empty() ? p.secret_id : v.arn, caller_arn,
                         j["username"].get<std::string>());
    });
  }
  w.step("data api", [&] {
    const std::string where = data_api_where(p);
    ResolvedEndpoint ep = endpoint("redshift-data");
    RedshiftDataClient rd(redshift_data_endpoint(p.region, ep.configured ? ep.url : ""), caller);
    auto start = std::chrono::steady_clock::now();
    std::string id;
    StatementDescription d;
    try {
      id = rd.execute_statement({.sql = "select 1",
                                 .cluster_identifier = p.cluster_id.value_or(""),
                                 .workgroup_name = p.workgroup.value_or(""),
                                 .database = p.database.value_or(""),
                                 .db_user = p.db_user.value_or(""),
                                 .secret_arn = p.secret_id,
                                 .statement_name = "crossunload-doctor"});
      auto delay = std::chrono::milliseconds(200);
      for (;;) {
        d = rd.describe_statement(id);
        if (is_final_status(d.status)) {
          break;
        }
        if (std::chrono::steady_clock::now() - start > kDataApiWait) {
          rd.cancel_statement(id);
          throw Error(ErrorKind::kSource, "data api", where,
                      fmt::format("statement {} (select 1) still {} after {} s; cancelled", id,
                                  d.status, kDataApiWait.count()))
              .with_hint(
                  "is the cluster paused, or the workgroup at its limit? Run doctor again once "
                  "it answers");
        }
        std::this_thread::sleep_for(delay);
        delay = std::min(std::chrono::milliseconds(2000), delay * 2);
      }
    } catch (Error& e) {
      if (e.kind() == ErrorKind::kAccess) {
        e.with_hint(fmt::format(
            "{}'s policy must allow redshift-data:ExecuteStatement on {} and DescribeStatement "
            "on its own statements (crossunload infra generates them)",
            p.secret_role_arn(), p.data_api_target_arn()));
      }
      throw;
    }
    if (d.status != "FINISHED") {
      throw Error(d.status == "FAILED" ? ErrorKind::kSource : ErrorKind::kOther, "data api", where,
                  fmt::format("statement {} (select 1) {}: {}", id, d.status,
                              d.error.empty() ? "no error text" : d.error))
          .with_hint(
              "the Data API reached the cluster but the statement did not run: check the "
              "database name and the login (the secret's username and password, or db_user)");
    }
    nlohmann::json r = rd.get_statement_result(id);
    const nlohmann::json& records = r.value("Records", nlohmann::json::array());
    if (records.size() != 1 || records[0].empty() || records[0][0].value("longValue", -1) != 1) {
      throw Error(ErrorKind::kSource, "data api", where,
                  fmt::format("statement {} (select 1) answered {}", id, records.dump()));
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return fmt::format("select 1 on {} as {}: FINISHED in {:.1f} s (statement {})", where,
                       caller_arn, secs, id);
  });
}

}  // namespace

int run_doctor(const InfraParams& p, std::FILE* out) {
  using namespace cu::aws;
  Walk w{out};
  Environment env = Environment::from_process();
  SharedConfig cfg = SharedConfig::load(env, std::nullopt);
  auto endpoint = [&](const char* service) {
    ResolvedEndpoint ep = resolve_endpoint(service, p.region, env, cfg);
    return ep;
  };
  ResolvedEndpoint sts_ep = endpoint("sts");
  ServiceEndpoint sts{sts_ep.signing_name, sts_ep.region, sts_ep.url};

  try {
    ChainOptions chain;
    chain.assume_role = sts_assume_role(env, cfg);
    CredentialsProviderPtr own = default_chain(env, chain);
    CallerIdentity me;
    w.step("identity", [&] {
      me = StsClient(sts, own).get_caller_identity();
      return fmt::format("{} (account {}, credentials from {})", me.arn, me.account,
                         own->describe());
    });

    CredentialsProviderPtr secret_creds = own;
    std::string secret_creds_arn = me.arn;
    if (p.secret_via_role) {
      w.step("assume role", [&] {
        AssumeRoleRequest req;
        req.role_arn = p.secret_role_arn();
        req.external_id = p.external_id;
        req.session_name = "crossunload-doctor";
        AssumedRole r;
        try {
          r = StsClient(sts, own).assume_role(req, me.arn);
        } catch (Error& e) {
          if (e.kind() == ErrorKind::kAccess) {
            e.with_hint(fmt::format(
                "{}'s trust policy must allow {} with sts:ExternalId \"{}\", and {}'s own "
                "policy must allow sts:AssumeRole on it (crossunload infra generates both)",
                p.secret_role_name, me.arn, p.external_id, me.arn));
          }
          throw;
        }
        secret_creds = fixed_credentials(r.credentials, r.assumed_role_arn);
        secret_creds_arn = r.assumed_role_arn;
        return fmt::format("{} with external id", r.assumed_role_arn);
      });
    } else {
      w.note("assume role", "none: the job reads the secret with its own identity");
    }

    bool server_mode = true;
    if (p.data_api) {
      data_api_links(w, p, secret_creds, secret_creds_arn, endpoint);
    } else {
      DatabaseSecret db;
      w.step("read secret", [&] {
        ResolvedEndpoint ep = endpoint("secretsmanager");
        SecretsManagerClient sm({ep.signing_name, ep.region, ep.url}, secret_creds);
        SecretValue v = sm.get_secret_value({.secret_id = p.secret_id});
        if (!v.string) {
          throw Error(ErrorKind::kUsage, "read secret", p.secret_id,
                      "the secret has no SecretString")
              .with_hint("store the connection as JSON: host, port, dbname, username, password");
        }
        db = parse_database_secret(*v.string, p.secret_id);
        if (p.database) {
          db.dbname = *p.database;
        }
        return fmt::format("{} (user {}, {}:{}/{})", v.arn.empty() ? p.secret_id : v.arn,
                           db.username, db.host, db.port, db.dbname);
      });

      const std::string where = fmt::format("{}:{}", db.host, db.port);
      std::vector<std::pair<sockaddr_storage, socklen_t>> addrs;
      w.step("resolve host", [&] {
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        int rc = ::getaddrinfo(db.host.c_str(), std::to_string(db.port).c_str(), &hints, &res);
        if (rc != 0) {
          throw Error(ErrorKind::kSource, "resolve host", db.host, ::gai_strerror(rc))
              .with_hint(
                  "from a peered VPC, enable DNS resolution of the peer's private names "
                  "on the peering connection, or put the cluster's IP in the secret");
        }
        std::string list;
        for (addrinfo* a = res; a; a = a->ai_next) {
          sockaddr_storage s{};
          std::memcpy(&s, a->ai_addr, a->ai_addrlen);
          addrs.emplace_back(s, a->ai_addrlen);
          char host[NI_MAXHOST];
          if (::getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof host, nullptr, 0,
                            NI_NUMERICHOST) == 0 &&
              list.find(host) == std::string::npos) {
            list += (list.empty() ? "" : ", ") + std::string(host);
          }
        }
        ::freeaddrinfo(res);
        return fmt::format("{} -> {}", db.host, list);
      });

      UniqueFd sock;
      w.step("reach host:port", [&] {
        std::string why;
        for (auto& [s, len] : addrs) {
          sock.reset(tcp_connect(reinterpret_cast<const sockaddr*>(&s), len, 5000, &why));
          if (sock) {
            return fmt::format("TCP connection to {} accepted", where);
          }
        }
        throw Error(ErrorKind::kSource, "connect", where, why)
            .with_hint(fmt::format(
                "the cluster's security group must allow TCP {} from the Lambda subnets "
                "([infra] lambda_cidrs), and both VPCs' route tables must route the peering",
                db.port));
      });

      const std::string sslmode = p.sslmode.value_or(
          pg::is_local_host(db.host) ? std::string("prefer") : std::string("require"));
      w.step("tls", [&] {
        // PostgreSQL's SSLRequest: length 8, code 80877103; the server answers 'S' or 'N'.
        unsigned char req[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
        char answer = 0;
        timeval tv{5, 0};
        ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (::send(sock.get(), req, sizeof req, MSG_NOSIGNAL) != 8 ||
            ::recv(sock.get(), &answer, 1, 0) != 1) {
          throw Error(ErrorKind::kSource, "tls", where, "no answer to PostgreSQL's SSLRequest")
              .with_hint("is this a PostgreSQL or Redshift port?");
        }
        bool needs = sslmode == "require" || sslmode == "verify-ca" || sslmode == "verify-full";
        if (answer == 'S') {
          return fmt::format("the server offers TLS (sslmode {})", sslmode);
        }
        if (answer == 'N' && !needs) {
          return fmt::format("the server has no TLS; sslmode {} allows that", sslmode);
        }
        if (answer == 'N') {
          throw Error(ErrorKind::kSource, "tls", where,
                      fmt::format("the server does not offer TLS but sslmode is {}", sslmode))
              .with_hint(
                  "Redshift always offers TLS: check host and port; sslmode = \"disable\" "
                  "only for a local test server");
        }
        throw Error(ErrorKind::kSource, "tls", where,
                    fmt::format("unexpected answer '{}' to SSLRequest", answer))
            .with_hint("is this a PostgreSQL or Redshift port?");
      });
      sock.reset();

      std::unique_ptr<pg::Connection> conn;
      w.step("log in", [&] {
        std::string ci = pg::build_conninfo({{"host", db.host},
                                             {"port", std::to_string(db.port)},
                                             {"dbname", db.dbname},
                                             {"user", db.username},
                                             {"password", db.password},
                                             {"sslmode", sslmode},
                                             {"connect_timeout", "10"},
                                             {"application_name", "crossunload-doctor"}});
        conn = std::make_unique<pg::Connection>(pg::parse_target(ci));
        return fmt::format("{} as {}", conn->target().describe(), db.username);
      });
      w.step("server", [&] {
        const auto& s = conn->server();
        return fmt::format("{}: {}",
                           s.kind == pg::ServerKind::kRedshift ? "Redshift" : "PostgreSQL",
                           s.version.substr(0, s.version.find(',')));
      });
      server_mode = p.mode == "server" ||
                    (p.mode == "auto" && conn->server().kind == pg::ServerKind::kRedshift);
      conn.reset();
    }

    CredentialsProviderPtr dest_creds = own;
    if (p.job_write_role) {
      w.step("unload roles", [&] {
        AssumedRole r = StsClient(sts, own).assume_role(
            {.role_arn = *p.job_write_role, .session_name = "crossunload-doctor"}, me.arn);
        dest_creds = fixed_credentials(r.credentials, r.assumed_role_arn);
        return fmt::format("write role {} assumed", r.assumed_role_arn);
      });
    } else if (server_mode) {
      w.note("unload roles",
             fmt::format("{} -> {}: only Redshift can assume the first role, not checkable from "
                         "here (the IAM simulator tests of crossunload infra cover the trusts)",
                         p.redshift_role_arn(), p.write_role_arn()));
    }

    w.step("destination", [&] {
      ResolvedEndpoint ep = endpoint("s3");
      S3Options o;
      o.region = p.region;
      if (ep.configured) {
        o.endpoint_url = ep.url;
      }
      S3Client s3(o, dest_creds);
      if (server_mode) {
        auto objects = s3.list_objects(p.bucket, p.prefix);
        return fmt::format(
            "{} listed ({} objects under the prefix); Redshift writes there "
            "through {}",
            s3_url(p.bucket, p.prefix), objects.size(), p.write_role_arn());
      }
      std::random_device rd;
      std::string key = fmt::format("{}crossunload-doctor-probe-{:08x}", p.prefix, rd());
      s3.put_object(p.bucket, key, "crossunload doctor probe\n");
      s3.delete_objects(p.bucket, {key});
      return fmt::format("{} written and deleted", s3_url(p.bucket, key));
    });
  } catch (const Error& e) {
    fmt::print(out, "stopped at link {}{}\n", w.link, e.hint().empty() ? "" : "; fix: " + e.hint());
    return e.exit_code();
  }
  fmt::print(out, "every link holds\n");
  return 0;
}

}  // namespace cu::infra
