#include "job/job.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stop_token>

#include "aws/context.h"
#include "aws/s3.h"
#include "aws/secrets.h"
#include "base/error.h"
#include "base/log.h"
#include "base/redact.h"
#include "engine/copy_binary_decoder.h"
#include "engine/unload.h"
#include "job/catalog.h"
#include "job/client_unload.h"
#include "job/data_api_unload.h"
#include "job/incremental.h"
#include "job/incremental_run.h"
#include "job/job_steps.h"
#include "job/multi.h"
#include "pg/connection.h"
#include "pg/conninfo.h"
#include "pg/interrupt.h"
#include "unload/mask.h"
#include "unload/naming.h"
#include "unload/query_check.h"
#include "unload/render.h"

namespace cu::job {
namespace {

// The conninfo to connect with: `base` (a conninfo or URL) with the job's overrides.
// Rebuilt as key=value pairs so that a URL and a key=value string are treated alike.
std::string with_overrides(const std::string& base, const JobConfig& job) {
  pg::ConninfoOptions kv = pg::parse_conninfo(base, "configure", "source");
  if (job.database) {
    kv["dbname"] = *job.database;
  }
  if (job.sslmode) {
    kv["sslmode"] = *job.sslmode;
  } else if (!kv.contains("sslmode") &&
             !pg::is_local_host(kv.contains("host") ? kv.at("host") : "")) {
    kv["sslmode"] = "require";
  }
  if (!kv.contains("connect_timeout")) {
    kv["connect_timeout"] = std::to_string(job.connect_timeout);
  }
  if (!kv.contains("application_name")) {
    kv["application_name"] = "crossunload";
  }
  return pg::build_conninfo(kv);
}

std::string secret_conninfo(const aws::DatabaseSecret& s) {
  return pg::build_conninfo({{"host", s.host},
                             {"port", std::to_string(s.port)},
                             {"dbname", s.dbname},
                             {"user", s.username},
                             {"password", s.password}});
}

std::int64_t last_unload_count(pg::Connection& conn) {
  std::optional<std::string> n =
      conn.query_value("select pg_last_unload_count()", "read unload count");
  return n ? std::stoll(*n) : -1;
}

// The SQL name of a described column's type, with the length or precision the type modifier
// holds where the mask's cast(null as …) should keep it.
std::string sql_type(const pg::Column& c) {
  const int mod = c.type_modifier - 4;  // VARHDRSZ
  if (c.type_oid == pg::oid::kVarchar && mod >= 0) {
    return fmt::format("character varying({})", mod);
  }
  if (c.type_oid == pg::oid::kBpchar && mod >= 0) {
    return fmt::format("character({})", mod);
  }
  if (c.type_oid == pg::oid::kNumeric && mod >= 0) {
    return fmt::format("numeric({},{})", (mod >> 16) & 0xffff, mod & 0xffff);
  }
  return pg::type_name(c.type_oid);
}

// The job's query with its masked columns rewritten in SQL, so that the source database
// masks them before any row leaves it, in server mode (UNLOAD) and client mode (COPY) alike.
std::string masked_query(const JobConfig& job, pg::Connection& conn, const std::string& salt,
                         Report& report) {
  std::string inner = unload::checked_select(job.unload.select, query_dialect(job.mode));
  std::vector<unload::ResultColumn> columns;
  for (const pg::Column& c : conn.describe(inner)) {
    columns.push_back({c.name, sql_type(c)});
  }
  return mask_query(job, inner, columns, salt, mask_dialect(conn.server()), report);
}

// Server mode (and every dry run): the guard's check as one aggregate query the database
// runs over a sample of the (masked) query; only counts come back.
void pii_sample_check(const JobConfig& job, pg::Connection& conn, const std::string& select,
                      Report& report) {
  std::vector<pg::SourceColumn> columns;
  for (const pg::Column& c : conn.describe(select)) {
    columns.push_back({c.name, c.type_oid, c.type_modifier});
  }
  check_pii_sample(
      job, select, engine::pii_columns(columns, masked_columns(report)),
      [&](const std::string& sql) { return conn.query_row(sql, "pii check"); }, report);
}

// After a successful run: the output as a Glue table, created or updated, and its written
// partitions registered (or projected), as `writer`. The data stays published whatever
// happens here; a failure is the run's failure (docs/catalog.md).
void register_catalog(const TableDefinition& table, aws::AwsContext& aws,
                      const aws::CredentialsProviderPtr& writer, Report& report) {
  aws::GlueClient glue = aws.glue(writer);
  std::vector<std::string> urls;
  urls.reserve(report.files.size());
  for (const FileReport& f : report.files) {
    // Server mode lists the objects under the raw prefix: `sales` also matches `sales_x/…`,
    // which is not this table's.
    if (f.url.starts_with(table.location)) {
      urls.push_back(f.url);
    }
  }
  std::vector<WrittenPartition> partitions;
  if (!table.partition_keys.empty()) {
    partitions = written_partitions(table, urls);
  }
  std::vector<std::vector<std::string>> values;
  values.reserve(partitions.size());
  for (const WrittenPartition& p : partitions) {
    values.push_back(p.values);
  }
  std::optional<nlohmann::json> existing = glue.get_table(table.database, table.table);
  nlohmann::json input = table_input(table, existing.value_or(nullptr), values);
  if (existing || !glue.create_table(table.database, input)) {
    glue.update_table(table.database, input);
  }
  aws::GluePartitionCounts counts;
  if (table.partitions == CatalogPartitions::kRegister && !partitions.empty()) {
    std::vector<nlohmann::json> inputs;
    inputs.reserve(partitions.size());
    for (const WrittenPartition& p : partitions) {
      inputs.push_back(partition_input(table, p));
    }
    counts = glue.put_partitions(table.database, table.table, inputs);
  }
  report.catalog = nlohmann::json{
      {"database", table.database},
      {"table", table.table},
      {"location", table.location},
      {"action", existing ? "updated" : "created"},
      {"partitions",
       table.partition_keys.empty()
           ? "none"
           : (table.partitions == CatalogPartitions::kRegister ? "register" : "projection")},
      {"partitions_created", counts.created},
      {"partitions_updated", counts.updated}};
}

}  // namespace

Report run_job(const JobConfig& job, const aws::Environment& env, Report* partial,
               std::stop_token stop, const StopCause& cause) {
  Report local;
  Report& report = partial ? *partial : local;
  report = Report{};
  report.destination = job.unload.destination;
  report.pii_policy = keyword_of(unload::kPiiPolicyWords, job.pii.policy);
  report.pii_threshold = job.pii.threshold;
  // One SELECT, checked before anything is contacted: a second statement hidden behind a
  // ';' is refused here rather than by the server half-way.
  unload::checked_select(job.unload.select, query_dialect(job.mode));
  aws::AwsContext aws(env, job.region);
  auto check_stop = [&](const std::string& next_step) {
    if (stop.stop_requested()) {
      throw stopped(cause, next_step, job.unload.destination,
                    "the step did not start; nothing was written");
    }
  };

  if (job.via == Via::kDataApi) {
    if (job.dry_run) {
      return report;  // a dry run submits nothing
    }
    if (job.action == Action::kCheck) {
      check_statement(job, aws, *job.statement_id, report, stop, job.wait.value_or(false), cause);
    } else {
      run_via_data_api(job, aws, report, stop, cause);
    }
    return report;
  }

  // Our own ARN is asked of STS at most once per run (assume role's caller, the writer).
  std::string own_arn;
  auto arn_of = [&](const aws::CredentialsProviderPtr& p) {
    if (p != aws.own()) {
      return identity_arn(aws, p);
    }
    if (own_arn.empty()) {
      own_arn = identity_arn(aws, p);
    }
    return own_arn;
  };

  // 1. Where the data is: a conninfo, or a secret read through a role.
  std::string conninfo;
  if (job.source) {
    conninfo = with_overrides(*job.source, job);
  } else {
    aws::CredentialsProviderPtr reader = aws.own();
    if (job.secret_role_arn) {
      check_stop("assume role");
      auto chain = aws.assume(reader, {{.role_arn = *job.secret_role_arn,
                                        .session_name = job.role_session_name,
                                        .external_id = job.external_id.value_or("")}});
      step(report, "assume role", describe_provider(reader), *job.secret_role_arn,
           [&] { chain->get(); });
      report.steps.back().identity = arn_of(reader);  // who assumed it
      reader = chain;
    }
    std::string identity = describe_provider(reader);
    if (auto* chain = dynamic_cast<aws::RoleChainProvider*>(reader.get())) {
      if (!chain->hops().empty()) {
        identity = chain->hops().back().assumed_role_arn;
      }
    }
    check_stop("read secret");
    aws::DatabaseSecret secret = step(report, "read secret", identity, *job.secret_id, [&] {
      aws::SecretValue v = naming_refused_identity(aws, reader, [&] {
        return aws.secrets_manager(reader).get_secret_value({.secret_id = *job.secret_id});
      });
      if (!v.string) {
        throw Error(ErrorKind::kUsage, "read secret", *job.secret_id,
                    "the secret has no SecretString (binary secrets cannot describe a database)")
            .with_hint("store the connection as JSON: host, port, dbname, username, password");
      }
      return aws::parse_database_secret(*v.string, *job.secret_id);
    });
    conninfo = with_overrides(secret_conninfo(secret), job);
  }

  // 2. Connect and find out what we talk to.
  pg::Target target = pg::parse_target(conninfo);
  report.source = target.describe();
  check_stop("connect");
  auto conn = step(report, "connect", target.user, target.describe(),
                   [&] { return std::make_unique<pg::Connection>(target); });
  report.server = conn->server().version;
  bool redshift = conn->server().kind == pg::ServerKind::kRedshift;
  Mode mode = job.mode;
  if (mode == Mode::kAuto) {
    mode = redshift ? Mode::kServer : Mode::kClient;
  }
  report.mode = to_string(mode);
  log::debug("source is {} ({} mode)", redshift ? "Redshift" : "PostgreSQL", report.mode);

  pg::CancelOnStop cancel_on_stop(*conn, stop);

  // What is unloaded: the job's UNLOAD, its query masked when columns are to be masked.
  unload::UnloadSpec spec = job.unload;
  if (masks_columns(job)) {
    std::string salt = mask_salt(job, report);
    check_stop("mask");
    spec.select = step(report, "mask", target.user, mask_detail(job),
                       [&] { return masked_query(job, *conn, salt, report); });
    log::debug("masked query: {}", redact(spec.select));
  }
  // The personal-data guard: in server mode (and in a dry run, which writes nothing) the
  // database checks a sample; in client mode the engine checks every value as it streams.
  if (job.pii.policy != unload::PiiPolicy::kOff && (mode == Mode::kServer || job.dry_run)) {
    check_stop("pii check");
    step(report, "pii check", target.user, fmt::format("sample of {} rows", job.pii.sample_rows),
         [&] { pii_sample_check(job, *conn, spec.select, report); });
  }
  if (job.dry_run) {
    return report;  // read, and wrote nothing
  }
  check_stop("unload");
  aws::CredentialsProviderPtr writer;
  auto write_identity = [&]() -> aws::CredentialsProviderPtr {
    if (!writer) {
      writer = aws.own();
      if (job.write_role_arn) {
        writer = aws.assume(
            writer, {{.role_arn = *job.write_role_arn, .session_name = job.role_session_name}});
      }
    }
    return writer;
  };

  // The catalog's table is decided before anything is written: an output Athena cannot
  // read as declared, or a Glue database that does not exist, writes nothing (exit 2).
  std::optional<TableDefinition> table;
  if (job.catalog) {
    table =
        step(report, "describe for catalog", target.user,
             job.catalog->database + "." + job.catalog->table, [&] {
               return define_table(
                   *job.catalog, spec,
                   conn->describe(unload::checked_select(spec.select, query_dialect(job.mode))));
             });
    if (job.print_ddl) {
      report.ddl = athena_ddl(*table);
      return report;
    }
    auto glue_as = write_identity();
    check_stop("check catalog");
    step(report, "check catalog", describe_provider(glue_as), "database " + table->database, [&] {
      naming_refused_identity(aws, glue_as,
                              [&] { aws.glue(glue_as).get_database(table->database); });
    });
    report.steps.back().identity = arn_of(glue_as);
  }

  // Incremental: the window (watermark, maximum now], announced in the state before the
  // unload so that a run that fails is repeated with the same window and prefix.
  std::optional<IncrementalRun> inc;
  if (job.incremental) {
    const IncrementalConfig& ic = *job.incremental;
    auto state_as = ic.state.starts_with("s3://") ? write_identity() : nullptr;
    auto dest_as = unload::parse_destination(spec.destination).s3 ? write_identity() : nullptr;
    WindowSource source{
        .column_type = [&](const std::string& select,
                           const std::string& column) -> std::optional<WatermarkType> {
          for (const pg::Column& c :
               conn->describe(unload::checked_select(select, query_dialect(mode)))) {
            if (c.name == column) {
              return watermark_type(c.type_oid, column);
            }
          }
          return std::nullopt;
        },
        .max = [&](const std::string& sql) { return conn->query_value(sql, "incremental window"); },
        .begin_snapshot = nullptr};
    if (mode == Mode::kClient) {
      // Read only already (the session's default): one snapshot for the maximum and the COPY.
      source.begin_snapshot = [&] {
        conn->execute("begin isolation level repeatable read", "incremental window");
      };
    }
    check_stop("incremental window");
    inc.emplace(step(report, "incremental window", target.user, ic.state, [&] {
      return naming_refused_identity(aws, state_as ? state_as : dest_as, [&] {
        return begin_window(job, source, aws, state_as, dest_as, spec, report);
      });
    }));
    if (inc->outcome != "unload") {
      return report;  // nothing new, or published by an earlier run (its state now saved)
    }
  }
  check_stop("unload");

  if (mode == Mode::kServer) {
    if (!spec.authorization) {
      throw Error(ErrorKind::kUsage, "configure", "iam_role",
                  "server mode sends UNLOAD to the cluster, which needs IAM_ROLE")
          .with_hint("set iam_role to the role chain the cluster assumes, or mode = \"client\"");
    }
    report.unload_sql = unload::render_redacted(spec);
    std::string sql = unload::render(spec);
    auto reader = write_identity();
    ServerProgress progress(job, spec, aws, reader);
    try {
      step(report, "unload", target.user, spec.destination, [&] { conn->execute(sql, "unload"); });
    } catch (const Error& e) {
      if (!stop.stop_requested()) {
        throw;
      }
      throw stopped(cause, "unload", spec.destination,
                    "the UNLOAD was cancelled on the cluster (" + e.message() + ")");
    }
    std::int64_t n = last_unload_count(*conn);
    if (n >= 0) {
      report.rows = static_cast<std::uint64_t>(n);
    }
    if (stop.stop_requested()) {
      // The cluster wrote before the stop; the job cannot delete what Redshift wrote.
      throw stopped(cause, "verify", spec.destination,
                    "the UNLOAD finished but was not verified; its objects stay under the prefix");
    }
    progress.set_status("verifying");
    step(report, "verify", describe_provider(reader), spec.destination, [&] {
      naming_refused_identity(aws, reader, [&] { verify_objects(spec, aws, reader, report); });
    });
    report.steps.back().identity = arn_of(reader);
    progress.finish(report);
  } else {
    ClientUnloadResult r;
    engine::PiiGuard guard{.settings = job.pii, .masked = masked_columns(report), .findings = {}};
    engine::PiiGuard* pii = job.pii.policy == unload::PiiPolicy::kOff ? nullptr : &guard;
    if (pii) {
      report.pii_checked = "every value";
    }
    // The findings reach the report whether the guard refused the run or not.
    struct KeepFindings {
      engine::PiiGuard& guard;
      Report& report;
      ~KeepFindings() { report.pii_findings = guard.findings; }
    } keep{guard, report};
    // To S3 the objects are written as the write identity (the connect step names the
    // database user); to a folder, by this process as that user.
    auto to_s3_as = unload::parse_destination(spec.destination).s3 ? write_identity() : nullptr;
    try {
      r = step(report, "unload", target.user, spec.destination, [&] {
        return naming_refused_identity(aws, to_s3_as, [&] {
          return client_unload(spec, *conn, aws, to_s3_as, stop, job.empty_result == "schema",
                               cause, pii, job.progress);
        });
      });
      if (to_s3_as) {
        report.steps.back().identity = arn_of(to_s3_as);
      }
    } catch (const Error& e) {
      if (!stop.stop_requested() || e.message().starts_with(cause.what())) {
        throw;
      }
      // What the engine left (its clean-up) travels in the hint: keep it.
      throw stopped(cause, "unload", spec.destination,
                    "the query was cancelled (" + e.message() +
                        (e.hint().empty() ? std::string() : "; " + e.hint()) + ")");
    }
    report.pii_findings = guard.findings;
    warn_pii(report);
    report.rows = r.rows;
    report.bytes = r.bytes;
    report.files = std::move(r.files);
    report.manifest = r.manifest;
  }
  if (inc) {
    // Only after the run published: a failure before this line repeats the same window.
    if (mode == Mode::kClient) {
      conn->execute("commit", "incremental window");
    }
    const bool to_s3 = inc->store.location().starts_with("s3://");
    auto state_as = to_s3 ? write_identity() : nullptr;
    step(report, "save state", to_s3 ? describe_provider(state_as) : std::string("this process"),
         inc->store.location(),
         [&] { naming_refused_identity(aws, state_as, [&] { save_window(*inc); }); });
  }
  if (table) {
    // Only after the run succeeded: its objects are published whatever happens here.
    auto glue_as = write_identity();
    step(report, "register catalog", describe_provider(glue_as),
         table->database + "." + table->table, [&] {
           naming_refused_identity(aws, glue_as,
                                   [&] { register_catalog(*table, aws, glue_as, report); });
         });
    report.steps.back().identity = arn_of(glue_as);
  }
  return report;
}

nlohmann::json to_json(const Report& r) {
  nlohmann::json j;
  j["status"] = r.status;
  j["mode"] = r.mode.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.mode);
  j["source"] = r.source;
  j["server"] = r.server;
  j["destination"] = r.destination;
  j["rows"] = r.rows ? nlohmann::json(*r.rows) : nlohmann::json(nullptr);
  j["bytes"] = r.bytes;
  j["files"] = nlohmann::json::array();
  for (const FileReport& f : r.files) {
    j["files"].push_back({{"url", f.url},
                          {"bytes", f.bytes},
                          {"rows", f.rows ? nlohmann::json(*f.rows) : nlohmann::json(nullptr)}});
  }
  j["manifest"] = r.manifest ? nlohmann::json(*r.manifest) : nlohmann::json(nullptr);
  j["steps"] = nlohmann::json::array();
  for (const StepReport& s : r.steps) {
    j["steps"].push_back({{"name", s.name},
                          {"ms", static_cast<std::int64_t>(std::lround(s.ms))},
                          {"identity", s.identity},
                          {"resource", s.detail}});
  }
  j["unload_sql"] = r.unload_sql ? nlohmann::json(*r.unload_sql) : nlohmann::json(nullptr);
  if (!r.masked.empty()) {
    j["masked"] = nlohmann::json::object();
    for (const auto& [column, rule] : r.masked) {
      j["masked"][column] = rule;
    }
    j["mask_salt"] = r.mask_salt;
    j["mask_digest"] = r.mask_digest;
  }
  if (!r.via.empty()) {
    j["via"] = r.via;
    j["statement_id"] = r.statement_id ? nlohmann::json(*r.statement_id) : nlohmann::json(nullptr);
    j["job_token"] = r.job_token ? nlohmann::json(*r.job_token) : nlohmann::json(nullptr);
  }
  if (!r.pii_policy.empty()) {
    nlohmann::json findings = nlohmann::json::array();
    for (const unload::PiiFinding& f : r.pii_findings) {
      findings.push_back({{"column", f.column},
                          {"detector", f.detector},
                          {"by_name", f.by_name},
                          {"matched", f.matched},
                          {"checked", f.checked},
                          {"share", std::round(f.share * 10000.0) / 10000.0},
                          {"decision", f.decision}});
    }
    j["pii"] = {{"policy", r.pii_policy},
                {"checked",
                 r.pii_checked.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.pii_checked)},
                {"threshold", r.pii_threshold},
                {"findings", findings}};
  }
  if (r.catalog) {
    j["catalog"] = *r.catalog;
  }
  if (r.window) {
    j["window"] = *r.window;
    j["state"] = r.state ? nlohmann::json(*r.state) : nlohmann::json(nullptr);
  }
  if (r.ddl) {
    j["ddl"] = *r.ddl;
  }
  if (r.error) {
    j["error"] = *r.error;
    j["exit_code"] = r.exit_code;
  }
  if (r.left) {
    j["left"] = *r.left;
  }
  // A last line of defence: nothing secret leaves in a report.
  return nlohmann::json::parse(redact(j.dump()));
}

std::string summary(const Report& r) {
  std::string s = fmt::format("{} {} → {}: ", r.mode.empty() ? "unload" : r.mode + " mode",
                              r.source, r.destination);
  s += r.rows ? fmt::format("{} rows, ", *r.rows) : std::string();
  s += fmt::format("{} files, {} bytes", r.files.size(), r.bytes);
  if (r.manifest) {
    s += ", manifest " + *r.manifest;
  }
  if (r.window) {
    s += fmt::format(
        "\n  window {} ({}, {}]: {}", (*r.window)["column"].get<std::string>(),
        (*r.window)["from"].is_string() ? (*r.window)["from"].get<std::string>()
                                        : std::string("start"),
        (*r.window)["to"].is_string() ? (*r.window)["to"].get<std::string>() : std::string("-"),
        (*r.window)["outcome"].get<std::string>());
  }
  for (const StepReport& st : r.steps) {
    s += fmt::format("\n  {:>8.1f} ms  {}", st.ms, st.name);
  }
  return s;
}

bool dry_run_checks_pii(const JobConfig& job) {
  return job.pii.policy != unload::PiiPolicy::kOff && job.via != Via::kDataApi;
}

std::string describe_plan(const JobConfig& job, const aws::Environment& env) {
  std::string out =
      !dry_run_checks_pii(job)
          ? "crossunload run — plan (dry run: nothing is read or written)\n"
          : "crossunload run — plan (dry run: nothing is written; the personal-data check reads "
            "a sample)\n";
  auto own = [&] {
    if (auto p = env.get("AWS_PROFILE")) {
      return "profile " + *p;
    }
    if (env.get("AWS_ACCESS_KEY_ID")) {
      return std::string("environment keys");
    }
    return std::string("default credential chain");
  }();
  int n = 1;
  auto line = [&](const std::string& text) { out += fmt::format("  {}. {}\n", n++, text); };
  std::string reader = own;
  if (job.via == Via::kDataApi) {
    std::string caller = job.secret_role_arn ? *job.secret_role_arn : own;
    if (job.secret_role_arn) {
      line("assume role " + *job.secret_role_arn + " as " + own +
           (job.external_id ? " with the external id" : ""));
    }
    std::string target =
        job.cluster_id ? "cluster " + *job.cluster_id : "workgroup " + *job.workgroup;
    std::string login = job.secret_id ? "secret " + *job.secret_id
                        : job.db_user ? "db user " + *job.db_user + " (temporary credentials)"
                                      : std::string("the caller's IAM identity");
    line("Data API ExecuteStatement on " + target + "/" + job.database.value_or("") + " with " +
         login + " as " + caller + ":\n     " + unload::render_redacted(job.unload));
    line(job.wait.value_or(true)
             ? "follow it with DescribeStatement until it ends, then verify the objects under " +
                   job.unload.destination + " as " +
                   (job.write_role_arn ? *job.write_role_arn : own)
             : std::string("do not wait: print the statement id and the job token for "
                           "`crossunload check`"));
    return out;
  }
  if (job.source) {
    pg::Target t = pg::parse_target(with_overrides(*job.source, job));
    line("connect to " + t.describe() + " as " + t.user);
  } else {
    if (job.secret_role_arn) {
      line("assume role " + *job.secret_role_arn + " as " + own +
           (job.external_id ? " with the external id" : ""));
      reader = *job.secret_role_arn;
    }
    line("read secret " + *job.secret_id + " as " + reader);
    line("connect to the secret's host:port" +
         (job.database ? "/" + *job.database : std::string("/dbname")) + " as its username");
  }
  line("detect the server: Redshift → server mode, PostgreSQL → client mode (mode = " +
       std::string(to_string(job.mode)) + ")");
  std::string writer = job.write_role_arn ? *job.write_role_arn : own;
  if (masks_columns(job)) {
    std::string cols;
    for (const auto& [column, rule] : job.mask) {
      cols += fmt::format("{}{}={}", cols.empty() ? "" : ", ", column, unload::to_string(rule));
    }
    for (const auto& p : job.mask_policy_rules) {
      cols += fmt::format("{}{}={} (mask_policy)", cols.empty() ? "" : ", ", p.pattern,
                          unload::to_string(p.rule));
    }
    bool salted = std::any_of(job.mask.begin(), job.mask.end(),
                              [](const auto& m) { return unload::uses_salt(m.second); }) ||
                  std::any_of(job.mask_policy_rules.begin(), job.mask_policy_rules.end(),
                              [](const auto& p) { return unload::uses_salt(p.rule); });
    line("mask in the database (the query below is wrapped before it runs): " + cols +
         (salted && !job.mask_salt ? "; salt random for this run" : ""));
  }
  if (job.pii.policy != unload::PiiPolicy::kOff) {
    line(fmt::format(
        "personal-data check (pii = {}, flagged at {:g} % of a column's values{}): server mode "
        "and this dry run: the database checks a sample of {} rows and returns counts only; "
        "client mode: every value as it streams, before anything is published",
        keyword_of(unload::kPiiPolicyWords, job.pii.policy), job.pii.threshold * 100.0,
        job.pii.allow.empty() ? std::string()
                              : "; allowed: " + fmt::format("{}", fmt::join(job.pii.allow, ", ")),
        job.pii.sample_rows));
  }
  if (job.catalog) {
    line(
        "before unloading: describe the query (the table's columns and types); check that "
        "Glue database " +
        job.catalog->database + " exists, as " + writer);
  }
  if (job.incremental) {
    const IncrementalConfig& ic = *job.incremental;
    line(fmt::format(
        "incremental: read the watermark of {} from {}{}; take max({}) above it (client mode: in "
        "the COPY's REPEATABLE READ snapshot); save that window as pending; unload only its rows, "
        "into {} with {{from}}/{{to}} filled in; after the publish save the new watermark",
        ic.column, ic.state,
        ic.start ? " (without a state: " + *ic.start + ")"
                 : std::string(" (without a state: every row)"),
        ic.column, job.unload.destination));
  }
  if (job.mode != Mode::kClient && job.unload.authorization) {
    line("server mode: send to the cluster:\n     " + unload::render_redacted(job.unload));
    line("server mode: verify the objects under " + job.unload.destination + " as " + writer);
  }
  if (job.mode != Mode::kServer) {
    line("client mode: COPY (query) TO STDOUT, write " +
         std::string(unload::to_string(job.unload.format)) + " objects under " +
         job.unload.destination +
         (unload::parse_destination(job.unload.destination).s3 ? " as " + writer : std::string()));
    if (job.unload.clean_path) {
      line(clean_path_plan(job.unload));
    }
  }
  if (job.catalog) {
    line("after a successful run only: create or update Glue table " + job.catalog->database + "." +
         job.catalog->table + " (location: the prefix's folder)" +
         (job.unload.partition_by ? (job.catalog->partitions == CatalogPartitions::kRegister
                                         ? ", register each written partition"
                                         : ", partition projection over the written values")
                                  : std::string()) +
         ", as " + writer);
  }
  return out;
}

nlohmann::json handle_event(const nlohmann::json& event, const aws::Environment& env,
                            std::stop_token stop) {
  if (event.is_object() && event.contains("unloads")) {
    JobFile file = parse_json_file(event);
    for (const Values& entry : file.unloads) {
      for (const char* key : {"query_file", "mask_policy"}) {
        if (entry.contains(key) || file.shared.contains(key)) {
          throw Error(ErrorKind::kUsage, "configure", key,
                      fmt::format("{} (a file) is not accepted in a Lambda event", key))
              .with_hint("give the query in `query` or `table`, the masks in `mask`");
        }
      }
    }
    if (!file.shared.contains("progress")) {
      file.shared["progress"] = std::string("json");
    }
    std::vector<Entry> entries = build_entries(file, {}, /*read_files=*/false);
    if (auto dry = file.shared.find("dry_run"); dry != file.shared.end()) {
      if (const auto* b = std::get_if<bool>(&dry->second); b != nullptr && *b) {
        return nlohmann::json{{"status", "dry_run"}, {"plan", describe_plans(entries, env)}};
      }
    }
    return to_json(run_entries(entries, file, env, std::move(stop)), entries);
  }
  Values values = parse_json_value(event);
  if (values.contains("query_file")) {
    // An invoker names no file of the function's: it would read whatever the function can
    // (and its errors would tell which files exist).
    throw Error(ErrorKind::kUsage, "configure", "query_file",
                "query_file is not accepted in a Lambda event")
        .with_hint("give the query itself in `query`");
  }
  if (values.contains("mask_policy")) {
    throw Error(ErrorKind::kUsage, "configure", "mask_policy",
                "mask_policy (a file) is not accepted in a Lambda event")
        .with_hint("give the columns' rules in `mask`");
  }
  if (!values.contains("progress")) {
    // One JSON event per interval on stderr: CloudWatch Logs keeps each as one record.
    values["progress"] = std::string("json");
  }
  JobConfig job = build(values);
  if (job.dry_run) {
    // The plan, as `run --dry-run` prints it: nothing is read, written or deleted.
    nlohmann::json plan = nlohmann::json::array();
    std::string text = describe_plan(job, env);
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      end = end == std::string::npos ? text.size() : end;
      plan.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    nlohmann::json response{
        {"status", "dry_run"}, {"destination", job.unload.destination}, {"plan", plan}};
    if (dry_run_checks_pii(job)) {
      response["pii"] = to_json(run_job(job, env, nullptr, std::move(stop)))["pii"];
    }
    return nlohmann::json::parse(redact(response.dump()));
  }
  return to_json(run_job(job, env, nullptr, std::move(stop)));
}

}  // namespace cu::job
