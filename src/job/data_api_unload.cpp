#include "job/data_api_unload.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "aws/endpoints.h"
#include "aws/redshift_data.h"
#include "aws/sigv4.h"
#include "base/error.h"
#include "base/log.h"
#include "base/redact.h"
#include "base/strings.h"
#include "job/incremental_run.h"
#include "job/job_steps.h"
#include "unload/mask.h"
#include "unload/naming.h"
#include "unload/query_check.h"
#include "unload/render.h"

namespace cu::job {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string target_of(const JobConfig& job) {
  return job.cluster_id ? "cluster " + *job.cluster_id : "workgroup " + *job.workgroup;
}

// Who calls the Data API: the PROD role (secret_role_arn with external_id) assumed from our
// own identity, as the connection path assumes it to read the secret; else our own.
aws::CredentialsProviderPtr data_api_caller(const JobConfig& job, aws::AwsContext& aws,
                                            Report& report) {
  aws::CredentialsProviderPtr caller = aws.own();
  if (job.secret_role_arn) {
    auto chain = aws.assume(caller, {{.role_arn = *job.secret_role_arn,
                                      .session_name = job.role_session_name,
                                      .external_id = job.external_id.value_or("")}});
    step(report, "assume role", describe_provider(caller), *job.secret_role_arn,
         [&] { chain->get(); });
    report.steps.back().identity = identity_arn(aws, caller);
    caller = chain;
  }
  return caller;
}

aws::RedshiftDataClient data_api_client(aws::AwsContext& aws, aws::CredentialsProviderPtr caller) {
  aws::SharedConfig config = aws::SharedConfig::load(aws.env());
  aws::ResolvedEndpoint e = aws::resolve_endpoint("redshift-data", aws.region(), aws.env(), config);
  return aws::RedshiftDataClient(
      aws::redshift_data_endpoint(aws.region(), e.configured ? e.url : ""), std::move(caller));
}

aws::ExecuteStatementRequest statement_request(const JobConfig& job, std::string sql) {
  aws::ExecuteStatementRequest r;
  r.sql = std::move(sql);
  r.cluster_identifier = job.cluster_id.value_or("");
  r.workgroup_name = job.workgroup.value_or("");
  r.database = job.database.value_or("");
  r.db_user = job.db_user.value_or("");
  r.secret_arn = job.secret_id.value_or("");
  r.statement_name = job.role_session_name;
  return r;
}

// Sleeps `d`, or less when `stop` is requested.
void sleep_unless_stopped(std::chrono::milliseconds d, const std::stop_token& stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
}

// Follows statement `id` until it ends (or once, when !wait): capped exponential backoff,
// a progress line whenever the status changes and every 30 s (and each status to `progress`,
// when given). A stop cancels it.
aws::StatementDescription follow(const aws::RedshiftDataClient& rd, const std::string& id,
                                 const std::stop_token& stop, bool wait, const StopCause& cause,
                                 ServerProgress* progress = nullptr) {
  auto start = SteadyClock::now();
  auto delay = std::chrono::milliseconds(200);
  constexpr auto kMaxDelay = std::chrono::milliseconds(5000);
  std::string last;
  auto last_line = start;
  for (;;) {
    aws::StatementDescription d = rd.describe_statement(id);
    if (progress) {
      progress->set_status(d.status);
    }
    double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
    if (d.status != last || SteadyClock::now() - last_line > std::chrono::seconds(30)) {
      log::info("statement {}: {} ({:.1f} s)", id, d.status, elapsed);
      last = d.status;
      last_line = SteadyClock::now();
    }
    if (aws::is_final_status(d.status) || !wait) {
      return d;
    }
    if (stop.stop_requested()) {
      log::info("statement {}: stopping, CancelStatement", id);
      try {
        rd.cancel_statement(id);
      } catch (const Error& e) {
        log::warn("statement {}: CancelStatement failed: {}", id, e.what());
      }
      // A few seconds for the cluster to say so; the run ends either way.
      for (int i = 0; i < 10; ++i) {
        d = rd.describe_statement(id);
        if (aws::is_final_status(d.status)) {
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
      }
      throw stopped(
          cause, "wait", id,
          fmt::format("the statement was cancelled (CancelStatement); it is {}", d.status));
    }
    sleep_unless_stopped(delay, stop);
    delay = std::min(kMaxDelay, delay * 8 / 5);
  }
}

// The query's columns, read through the Data API (a `limit 0` of it), as the masking
// rewrite needs them: name and a SQL type to cast NULL to.
std::vector<unload::ResultColumn> describe_columns(const aws::RedshiftDataClient& rd,
                                                   const JobConfig& job, const std::string& inner,
                                                   const std::stop_token& stop,
                                                   const StopCause& cause) {
  std::string id = rd.execute_statement(
      statement_request(job, "select * from (" + inner + ") as crossunload_q limit 0"));
  aws::StatementDescription d = follow(rd, id, stop, true, cause);
  if (d.status != "FINISHED") {
    throw Error(ErrorKind::kSource, "mask", target_of(job),
                fmt::format("describing the query's columns failed: {}",
                            d.error.empty() ? d.status : d.error));
  }
  nlohmann::json r = rd.get_statement_result(id);
  std::vector<unload::ResultColumn> cols;
  for (const auto& c : r.value("ColumnMetadata", nlohmann::json::array())) {
    std::string type = c.value("typeName", "");
    int length = c.value("length", 0), precision = c.value("precision", 0),
        scale = c.value("scale", 0);
    if (type == "varchar" && length > 0) {
      type = fmt::format("character varying({})", length);
    } else if (type == "bpchar" && length > 0) {
      type = fmt::format("character({})", length);
    } else if (type == "numeric" && precision > 0) {
      type = fmt::format("numeric({},{})", precision, scale);
    }
    cols.push_back({c.value("name", ""), type});
  }
  return cols;
}

// The personal-data guard through the Data API: the columns of the (masked) query as the
// Data API names their types (pg_type's names: varchar, bpchar, text, json, …), and the
// one aggregate query over a sample as a statement whose one record holds the counts.
void data_api_pii_check(const aws::RedshiftDataClient& rd, const JobConfig& job,
                        const std::string& select, Report& report, const std::stop_token& stop,
                        const StopCause& cause) {
  const std::set<std::string> masked = masked_columns(report);
  std::vector<unload::PiiColumn> columns;
  for (const unload::ResultColumn& c : describe_columns(rd, job, select, stop, cause)) {
    std::string type = lower(c.type);
    bool json = type == "json" || type == "jsonb";
    bool text = type.starts_with("varchar") || type.starts_with("character") ||
                type.starts_with("bpchar") || type == "text" || type == "name" || type == "char";
    columns.push_back({c.name, (text || json) && !masked.contains(c.name), json});
  }
  check_pii_sample(
      job, select, columns,
      [&](const std::string& sql) {
        std::string id = rd.execute_statement(statement_request(job, sql));
        aws::StatementDescription d = follow(rd, id, stop, true, cause);
        if (d.status != "FINISHED") {
          throw Error(
              ErrorKind::kSource, "pii check", target_of(job),
              fmt::format("the check's query failed: {}", d.error.empty() ? d.status : d.error));
        }
        nlohmann::json r = rd.get_statement_result(id);
        std::vector<std::optional<std::string>> row;
        const nlohmann::json& records = r.value("Records", nlohmann::json::array());
        if (records.empty()) {
          return row;
        }
        for (const auto& field : records.at(0)) {
          if (field.value("isNull", false)) {
            row.emplace_back(std::nullopt);
          } else if (field.contains("longValue")) {
            row.emplace_back(std::to_string(field["longValue"].get<std::int64_t>()));
          } else {
            row.emplace_back(field.value("stringValue", ""));
          }
        }
        return row;
      },
      report);
}

// The one value of a statement of one row and column (the incremental window's maximum);
// nullopt for NULL or no row.
std::optional<std::string> data_api_value(const aws::RedshiftDataClient& rd, const JobConfig& job,
                                          const std::string& sql, const std::stop_token& stop,
                                          const StopCause& cause) {
  std::string id = rd.execute_statement(statement_request(job, sql));
  aws::StatementDescription d = follow(rd, id, stop, true, cause);
  if (d.status != "FINISHED") {
    throw Error(
        ErrorKind::kSource, "incremental window", target_of(job),
        fmt::format("the maximum's query failed: {}", d.error.empty() ? d.status : d.error));
  }
  nlohmann::json r = rd.get_statement_result(id);
  const nlohmann::json& records = r.value("Records", nlohmann::json::array());
  if (records.empty() || records.at(0).empty() || records.at(0).at(0).value("isNull", false)) {
    return std::nullopt;
  }
  const nlohmann::json& field = records.at(0).at(0);
  if (field.contains("longValue")) {
    return std::to_string(field["longValue"].get<std::int64_t>());
  }
  return field.value("stringValue", "");
}

std::string digest_of(const JobConfig& job) {
  return aws::sha256_hex(fmt::format("{}\n{}\n{}", target_of(job), job.database.value_or(""),
                                     job.unload.destination))
      .substr(0, 12);
}

// What `crossunload check` needs to finish the job's work once the statement has ended.
// The identity that writes (and here reads) the destination: write_role_arn assumed, or our own.
aws::CredentialsProviderPtr writer_of(const JobConfig& job, aws::AwsContext& aws) {
  aws::CredentialsProviderPtr writer = aws.own();
  if (job.write_role_arn) {
    writer = aws.assume(writer,
                        {{.role_arn = *job.write_role_arn, .session_name = job.role_session_name}});
  }
  return writer;
}

// `spec` is the job's UNLOAD, or an incremental run's (its window's prefix); `reader` the
// identity that verifies (writer_of()).
void finish(const JobConfig& job, const unload::UnloadSpec& spec, aws::AwsContext& aws,
            const aws::StatementDescription& d, Report& report,
            const aws::CredentialsProviderPtr& reader, ServerProgress* progress = nullptr) {
  const std::string where = target_of(job) + "/" + job.database.value_or("");
  if (d.status == "FAILED") {
    throw Error(ErrorKind::kSource, "unload", where, "Redshift: " + d.error)
        .with_hint(fmt::format("statement {} failed on the cluster; nothing was verified", d.id));
  }
  if (d.status == "ABORTED") {
    throw Error(
        ErrorKind::kOther, "unload", where,
        fmt::format("statement {} was aborted (CancelStatement, or the cluster ended it)", d.id))
        .with_hint("run the job again; the cluster removes what an aborted UNLOAD wrote");
  }
  if (d.result_rows >= 0) {
    report.rows = static_cast<std::uint64_t>(d.result_rows);
  }
  if (progress) {
    progress->set_status("verifying");
  }
  step(report, "verify", describe_provider(reader), spec.destination, [&] {
    naming_refused_identity(aws, reader, [&] { verify_objects(spec, aws, reader, report); });
  });
  report.steps.back().identity = identity_arn(aws, reader);
  if (progress) {
    progress->finish(report);
  }
}

void start_report(const JobConfig& job, Report& report) {
  report.mode = "server";
  report.via = "data-api";
  report.source = fmt::format("{}/{} (Data API)", target_of(job), job.database.value_or(""));
}

}  // namespace

std::string job_token(const JobConfig& job, const std::string& statement_id) {
  return statement_id + "." + digest_of(job);
}

std::string parse_job_token(const JobConfig& job, const std::string& token) {
  auto dot = token.rfind('.');
  if (dot == std::string::npos) {
    return token;
  }
  if (token.substr(dot + 1) != digest_of(job)) {
    throw Error(ErrorKind::kUsage, "check", token,
                "this job token belongs to another job (another cluster, database or "
                "destination than this job file's)")
        .with_hint("check with the job file the statement was submitted with");
  }
  return token.substr(0, dot);
}

void run_via_data_api(const JobConfig& job, aws::AwsContext& aws, Report& report,
                      std::stop_token stop, const StopCause& cause) {
  start_report(job, report);
  const std::string where = target_of(job) + "/" + job.database.value_or("");
  aws::CredentialsProviderPtr caller = data_api_caller(job, aws, report);
  aws::RedshiftDataClient rd = data_api_client(aws, caller);
  const std::string caller_id = known_identity(caller);

  unload::UnloadSpec spec = job.unload;
  if (masks_columns(job)) {
    std::string salt = mask_salt(job, report);
    spec.select = step(report, "mask", caller_id, mask_detail(job), [&] {
      // The Data API runs the query on Redshift: read as Redshift reads it.
      std::string inner =
          unload::checked_select(job.unload.select, unload::sql::Dialect::kRedshift);
      auto columns = naming_refused_identity(
          aws, caller, [&] { return describe_columns(rd, job, inner, stop, cause); });
      return mask_query(job, inner, columns, salt, unload::MaskDialect::redshift_cluster(), report);
    });
  }
  if (job.pii.policy != unload::PiiPolicy::kOff && job.action != Action::kCheck) {
    step(report, "pii check", caller_id, fmt::format("sample of {} rows", job.pii.sample_rows),
         [&] {
           naming_refused_identity(
               aws, caller, [&] { data_api_pii_check(rd, job, spec.select, report, stop, cause); });
         });
  }
  // Incremental: the maximum as a statement of its own, then the UNLOAD bounded by literals.
  std::optional<IncrementalRun> inc;
  if (job.incremental) {
    auto writer = writer_of(job, aws);
    auto state_as = job.incremental->state.starts_with("s3://") ? writer : nullptr;
    auto dest_as = unload::parse_destination(spec.destination).s3 ? writer : nullptr;
    WindowSource source{
        .column_type = [&](const std::string& select,
                           const std::string& column) -> std::optional<WatermarkType> {
          for (const unload::ResultColumn& c : naming_refused_identity(
                   aws, caller, [&] { return describe_columns(rd, job, select, stop, cause); })) {
            if (c.name == column) {
              return watermark_type(c.type, column);
            }
          }
          return std::nullopt;
        },
        .max =
            [&](const std::string& sql) {
              return naming_refused_identity(
                  aws, caller, [&] { return data_api_value(rd, job, sql, stop, cause); });
            },
        .begin_snapshot = nullptr};
    inc.emplace(step(report, "incremental window", caller_id, job.incremental->state, [&] {
      return naming_refused_identity(aws, state_as ? state_as : dest_as, [&] {
        return begin_window(job, source, aws, state_as, dest_as, spec, report);
      });
    }));
    if (inc->outcome != "unload") {
      return;
    }
  }
  if (stop.stop_requested()) {
    throw stopped(cause, "submit statement", where, "the step did not start; nothing was written");
  }
  report.unload_sql = unload::render_redacted(spec);
  aws::ExecuteStatementRequest req = statement_request(job, unload::render(spec));
  std::string id = step(report, "submit statement", caller_id, where, [&] {
    return naming_refused_identity(aws, caller, [&] { return rd.execute_statement(req); });
  });
  report.statement_id = id;
  report.job_token = job_token(job, id);
  log::info("statement {} submitted to {} (job token {})", id, where, *report.job_token);
  if (!job.wait.value_or(true)) {
    report.status = "submitted";
    return;
  }
  aws::CredentialsProviderPtr reader = writer_of(job, aws);
  ServerProgress progress(job, spec, aws, reader);
  progress.set_status("SUBMITTED");
  aws::StatementDescription d = step(report, "wait", caller_id, id, [&] {
    return naming_refused_identity(aws, caller,
                                   [&] { return follow(rd, id, stop, true, cause, &progress); });
  });
  finish(job, spec, aws, d, report, reader, &progress);
  if (inc) {
    // Only after the objects were verified: a failure before this line repeats the window.
    const bool to_s3 = inc->store.location().starts_with("s3://");
    auto state_as = to_s3 ? reader : nullptr;
    step(report, "save state", to_s3 ? describe_provider(state_as) : std::string("this process"),
         inc->store.location(),
         [&] { naming_refused_identity(aws, state_as, [&] { save_window(*inc); }); });
  }
}

void check_statement(const JobConfig& job, aws::AwsContext& aws, const std::string& statement_id,
                     Report& report, std::stop_token stop, bool wait, const StopCause& cause) {
  start_report(job, report);
  std::string id = parse_job_token(job, statement_id);
  report.statement_id = id;
  report.job_token = job_token(job, id);
  aws::CredentialsProviderPtr caller = data_api_caller(job, aws, report);
  aws::RedshiftDataClient rd = data_api_client(aws, caller);
  const std::string caller_id = known_identity(caller);
  aws::CredentialsProviderPtr reader = writer_of(job, aws);
  // Waiting, the statement's progress shows as a run's does; one look shows none.
  std::optional<ServerProgress> progress;
  if (wait) {
    progress.emplace(job, job.unload, aws, reader);
  }
  ServerProgress* shown = progress ? &*progress : nullptr;
  aws::StatementDescription d =
      step(report, wait ? "wait" : "describe statement", caller_id, id, [&] {
        return naming_refused_identity(aws, caller,
                                       [&] { return follow(rd, id, stop, wait, cause, shown); });
      });
  // Only this job's statement: same cluster or workgroup, database, and destination.
  bool same_target =
      job.cluster_id ? d.cluster_identifier == *job.cluster_id : d.workgroup_name == *job.workgroup;
  if (!same_target || d.database != job.database.value_or("") ||
      d.query_string.find(job.unload.destination) == std::string::npos) {
    throw Error(ErrorKind::kUsage, "check", id,
                fmt::format("statement {} is not this job's: it ran on {}{}/{} and is not its "
                            "UNLOAD to {}",
                            id, d.cluster_identifier.empty() ? "workgroup " : "cluster ",
                            d.cluster_identifier.empty() ? d.workgroup_name : d.cluster_identifier,
                            d.database, job.unload.destination))
        .with_hint("check with the job file the statement was submitted with");
  }
  report.unload_sql = redact(d.query_string);
  if (!aws::is_final_status(d.status)) {
    report.status = "running";
    return;
  }
  finish(job, job.unload, aws, d, report, reader, shown);
}

}  // namespace cu::job
