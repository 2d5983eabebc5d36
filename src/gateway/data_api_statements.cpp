#include "gateway/data_api_statements.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include "base/error.h"
#include "base/log.h"
#include "base/redact.h"
#include "engine/copy_binary_decoder.h"
#include "pg/connection.h"
#include "pg/statement.h"

namespace cu::gateway {

using nlohmann::json;
using SystemClock = std::chrono::system_clock;
using SteadyClock = std::chrono::steady_clock;

struct SubStatement {
  std::string sql;
  std::string status = "SUBMITTED";
  std::string error;
  SystemClock::time_point created, updated;
  std::int64_t duration_ns = 0;
  bool has_result_set = false;
  std::int64_t result_rows = -1;
  std::int64_t result_size = 0;
  std::shared_ptr<const pg::StatementResult> result;
};

struct StatementStore::Statement {
  std::string id;
  StatementSpec spec;
  SystemClock::time_point created, updated;
  std::string status = "SUBMITTED";
  std::string error;
  std::int64_t duration_ns = 0;
  int pid = -1;
  std::vector<SubStatement> subs;
  pg::QueryCanceller* canceller = nullptr;  // while the statement runs; guarded by the store
  bool cancel_requested = false;
  bool done = false;
  std::thread thread;
};

namespace {

double epoch_seconds(SystemClock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

bool terminal(const std::string& status) {
  return status == "FINISHED" || status == "FAILED" || status == "ABORTED";
}

// libpq conninfo value quoting: 'v' with \ and ' escaped.
std::string conninfo_quoted(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\\' || c == '\'') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

json field(std::uint32_t type_oid, const std::optional<std::string>& value) {
  if (!value) {
    return {{"isNull", true}};
  }
  const std::string& v = *value;
  switch (type_oid) {
    case pg::oid::kBool:
      return {{"booleanValue", v == "t" || v == "true"}};
    case pg::oid::kInt2:
    case pg::oid::kInt4:
    case pg::oid::kInt8:
    case pg::oid::kOid:
      try {
        return {{"longValue", std::stoll(v)}};
      } catch (const std::exception&) {
        return {{"stringValue", v}};
      }
    case pg::oid::kFloat4:
    case pg::oid::kFloat8: {
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end != v.c_str() && *end == '\0' && std::isfinite(d)) {
        return {{"doubleValue", d}};
      }
      return {{"stringValue", v}};  // NaN and infinities have no JSON number
    }
    default:
      return {{"stringValue", v}};
  }
}

json column_metadata(const pg::Column& c) {
  const std::uint32_t t = c.type_oid;
  bool numeric = t == pg::oid::kInt2 || t == pg::oid::kInt4 || t == pg::oid::kInt8 ||
                 t == pg::oid::kFloat4 || t == pg::oid::kFloat8 || t == pg::oid::kNumeric;
  bool text = t == pg::oid::kText || t == pg::oid::kVarchar || t == pg::oid::kBpchar ||
              t == pg::oid::kName || t == pg::oid::kChar;
  int length = 0, precision = 0, scale = 0;
  const int mod = c.type_modifier - 4;  // VARHDRSZ
  if ((t == pg::oid::kVarchar || t == pg::oid::kBpchar) && mod >= 0) {
    length = mod;
    precision = mod;
  } else if (t == pg::oid::kNumeric && mod >= 0) {
    precision = (mod >> 16) & 0xffff;
    scale = mod & 0xffff;
  } else if (t == pg::oid::kInt2) {
    precision = 5;
  } else if (t == pg::oid::kInt4) {
    precision = 10;
  } else if (t == pg::oid::kInt8) {
    precision = 19;
  } else if (t == pg::oid::kFloat4) {
    precision = 8;
    scale = 8;
  } else if (t == pg::oid::kFloat8) {
    precision = 17;
    scale = 17;
  }
  return {{"name", c.name},      {"label", c.name},     {"typeName", data_api_type_name(t)},
          {"nullable", 1},       {"isSigned", numeric}, {"isCaseSensitive", text},
          {"isCurrency", false}, {"length", length},    {"precision", precision},
          {"scale", scale},      {"schemaName", ""},    {"tableName", ""}};
}

void put_common(json& j, const StatementSpec& s) {
  if (!s.cluster_identifier.empty()) {
    j["ClusterIdentifier"] = s.cluster_identifier;
  }
  if (!s.workgroup_name.empty()) {
    j["WorkgroupName"] = s.workgroup_name;
  }
  if (!s.database.empty()) {
    j["Database"] = s.database;
  }
  if (!s.db_user.empty()) {
    j["DbUser"] = s.db_user;
  }
  if (!s.secret_arn.empty()) {
    j["SecretArn"] = s.secret_arn;
  }
}

json describe_sub(const std::string& parent, std::size_t i, const SubStatement& s) {
  json j = {{"Id", fmt::format("{}:{}", parent, i + 1)},
            {"Status", s.status},
            {"QueryString", s.sql},
            {"CreatedAt", epoch_seconds(s.created)},
            {"UpdatedAt", epoch_seconds(s.updated)},
            {"Duration", s.duration_ns},
            {"HasResultSet", s.has_result_set},
            {"ResultRows", s.result_rows},
            {"ResultSize", s.result_size},
            {"RedshiftQueryId", 0}};
  if (!s.error.empty()) {
    j["Error"] = s.error;
  }
  return j;
}

DataApiError not_found(const std::string& id) {
  DataApiError e("ResourceNotFoundException", fmt::format("Query {} does not exist", id));
  e.extra["ResourceId"] = id;
  return e;
}

bool valid_uuid(std::string_view s) {
  // [a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}
  if (s.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = s[i];
    if (dash ? c != '-' : !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string new_uuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  std::string h = fmt::format("{:016x}{:016x}", a, b);
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20, 12));
}

std::string data_api_type_name(std::uint32_t type_oid) {
  switch (type_oid) {
    case pg::oid::kBool:
      return "bool";
    case pg::oid::kInt2:
      return "int2";
    case pg::oid::kInt4:
      return "int4";
    case pg::oid::kInt8:
      return "int8";
    case pg::oid::kFloat4:
      return "float4";
    case pg::oid::kFloat8:
      return "float8";
    case pg::oid::kNumeric:
      return "numeric";
    case pg::oid::kVarchar:
      return "varchar";
    case pg::oid::kBpchar:
      return "bpchar";
    case pg::oid::kText:
      return "text";
    case pg::oid::kName:
      return "name";
    case pg::oid::kChar:
      return "char";
    case pg::oid::kDate:
      return "date";
    case pg::oid::kTime:
      return "time";
    case pg::oid::kTimestamp:
      return "timestamp";
    case pg::oid::kTimestamptz:
      return "timestamptz";
    case pg::oid::kBytea:
      return "bytea";
    case pg::oid::kOid:
      return "oid";
    case pg::oid::kUuid:
      return "uuid";
    case pg::oid::kJson:
      return "json";
    case pg::oid::kJsonb:
      return "jsonb";
    default:
      return pg::type_name(type_oid);
  }
}

StatementStore::StatementStore(StatementStoreOptions options) : options_(std::move(options)) {}

StatementStore::~StatementStore() {
  std::vector<std::shared_ptr<Statement>> all;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& st : order_) {
      st->cancel_requested = true;
      if (st->canceller != nullptr) {
        st->canceller->cancel();
      }
    }
    all = order_;
  }
  for (auto& st : all) {
    if (st->thread.joinable()) {
      st->thread.join();
    }
  }
}

void StatementStore::reap() {
  // Called with mu_ held: finished threads are joined (they have returned already), the
  // oldest finished statements forgotten past max_kept.
  for (auto& st : order_) {
    if (st->done && st->thread.joinable()) {
      st->thread.join();
    }
  }
  while (order_.size() > options_.max_kept) {
    auto it = std::find_if(order_.begin(), order_.end(), [](const auto& s) { return s->done; });
    if (it == order_.end()) {
      break;
    }
    by_id_.erase((*it)->id);
    order_.erase(it);
  }
}

json StatementStore::submit(StatementSpec spec) {
  auto st = std::make_shared<Statement>();
  st->id = new_uuid();
  st->created = st->updated = SystemClock::now();
  for (const std::string& sql : spec.sqls) {
    SubStatement sub;
    sub.sql = sql;
    sub.created = sub.updated = st->created;
    st->subs.push_back(std::move(sub));
  }
  st->spec = std::move(spec);
  {
    std::lock_guard lock(mu_);
    reap();
    if (stopping_) {
      throw DataApiError("InternalServerException", "the gateway is stopping", 500);
    }
    if (active_ >= options_.max_active) {
      throw DataApiError(
          "ActiveStatementsExceededException",
          fmt::format("Active statements exceeded the allowed quota ({}).", options_.max_active));
    }
    ++active_;
    by_id_[st->id] = st;
    order_.push_back(st);
    st->thread = std::thread([this, st] { run(st); });
  }
  json out = {{"Id", st->id}, {"CreatedAt", epoch_seconds(st->created)}};
  put_common(out, st->spec);
  return out;
}

void StatementStore::run(const std::shared_ptr<Statement>& st) {
  SecretScope statement_secrets;  // an UNLOAD's CREDENTIALS end with the statement
  const StatementSpec& spec = st->spec;
  auto start = SteadyClock::now();
  auto set = [&](auto&& fn) {
    std::lock_guard lock(mu_);
    fn();
    st->updated = SystemClock::now();
  };
  auto finish = [&](const std::string& status, const std::string& error) {
    std::lock_guard lock(mu_);
    st->status = status;
    st->error = error;
    st->updated = SystemClock::now();
    st->duration_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start).count();
    for (auto& sub : st->subs) {
      if (!terminal(sub.status)) {
        sub.status = "ABORTED";
        sub.updated = st->updated;
      }
    }
    st->canceller = nullptr;
    st->done = true;
    --active_;
  };

  std::string conninfo = fmt::format(
      "host={} port={} dbname={} user={} sslmode=disable application_name={}",
      conninfo_quoted(options_.gateway_host), options_.gateway_port, conninfo_quoted(spec.database),
      conninfo_quoted(spec.login_user), conninfo_quoted("crossunload-data-api"));
  if (spec.login_password) {
    conninfo += " password=" + conninfo_quoted(*spec.login_password);
  }

  std::unique_ptr<pg::Connection> conn;
  try {
    conn = std::make_unique<pg::Connection>(pg::parse_target(conninfo));
  } catch (const Error& e) {
    finish("FAILED", "FATAL: " + e.message());
    return;
  }
  pg::QueryCanceller canceller(*conn);
  bool cancelled_early = false;
  set([&] {
    st->pid = pg::backend_pid(*conn);
    st->status = "STARTED";
    st->canceller = &canceller;
    cancelled_early = st->cancel_requested;
  });
  if (cancelled_early) {
    finish("ABORTED", "");
    return;
  }
  log::info("data api statement {} started ({} statement(s), user {}, database {})", st->id,
            st->subs.size(), spec.login_user, spec.database);

  std::string failure;
  bool aborted = false;
  try {
    if (spec.batch) {
      pg::run_statement(*conn, "begin", 0);
    }
    for (std::size_t i = 0; i < st->subs.size(); ++i) {
      std::string sql;
      auto sub_start = SteadyClock::now();
      set([&] {
        st->subs[i].status = "STARTED";
        sql = st->subs[i].sql;
      });
      try {
        auto r = std::make_shared<pg::StatementResult>(
            pg::run_statement(*conn, sql, options_.max_result_bytes));
        std::int64_t rows = r->affected;
        if (r->command_tag == "UNLOAD") {
          // The gateway answers this as Redshift does: the rows the UNLOAD wrote.
          pg::StatementResult n = pg::run_statement(*conn, "select pg_last_unload_count()", 64);
          if (!n.rows.empty() && !n.rows[0].empty() && n.rows[0][0]) {
            rows = std::stoll(*n.rows[0][0]);
          }
        }
        set([&] {
          SubStatement& sub = st->subs[i];
          sub.status = "FINISHED";
          sub.duration_ns =
              std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - sub_start)
                  .count();
          sub.has_result_set = r->has_result_set;
          sub.result_rows = rows;
          sub.result_size = static_cast<std::int64_t>(r->result_bytes);
          if (r->has_result_set) {
            sub.result = r;
          }
        });
      } catch (const Error& e) {
        set([&] {
          SubStatement& sub = st->subs[i];
          aborted = st->cancel_requested;
          sub.status = aborted ? "ABORTED" : "FAILED";
          sub.error = aborted ? "" : "ERROR: " + e.message();
          sub.duration_ns =
              std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - sub_start)
                  .count();
        });
        failure = "ERROR: " + e.message();
        break;
      }
      bool stop = false;
      set([&] { stop = st->cancel_requested; });
      if (stop) {
        aborted = true;
        break;
      }
    }
    if (spec.batch) {
      pg::run_statement(*conn, failure.empty() && !aborted ? "commit" : "rollback", 0);
    }
  } catch (const Error& e) {
    if (failure.empty()) {
      failure = "ERROR: " + e.message();
    }
  }
  {
    // The canceller goes before the connection does.
    std::lock_guard lock(mu_);
    st->canceller = nullptr;
  }
  conn.reset();
  if (aborted) {
    finish("ABORTED", "");
  } else if (!failure.empty()) {
    finish("FAILED", failure);
  } else {
    finish("FINISHED", "");
  }
  log::info("data api statement {} {}", st->id, st->status);
}

std::shared_ptr<StatementStore::Statement> StatementStore::find(const std::string& id,
                                                                std::size_t* sub) const {
  std::string base = id;
  *sub = 0;
  if (auto colon = id.find(':'); colon != std::string::npos) {
    base = id.substr(0, colon);
    std::string n = id.substr(colon + 1);
    if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos) {
      throw DataApiError("ValidationException",
                         fmt::format("1 validation error detected: Value '{}' at 'id' failed to "
                                     "satisfy constraint: Member must satisfy regular expression "
                                     "pattern: [a-z0-9]{{8}}(-[a-z0-9]{{4}}){{3}}-[a-z0-9]{{12}}"
                                     "(:\\d+)?",
                                     id));
    }
    *sub = std::stoul(n);
  }
  if (!valid_uuid(base)) {
    throw DataApiError("ValidationException",
                       fmt::format("1 validation error detected: Value '{}' at 'id' failed to "
                                   "satisfy constraint: Member must satisfy regular expression "
                                   "pattern: [a-z0-9]{{8}}(-[a-z0-9]{{4}}){{3}}-[a-z0-9]{{12}}"
                                   "(:\\d+)?",
                                   id));
  }
  auto it = by_id_.find(base);
  if (it == by_id_.end()) {
    throw not_found(id);
  }
  if (*sub > it->second->subs.size() || (*sub > 0 && !it->second->spec.batch)) {
    throw not_found(id);
  }
  return it->second;
}

json StatementStore::describe(const std::string& id) const {
  std::lock_guard lock(mu_);
  std::size_t sub = 0;
  auto st = find(id, &sub);
  if (sub > 0) {
    json j = describe_sub(st->id, sub - 1, st->subs[sub - 1]);
    return j;
  }
  json j = {{"Id", st->id},
            {"Status", st->status},
            {"CreatedAt", epoch_seconds(st->created)},
            {"UpdatedAt", epoch_seconds(st->updated)},
            {"Duration", st->duration_ns},
            {"RedshiftPid", st->pid < 0 ? 0 : st->pid},
            {"RedshiftQueryId", 0}};
  put_common(j, st->spec);
  if (!st->error.empty()) {
    j["Error"] = st->error;
  }
  if (st->spec.batch) {
    json subs = json::array();
    std::int64_t rows = 0;
    for (std::size_t i = 0; i < st->subs.size(); ++i) {
      subs.push_back(describe_sub(st->id, i, st->subs[i]));
      rows += std::max<std::int64_t>(st->subs[i].result_rows, 0);
    }
    j["SubStatements"] = subs;
    j["HasResultSet"] = std::any_of(st->subs.begin(), st->subs.end(),
                                    [](const SubStatement& s) { return s.has_result_set; });
    j["ResultRows"] = rows;
    j["QueryString"] = "";
  } else {
    const SubStatement& s = st->subs.front();
    j["QueryString"] = s.sql;
    j["HasResultSet"] = s.has_result_set;
    j["ResultRows"] = s.result_rows;
    j["ResultSize"] = s.result_size;
  }
  return j;
}

json StatementStore::result(const std::string& id, const std::string& next_token) const {
  std::shared_ptr<const pg::StatementResult> r;
  {
    std::lock_guard lock(mu_);
    std::size_t sub = 0;
    auto st = find(id, &sub);
    if (st->spec.batch && sub == 0) {
      throw DataApiError("ValidationException",
                         fmt::format("Statement {} is a batch: ask for the result of one of its "
                                     "statements, {}:1 to {}:{}",
                                     id, id, id, st->subs.size()));
    }
    const SubStatement& s = st->subs[sub == 0 ? 0 : sub - 1];
    if (s.status != "FINISHED") {
      throw DataApiError("ValidationException",
                         fmt::format("Query does not have result. Please check query status with "
                                     "DescribeStatement. (status {})",
                                     s.status));
    }
    if (!s.result) {
      DataApiError e("ResourceNotFoundException", "Query does not have result.");
      e.extra["ResourceId"] = id;
      throw e;
    }
    r = s.result;
  }
  std::size_t offset = 0;
  if (!next_token.empty()) {
    if (!next_token.starts_with("p") || next_token.size() > 16 ||
        next_token.find_first_not_of("0123456789", 1) != std::string::npos ||
        next_token.size() == 1) {
      throw DataApiError("ValidationException", "NextToken is not one this endpoint returned");
    }
    offset = std::stoul(next_token.substr(1));
    if (offset > r->rows.size()) {
      throw DataApiError("ValidationException", "NextToken is not one this endpoint returned");
    }
  }
  json records = json::array();
  std::uint64_t bytes = 0;
  std::size_t i = offset;
  for (; i < r->rows.size() && records.size() < options_.max_page_records &&
         (bytes < options_.max_page_bytes || records.empty());
       ++i) {
    json rec = json::array();
    for (std::size_t c = 0; c < r->columns.size(); ++c) {
      const auto& v = r->rows[i][c];
      bytes += v ? v->size() : 0;
      rec.push_back(field(r->columns[c].type_oid, v));
    }
    records.push_back(std::move(rec));
  }
  json meta = json::array();
  for (const pg::Column& c : r->columns) {
    meta.push_back(column_metadata(c));
  }
  json out = {{"Records", std::move(records)},
              {"ColumnMetadata", std::move(meta)},
              {"TotalNumRows", r->rows.size()}};
  if (i < r->rows.size()) {
    out["NextToken"] = fmt::format("p{}", i);
  }
  return out;
}

json StatementStore::cancel(const std::string& id) {
  std::lock_guard lock(mu_);
  std::size_t sub = 0;
  auto st = find(id, &sub);
  if (terminal(st->status)) {
    throw DataApiError(
        "ValidationException",
        fmt::format("Could not cancel a query that is already in {} state.", st->status));
  }
  st->cancel_requested = true;
  if (st->canceller != nullptr) {
    st->canceller->cancel();
  }
  log::info("data api statement {}: cancel requested", st->id);
  return {{"Status", true}};
}

json StatementStore::list(const json& request, const std::string& caller) const {
  auto str = [&](const char* key) {
    auto it = request.find(key);
    return it != request.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string status = str("Status");
  if (status.empty()) {
    status = "ALL";
  }
  static const std::vector<std::string> kStatuses = {"SUBMITTED", "PICKED", "STARTED", "FINISHED",
                                                     "ABORTED",   "FAILED", "ALL"};
  if (std::find(kStatuses.begin(), kStatuses.end(), status) == kStatuses.end()) {
    throw DataApiError("ValidationException",
                       fmt::format("1 validation error detected: Value '{}' at 'status' failed "
                                   "to satisfy constraint: Member must satisfy enum value set: "
                                   "[SUBMITTED, PICKED, STARTED, FINISHED, ABORTED, FAILED, ALL]",
                                   status));
  }
  std::size_t max = 100;
  if (auto it = request.find("MaxResults"); it != request.end()) {
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > 100) {
      throw DataApiError("ValidationException", "MaxResults must be between 0 and 100");
    }
    if (it->get<long long>() > 0) {
      max = it->get<std::size_t>();
    }
  }
  bool role_level = true;
  if (auto it = request.find("RoleLevel"); it != request.end() && it->is_boolean()) {
    role_level = it->get<bool>();
  }
  std::string name = str("StatementName"), cluster = str("ClusterIdentifier"),
              database = str("Database"), workgroup = str("WorkgroupName"),
              token = str("NextToken");
  std::size_t skip = 0;
  if (!token.empty()) {
    if (!token.starts_with("l") || token.size() > 16 || token.size() == 1 ||
        token.find_first_not_of("0123456789", 1) != std::string::npos) {
      throw DataApiError("ValidationException", "NextToken is not one this endpoint returned");
    }
    skip = std::stoul(token.substr(1));
  }
  std::lock_guard lock(mu_);
  json out = json::array();
  std::size_t matched = 0;
  bool more = false;
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {  // newest first
    const Statement& st = **it;
    if (status != "ALL" && st.status != status) {
      continue;
    }
    if (!name.empty() && !st.spec.statement_name.starts_with(name)) {
      continue;
    }
    if (!cluster.empty() && st.spec.cluster_identifier != cluster) {
      continue;
    }
    if (!workgroup.empty() && st.spec.workgroup_name != workgroup) {
      continue;
    }
    if (!database.empty() && st.spec.database != database) {
      continue;
    }
    if (!role_level && st.spec.caller != caller) {
      continue;
    }
    if (matched++ < skip) {
      continue;
    }
    if (out.size() == max) {
      more = true;
      break;
    }
    json j = {{"Id", st.id},
              {"Status", st.status},
              {"CreatedAt", epoch_seconds(st.created)},
              {"UpdatedAt", epoch_seconds(st.updated)},
              {"IsBatchStatement", st.spec.batch}};
    if (!st.spec.statement_name.empty()) {
      j["StatementName"] = st.spec.statement_name;
    }
    if (!st.spec.secret_arn.empty()) {
      j["SecretArn"] = st.spec.secret_arn;
    }
    if (st.spec.batch) {
      json qs = json::array();
      for (const auto& s : st.subs) {
        qs.push_back(s.sql);
      }
      j["QueryStrings"] = qs;
    } else {
      j["QueryString"] = st.subs.front().sql;
    }
    out.push_back(std::move(j));
  }
  json r = {{"Statements", std::move(out)}};
  if (more) {
    r["NextToken"] = fmt::format("l{}", skip + max);
  }
  return r;
}

}  // namespace cu::gateway
