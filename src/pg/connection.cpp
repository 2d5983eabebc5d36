#include "pg/connection.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>

#include "base/log.h"
#include "base/redact.h"
#include "pg/conninfo.h"

namespace cu::pg {
namespace {

struct OptionsFree {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using OptionsPtr = std::unique_ptr<PQconninfoOption, OptionsFree>;

struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClear>;

std::string option(const PQconninfoOption* opts, std::string_view key) {
  for (auto* o = opts; o && o->keyword; ++o) {
    if (key == o->keyword && o->val) {
      return o->val;
    }
  }
  return {};
}

}  // namespace

bool lost_without_reason(std::string_view libpq_message) {
  return libpq_message.find("server closed the connection unexpectedly") !=
             std::string_view::npos &&
         libpq_message.find("FATAL:") == std::string_view::npos &&
         libpq_message.find("ERROR:") == std::string_view::npos;
}

std::string Target::describe() const {
  std::string h = host.empty() ? "localhost" : host;
  return h + ":" + (port.empty() ? "5432" : port) + "/" + dbname;
}

Target parse_target(std::string_view conninfo) {
  if (const char* pw = std::getenv("PGPASSWORD")) {
    register_secret(pw);
  }
  ConninfoOptions parsed = parse_conninfo(conninfo, "parse source", "--source");

  Target t;
  t.conninfo = std::string(conninfo);
  OptionsPtr defaults(PQconndefaults());
  auto value = [&](const std::string& key) {
    auto it = parsed.find(key);
    return it != parsed.end() ? it->second : option(defaults.get(), key);
  };
  t.host = value("host");
  if (t.host.empty()) {
    t.host = value("hostaddr");
  }
  t.port = value("port");
  // libpq only checks the port when connecting; a typo there is a usage error, not an
  // unreachable database. (Several hosts give a comma list.)
  if (t.port.empty() || t.port.find_first_not_of("0123456789,") != std::string::npos) {
    throw Error(ErrorKind::kUsage, "parse source", "--source",
                "invalid port number \"" + t.port + "\"")
        .with_hint("the port is a number, e.g. 5432");
  }
  t.user = value("user");
  t.dbname = value("dbname");
  if (t.dbname.empty()) {
    t.dbname = t.user;
  }
  t.password_in_conninfo = parsed.contains("password");
  return t;
}

ServerKind detect_server(std::string_view v) {
  auto comma = v.rfind(',');
  auto tail = comma == std::string_view::npos ? v : v.substr(comma + 1);
  return tail.find("Redshift ") != std::string_view::npos ? ServerKind::kRedshift
                                                          : ServerKind::kPostgres;
}

ErrorKind classify_connect_failure(std::string_view m) {
  for (std::string_view needle :
       {"password authentication failed", "authentication failed", "no password supplied",
        "password is required", "pg_hba.conf rejects", "no pg_hba.conf entry",
        "does not have CONNECT privilege", "permission denied for database"}) {
    if (m.find(needle) != std::string_view::npos) {
      return ErrorKind::kAccess;
    }
  }
  if (m.find("role \"") != std::string_view::npos &&
      m.find("does not exist") != std::string_view::npos) {
    return ErrorKind::kAccess;
  }
  return ErrorKind::kSource;
}

std::string one_line(std::string_view message) {
  std::string out;
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
    }
    space = false;
    out += c;
  }
  return out;
}

Connection::Connection(const Target& target) : target_(target) {
  const char* keys[] = {"connect_timeout", "dbname", "fallback_application_name", "client_encoding",
                        nullptr};
  const char* values[] = {"10", target_.conninfo.c_str(), "crossunload", "UTF8", nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn_) {
    throw Error(ErrorKind::kOther, "connect", target_.describe(), "out of memory");
  }
  if (const char* pw = PQpass(conn_)) {
    register_secret(pw);
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = one_line(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    ErrorKind kind = classify_connect_failure(msg);
    Error e(kind, "connect", target_.describe(), msg);
    if (kind == ErrorKind::kAccess) {
      e.with_hint("check the user and the password (PGPASSWORD, PGPASSFILE or the URL)");
    } else {
      e.with_hint("is the database running and reachable at that host and port?");
    }
    throw e;
  }
  cu::log::debug("connected to {} as {}", target_.describe(), target_.user);
  // The server's notices (Redshift's "UNLOAD completed, …") go through the one logger, as
  // every other line on stderr: a JSON line with JSON logs, never inside the progress bar.
  PQsetNoticeProcessor(
      conn_,
      [](void*, const char* message) { cu::log::info("server said: {}", one_line(message)); },
      nullptr);

  ResultPtr v(PQexec(conn_, "select version()"));
  if (PQresultStatus(v.get()) != PGRES_TUPLES_OK) {
    throw_result_error(v.get(), "detect server");
  }
  server_.version = PQntuples(v.get()) > 0 ? PQgetvalue(v.get(), 0, 0) : "";
  server_.kind = detect_server(server_.version);
  server_.version_num = PQserverVersion(conn_);
  cu::log::debug("server: {}", server_.version);

  if (server_.kind == ServerKind::kPostgres) {
    // Redshift renders values the way a PostgreSQL session with these settings does (ISO
    // dates, UTC, shortest exact floats); read-only makes a query with side effects fail
    // instead of writing to the source.
    execute(
        "set datestyle = 'ISO, MDY'; set intervalstyle = 'postgres'; set timezone = 'UTC'; "
        "set extra_float_digits = 1; set default_transaction_read_only = on",
        "configure session");
  }
}

Connection::~Connection() {
  if (conn_) {
    PQfinish(conn_);
  }
}

void Connection::execute(const std::string& sql, std::string_view step) {
  ResultPtr r(PQexec(conn_, sql.c_str()));
  auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    throw_result_error(r.get(), step);
  }
}

std::optional<std::string> Connection::query_value(const std::string& sql, std::string_view step) {
  ResultPtr r(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    throw_result_error(r.get(), step);
  }
  if (PQntuples(r.get()) < 1 || PQnfields(r.get()) < 1 || PQgetisnull(r.get(), 0, 0)) {
    return std::nullopt;
  }
  return std::string(PQgetvalue(r.get(), 0, 0));
}

std::vector<std::optional<std::string>> Connection::query_row(const std::string& sql,
                                                              std::string_view step) {
  ResultPtr r(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    throw_result_error(r.get(), step);
  }
  std::vector<std::optional<std::string>> row;
  if (PQntuples(r.get()) < 1) {
    return row;
  }
  for (int i = 0; i < PQnfields(r.get()); ++i) {
    if (PQgetisnull(r.get(), 0, i)) {
      row.emplace_back(std::nullopt);
    } else {
      row.emplace_back(std::string(PQgetvalue(r.get(), 0, i)));
    }
  }
  return row;
}

std::vector<Column> Connection::describe(const std::string& query) {
  ResultPtr p(PQprepare(conn_, "", query.c_str(), 0, nullptr));
  if (PQresultStatus(p.get()) != PGRES_COMMAND_OK) {
    throw_result_error(p.get(), "query");
  }
  ResultPtr d(PQdescribePrepared(conn_, ""));
  if (PQresultStatus(d.get()) != PGRES_COMMAND_OK) {
    throw_result_error(d.get(), "query");
  }
  std::vector<Column> cols;
  int n = PQnfields(d.get());
  cols.reserve(n);
  for (int i = 0; i < n; ++i) {
    cols.push_back({PQfname(d.get(), i), PQftype(d.get(), i), PQfmod(d.get(), i)});
  }
  return cols;
}

void Connection::throw_result_error(const void* res, std::string_view step) const {
  auto* r = static_cast<const PGresult*>(res);
  std::string msg, sqlstate, hint;
  if (r) {
    if (const char* p = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) {
      msg = p;
    }
    if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) {
      sqlstate = s;
    }
    if (const char* h = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT)) {
      hint = h;
    }
  }
  if (msg.empty()) {
    msg = one_line(conn_ ? PQerrorMessage(conn_) : "no result");
    // The server's reason, when it sent one, is the result's own message above (57P01 for
    // pg_terminate_backend). A backend ended while blocked writing rows to us sends none:
    // PostgreSQL drops the message so as not to block again (ProcessClientWriteInterrupt),
    // and libpq's words suggest a crash, which is the least likely cause.
    if (conn_ && PQstatus(conn_) == CONNECTION_BAD && lost_without_reason(msg)) {
      msg = std::string(kLostWithoutReason);
    }
  }
  ErrorKind kind = ErrorKind::kSource;
  if (sqlstate.starts_with("28") || sqlstate == "42501") {
    kind = ErrorKind::kAccess;
  }
  if (!sqlstate.empty()) {
    msg += " (SQLSTATE " + sqlstate + ")";
  }
  Error e(kind, std::string(step), target_.describe(), one_line(msg));
  if (!hint.empty()) {
    e.with_hint(one_line(hint));
  }
  throw e;
}

}  // namespace cu::pg
