#include "job/job_steps.h"

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>

#include "aws/role_chain.h"
#include "aws/s3.h"
#include "base/redact.h"
#include "unload/naming.h"
#include "unload/pii.h"

namespace cu::job {

std::string describe_provider(const aws::CredentialsProviderPtr& p) {
  try {
    return p->describe();
  } catch (const std::exception&) {
    return "default credential chain";
  }
}

std::string known_identity(const aws::CredentialsProviderPtr& p) {
  if (auto* chain = dynamic_cast<aws::RoleChainProvider*>(p.get())) {
    if (!chain->hops().empty()) {
      return chain->hops().back().assumed_role_arn;
    }
  }
  return describe_provider(p);
}

std::string identity_arn(aws::AwsContext& aws, const aws::CredentialsProviderPtr& p) {
  std::string id = known_identity(p);
  if (!id.starts_with("arn:")) {
    try {
      id = aws.sts(p).get_caller_identity().arn;
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): keep the description
    }
  }
  return id;
}

DestinationObjects list_destination(const unload::UnloadSpec& spec, aws::S3Client* s3) {
  DestinationObjects out;
  unload::Destination d = unload::parse_destination(spec.destination);
  std::string manifest_key = unload::manifest_name(d.prefix, spec.partition_by.has_value());
  if (!d.s3) {
    namespace fs = std::filesystem;
    auto [dir, name] = std::pair{fs::path(d.prefix).parent_path(), fs::path(d.prefix).filename()};
    if (dir.empty()) {
      dir = ".";
    }
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) {
        continue;
      }
      std::string p = it->path().string();
      std::string rel = fs::relative(it->path(), dir).string();
      if (!rel.starts_with(name.string())) {
        continue;
      }
      if (p == manifest_key || it->path() == fs::path(manifest_key)) {
        out.manifest = p;
        continue;
      }
      out.files.push_back({p, static_cast<std::uint64_t>(it->file_size()), std::nullopt});
    }
  } else if (s3) {
    for (const aws::ObjectInfo& o : s3->list_objects(d.bucket, d.prefix)) {
      if (o.key == manifest_key) {
        out.manifest = unload::object_url(d, o.key);
        continue;
      }
      out.files.push_back({unload::object_url(d, o.key), o.size, std::nullopt});
    }
  }
  return out;
}

ServerProgress::ServerProgress(const JobConfig& job, const unload::UnloadSpec& spec,
                               aws::AwsContext& aws, const aws::CredentialsProviderPtr& reader)
    : spec_(spec) {
  const ProgressMode mode = resolve_mode(job.progress.mode);
  if (mode == ProgressMode::kNone) {
    return;
  }
  if (unload::parse_destination(spec.destination).s3) {
    s3_ = aws.s3(reader, spec.region);
  }
  reporter_ = std::make_unique<ProgressReporter>(
      mode, job.progress.interval.value_or(std::chrono::seconds(1)), [this] { return sample(); });
}

// The reporter stops (its thread joined) before the members it samples go.
ServerProgress::~ServerProgress() { reporter_.reset(); }

void ServerProgress::set_status(const std::string& status) {
  std::lock_guard lock(mu_);
  status_ = status;
}

ProgressSample ServerProgress::sample() {
  DestinationObjects now = list_destination(spec_, s3_.get());
  std::uint64_t bytes = 0;
  for (const FileReport& f : now.files) {
    bytes += f.bytes;
  }
  std::lock_guard lock(mu_);
  return {.status = status_, .rows = std::nullopt, .bytes = bytes, .objects = now.files.size()};
}

void ServerProgress::finish(const Report& report) {
  if (reporter_) {
    reporter_->finish({.status = "done",
                       .rows = report.rows,
                       .bytes = report.bytes,
                       .objects = report.files.size()});
  }
}

void verify_objects(const unload::UnloadSpec& spec, aws::AwsContext& aws,
                    const aws::CredentialsProviderPtr& reader, Report& report) {
  unload::Destination d = unload::parse_destination(spec.destination);
  std::string manifest_key = unload::manifest_name(d.prefix, spec.partition_by.has_value());
  std::unique_ptr<aws::S3Client> s3 = d.s3 ? aws.s3(reader, spec.region) : nullptr;
  DestinationObjects listed = list_destination(spec, s3.get());
  report.files.insert(report.files.end(), listed.files.begin(), listed.files.end());
  if (listed.manifest) {
    report.manifest = std::move(listed.manifest);
  }
  for (const FileReport& f : report.files) {
    report.bytes += f.bytes;
  }
  if (spec.manifest != unload::Manifest::kNone && !report.manifest) {
    throw Error(ErrorKind::kDestination, "verify", unload::object_url(d, manifest_key),
                "UNLOAD finished but its manifest is not there")
        .with_hint("check that the unload role chain may write to the bucket");
  }
  if (report.files.empty() && report.rows.value_or(0) > 0) {
    throw Error(
        ErrorKind::kDestination, "verify", spec.destination,
        fmt::format("UNLOAD reported {} rows but no object is under the prefix", *report.rows))
        .with_hint("check the destination's prefix and the reading identity's s3:ListBucket");
  }
}

std::string mask_salt(const JobConfig& job, Report& report) {
  report.mask_salt = job.mask_salt ? "given" : "random";
  if (job.mask_salt) {
    register_secret(*job.mask_salt);
    return *job.mask_salt;
  }
  std::random_device rd;
  std::string salt;
  for (int i = 0; i < 4; ++i) {
    salt += fmt::format("{:08x}", static_cast<std::uint32_t>(rd()));
  }
  register_secret(salt);
  return salt;
}

unload::MaskDialect mask_dialect(const pg::ServerInfo& server) {
  return server.kind == pg::ServerKind::kRedshift
             ? unload::MaskDialect::redshift_cluster()
             : unload::MaskDialect::postgres(server.version_num);
}

std::string mask_query(const JobConfig& job, const std::string& inner,
                       const std::vector<unload::ResultColumn>& columns, const std::string& salt,
                       const unload::MaskDialect& dialect, Report& report) {
  unload::MaskRules rules = unload::resolve_mask(columns, job.mask, job.mask_policy_rules);
  if (rules.empty()) {
    log::info("mask_policy matches no column of the query's result; nothing is masked");
    return inner;
  }
  std::string sql = unload::mask_select(inner, columns, rules, salt, dialect);
  for (const auto& c : columns) {
    if (auto it = rules.find(c.name); it != rules.end()) {
      report.masked.emplace_back(c.name, unload::to_string(it->second));
    }
  }
  report.mask_digest = std::string(unload::digest_name(dialect));
  return sql;
}

Error stopped(const StopCause& cause, const std::string& step, const std::string& resource,
              const std::string& what) {
  return Error(ErrorKind::kOther, step, resource, cause.what() + ": " + what).with_hint(cause.hint);
}

std::set<std::string> masked_columns(const Report& report) {
  std::set<std::string> out;
  for (const auto& [column, rule] : report.masked) {
    out.insert(column);
  }
  return out;
}

void warn_pii(const Report& report) {
  for (const unload::PiiFinding& f : report.pii_findings) {
    if (f.decision != "refused") {
      log::warn("personal data: {}", unload::describe(f));
    }
  }
}

void check_pii_sample(
    const JobConfig& job, const std::string& select, const std::vector<unload::PiiColumn>& columns,
    const std::function<std::vector<std::optional<std::string>>(const std::string&)>& run_sample,
    Report& report) {
  unload::PiiScan scan(columns, job.pii);
  report.pii_checked = fmt::format("a sample of {} rows in the database", job.pii.sample_rows);
  if (std::string sql = unload::sample_sql(select, scan); !sql.empty()) {
    log::debug("pii check: one aggregate query over at most {} rows", job.pii.sample_rows);
    unload::read_sample_counts(scan, run_sample(sql));
  }
  report.pii_findings = scan.findings(masked_columns(report));
  warn_pii(report);
  unload::refuse_if_flagged(report.pii_findings, job.unload.destination);
}

}  // namespace cu::job
