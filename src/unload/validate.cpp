#include "unload/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "aws/names.h"
#include "base/error.h"
#include "unload/naming.h"
#include "unload/sql_text.h"

namespace cu::unload {

namespace {

constexpr const char* kStep = "validate UNLOAD";

[[noreturn]] void reject(const std::string& options, const std::string& message,
                         const std::string& hint = "") {
  Error e(ErrorKind::kUsage, kStep, options, message);
  if (!hint.empty()) {
    e.with_hint(hint);
  }
  throw e;
}

void not_with(bool a, const char* a_name, bool b, const char* b_name) {
  if (a && b) {
    reject(fmt::format("{} {}", a_name, b_name),
           fmt::format("{} cannot be used with {}", a_name, b_name));
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool has_space(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

const char* format_keyword(Format f) {
  switch (f) {
    case Format::kText:
      return "TEXT";
    case Format::kCsv:
      return "CSV";
    case Format::kJson:
      return "JSON";
    case Format::kParquet:
      return "PARQUET";
  }
  return "?";
}

const char* upper_name(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "";
    case Compression::kGzip:
      return "GZIP";
    case Compression::kBzip2:
      return "BZIP2";
    case Compression::kZstd:
      return "ZSTD";
  }
  return "?";
}

void check_destination(const std::string& to, bool for_redshift) {
  if (to.empty()) {
    reject("TO", "the destination is empty");
  }
  size_t scheme = to.find("://");
  if (scheme != std::string::npos && lower(to.substr(0, scheme)) == "s3") {
    std::string rest = to.substr(scheme + 3);
    std::string bucket = rest.substr(0, rest.find('/'));
    if (bucket.empty()) {
      reject("TO", fmt::format("'{}' has no bucket", to), "write s3://bucket/prefix");
    }
    if (bucket.size() < 3 || bucket.size() > 63 || has_space(bucket) ||
        bucket.find_first_of("\\'\"?#%") != std::string::npos) {
      reject("TO", fmt::format("'{}' is not a valid S3 bucket name", bucket));
    }
    if (bucket.size() > 8 && bucket.ends_with("-s3alias")) {
      reject("TO", "S3 access point aliases are not supported as the UNLOAD destination");
    }
    parse_destination(to);  // the key prefix's segments
    return;
  }
  if (for_redshift) {
    reject("TO", fmt::format("'{}' is not an s3:// URL", to),
           "Redshift unloads only to s3://bucket/prefix");
  }
  if (scheme != std::string::npos) {
    reject("TO", fmt::format("'{}': unsupported scheme; use s3://bucket/prefix or a path", to));
  }
}

void check_role_chain(const std::vector<std::string>& arns, const char* option) {
  if (arns.empty() || (arns.size() == 1 && arns[0].empty())) {
    reject(option, "the IAM role is empty");
  }
  if (arns.size() > kMaxRoleChain) {
    reject(option, fmt::format("the role chain has {} roles; at most {} roles can be chained",
                               arns.size(), kMaxRoleChain));
  }
  for (size_t i = 0; i < arns.size(); ++i) {
    if (has_space(arns[i])) {
      reject(option, "the role chain must not contain spaces",
             "write 'arn:aws:iam::111111111111:role/A,arn:aws:iam::222222222222:role/B'");
    }
    if (!aws::is_role_arn(arns[i])) {
      // Inside CREDENTIALS, which holds secrets, values are named by their place only.
      std::string which = std::string_view(option) == "CREDENTIALS"
                              ? fmt::format("role {} of aws_iam_role", i + 1)
                              : fmt::format("'{}'", arns[i]);
      reject(option, which + " is not an IAM role ARN",
             "expected arn:<partition>:iam::<12-digit account>:role/<name>");
    }
  }
}

// Returns whether the credentials carry master_symmetric_key. Values are never quoted.
bool check_credentials(const Credentials& c) {
  for (const auto* v :
       {&c.aws_access_key_id, &c.aws_secret_access_key, &c.token, &c.master_symmetric_key}) {
    if (*v && has_space(**v)) {
      reject("CREDENTIALS", "the CREDENTIALS string must not contain spaces");
    }
  }
  const bool role = c.aws_iam_role.has_value();
  const bool id = c.aws_access_key_id.has_value(), secret = c.aws_secret_access_key.has_value();
  if (role) {
    check_role_chain(c.aws_iam_role->arns, "CREDENTIALS");
  }
  if (role && (id || secret || c.token)) {
    reject("CREDENTIALS", "aws_iam_role cannot be combined with access keys or a token");
  }
  if (!role && !(id && secret)) {
    reject("CREDENTIALS",
           "CREDENTIALS needs aws_iam_role, or both aws_access_key_id and aws_secret_access_key");
  }
  if (!role && (c.aws_access_key_id->empty() || c.aws_secret_access_key->empty())) {
    reject("CREDENTIALS", "aws_access_key_id and aws_secret_access_key must not be empty");
  }
  return c.master_symmetric_key.has_value();
}

void check_size(const std::optional<std::uint64_t>& v, const char* option, std::uint64_t lo,
                std::uint64_t hi, const char* range) {
  if (v && (*v < lo || *v > hi)) {
    reject(option, fmt::format("{} {} is out of range; it must be between {}", option,
                               format_size(*v), range));
  }
}

}  // namespace

void validate(const UnloadSpec& s, const ValidateOptions& options) {
  check_unload_select(s.select, options.query_dialect);
  check_destination(s.destination, options.for_redshift);

  bool creds_master_key = false;
  bool credentials = false;
  if (!s.authorization) {
    if (options.for_redshift) {
      reject("IAM_ROLE", "UNLOAD needs an authorization",
             "IAM_ROLE 'arn:…' (or a chain 'arnA,arnB'), IAM_ROLE default, ACCESS_KEY_ID and "
             "SECRET_ACCESS_KEY, or CREDENTIALS");
    }
  } else if (const auto* chain = std::get_if<IamRoleChain>(&*s.authorization)) {
    check_role_chain(chain->arns, "IAM_ROLE");
  } else if (const auto* keys = std::get_if<AccessKeys>(&*s.authorization)) {
    if (keys->access_key_id.empty() || keys->secret_access_key.empty()) {
      reject("ACCESS_KEY_ID SECRET_ACCESS_KEY", "the access key id and secret must not be empty");
    }
    if (keys->session_token && keys->session_token->empty()) {
      reject("SESSION_TOKEN", "the session token is empty");
    }
  } else if (const auto* cred = std::get_if<Credentials>(&*s.authorization)) {
    credentials = true;
    creds_master_key = check_credentials(*cred);
  }

  const bool csv = s.format == Format::kCsv, json = s.format == Format::kJson,
             parquet = s.format == Format::kParquet;
  const bool fixed = s.fixedwidth.has_value();
  const char* fmt_kw = format_keyword(s.format);

  // Format-only options (spec §1.3, §1.4).
  for (auto [given, name] :
       {std::pair{s.delimiter.has_value(), "DELIMITER"}, std::pair{fixed, "FIXEDWIDTH"},
        std::pair{s.header, "HEADER"}, std::pair{s.addquotes, "ADDQUOTES"},
        std::pair{s.null_as.has_value(), "NULL AS"}, std::pair{s.escape, "ESCAPE"}}) {
    if (!given) {
      continue;
    }
    bool allowed_csv = std::string_view(name) != "FIXEDWIDTH" &&
                       std::string_view(name) != "ADDQUOTES" && std::string_view(name) != "ESCAPE";
    if (json || parquet || (csv && !allowed_csv)) {
      not_with(true, name, true, fmt_kw);
    }
  }
  not_with(s.compression != Compression::kNone, upper_name(s.compression), parquet, "PARQUET");
  not_with(fixed, "FIXEDWIDTH", s.delimiter.has_value(), "DELIMITER");
  not_with(fixed, "FIXEDWIDTH", s.header, "HEADER");
  not_with(fixed, "FIXEDWIDTH", s.addquotes, "ADDQUOTES");
  if (s.row_group_size && !parquet) {
    reject("ROWGROUPSIZE", "ROWGROUPSIZE can only be used with FORMAT AS PARQUET");
  }
  check_size(s.row_group_size, "ROWGROUPSIZE", kMinRowGroupSize, kMaxRowGroupSize,
             "32 MB and 128 MB");
  check_size(s.max_file_size, "MAXFILESIZE", kMinMaxFileSize, kMaxMaxFileSize, "5 MB and 6.2 GB");

  if (s.delimiter &&
      (s.delimiter->size() != 1 || static_cast<unsigned char>((*s.delimiter)[0]) >= 0x80)) {
    reject("DELIMITER",
           fmt::format("DELIMITER must be a single ASCII character, not '{}'", *s.delimiter));
  }
  if (fixed) {
    if (s.fixedwidth->empty()) {
      reject("FIXEDWIDTH", "FIXEDWIDTH needs a column");
    }
    for (const FixedWidthColumn& c : *s.fixedwidth) {
      if (c.column.empty() || c.width == 0) {
        reject("FIXEDWIDTH", fmt::format("FIXEDWIDTH '{}' is not col:width with a positive width",
                                         fixedwidth_text(*s.fixedwidth)));
      }
    }
  }

  // Overwrite policy.
  not_with(s.clean_path, "CLEANPATH", s.allow_overwrite, "ALLOWOVERWRITE");

  // Encryption (spec §1.5).
  const bool auto_enc = s.encrypted == Encryption::kAuto;
  not_with(auto_enc, "ENCRYPTED AUTO", s.kms_key_id.has_value(), "KMS_KEY_ID");
  not_with(auto_enc, "ENCRYPTED AUTO", s.master_symmetric_key.has_value(), "MASTER_SYMMETRIC_KEY");
  if (auto_enc && creds_master_key) {
    reject("ENCRYPTED AUTO CREDENTIALS",
           "ENCRYPTED AUTO cannot be used with a CREDENTIALS string carrying master_symmetric_key");
  }
  if (s.kms_key_id && s.encrypted == Encryption::kNone) {
    reject("KMS_KEY_ID", "KMS_KEY_ID requires ENCRYPTED");
  }
  if (s.master_symmetric_key && s.encrypted == Encryption::kNone) {
    reject("MASTER_SYMMETRIC_KEY", "MASTER_SYMMETRIC_KEY requires ENCRYPTED");
  }
  not_with(s.kms_key_id.has_value(), "KMS_KEY_ID", credentials, "CREDENTIALS");
  not_with(s.master_symmetric_key.has_value(), "MASTER_SYMMETRIC_KEY", credentials, "CREDENTIALS");
  not_with(s.kms_key_id.has_value(), "KMS_KEY_ID", s.master_symmetric_key.has_value(),
           "MASTER_SYMMETRIC_KEY");
  if (s.kms_key_id && s.kms_key_id->empty()) {
    reject("KMS_KEY_ID", "KMS_KEY_ID is empty");
  }

  // PARTITION BY rules that need no schema.
  if (s.partition_by) {
    if (s.partition_by->columns.empty()) {
      reject("PARTITION BY", "PARTITION BY needs a column");
    }
    std::set<std::string> seen;
    for (const auto& c : s.partition_by->columns) {
      if (c.empty()) {
        reject("PARTITION BY", "a PARTITION BY column name is empty");
      }
      if (!seen.insert(c).second) {
        reject("PARTITION BY", fmt::format("column \"{}\" appears twice in PARTITION BY", c));
      }
    }
  }

  if (s.region) {
    if (!aws::is_region(*s.region)) {
      reject("REGION", fmt::format("'{}' is not an AWS region name", *s.region),
             "e.g. REGION 'us-east-1'");
    }
  }
}

namespace {

std::string base_type(std::string_view type) {
  std::string t = lower(type);
  size_t paren = t.find('(');
  if (paren != std::string::npos) {
    size_t close = t.find(')', paren);
    t = t.substr(0, paren) + (close == std::string::npos ? "" : t.substr(close + 1));
  }
  while (!t.empty() && t.back() == ' ') {
    t.pop_back();
  }
  while (!t.empty() && t.front() == ' ') {
    t.erase(0, 1);
  }
  std::string out;
  for (char c : t) {
    if (c != ' ' || (!out.empty() && out.back() != ' ')) {
      out += c;
    }
  }
  return out;
}

bool is_partition_key_type(const std::string& t) {
  static const std::set<std::string> ok = {"smallint",
                                           "int2",
                                           "integer",
                                           "int",
                                           "int4",
                                           "bigint",
                                           "int8",
                                           "decimal",
                                           "numeric",
                                           "real",
                                           "float4",
                                           "boolean",
                                           "bool",
                                           "char",
                                           "character",
                                           "bpchar",
                                           "nchar",
                                           "varchar",
                                           "character varying",
                                           "nvarchar",
                                           "text",
                                           "date",
                                           "timestamp",
                                           "timestamp without time zone"};
  return ok.count(t) > 0;
}

}  // namespace

void validate_partition_columns(const UnloadSpec& s, const std::vector<ResultColumn>& columns) {
  if (!s.partition_by) {
    return;
  }
  for (const auto& p : s.partition_by->columns) {
    auto it = std::find_if(columns.begin(), columns.end(),
                           [&p](const ResultColumn& c) { return c.name == p; });
    if (it == columns.end()) {
      reject("PARTITION BY", fmt::format("partition column \"{}\" is not in the query result", p));
    }
    if (!is_partition_key_type(base_type(it->type))) {
      reject("PARTITION BY",
             fmt::format("partition column \"{}\" has type {}, which cannot be a partition key", p,
                         it->type),
             "partition keys may be SMALLINT, INTEGER, BIGINT, DECIMAL, REAL, BOOLEAN, CHAR, "
             "VARCHAR, DATE or TIMESTAMP");
    }
  }
  std::set<std::string> parts(s.partition_by->columns.begin(), s.partition_by->columns.end());
  bool other = std::any_of(columns.begin(), columns.end(),
                           [&parts](const ResultColumn& c) { return !parts.count(c.name); });
  if (!other) {
    reject("PARTITION BY", "at least one column of the result must not be a partition column");
  }
}

void validate_columns(const UnloadSpec& s, const std::vector<ResultColumn>& columns) {
  std::set<std::string> names;
  for (const auto& c : columns) {
    names.insert(c.name);
  }
  validate_partition_columns(s, columns);

  if (s.format == Format::kJson && names.size() != columns.size()) {
    reject("JSON", "JSON keys must be unique: the query result has duplicate column names");
  }

  if (s.fixedwidth) {
    for (const auto& f : *s.fixedwidth) {
      bool index = f.column.find_first_not_of("0123456789") == std::string::npos;
      bool known = index ? f.column.size() < 10 && std::stoul(f.column) < columns.size()
                         : names.count(f.column) > 0;
      if (!known) {
        reject("FIXEDWIDTH",
               fmt::format("FIXEDWIDTH names column '{}', which is not in the query result",
                           f.column));
      }
    }
  }

  if (s.format == Format::kText || s.format == Format::kCsv) {
    return;
  }
  for (const auto& c : columns) {
    std::string t = base_type(c.type);
    // Wording of the first two quoted from Redshift by Trino (spec §1.4).
    if (t == "time" || t == "time without time zone") {
      if (s.format == Format::kParquet) {
        reject(c.name, fmt::format("UNLOAD time without time zone column \"{}\" is only "
                                   "supported for TEXT/CSV.",
                                   c.name));
      }
    } else if (t == "varbyte" || t == "varbinary" || t == "binary varying" || t == "bytea") {
      reject(c.name,
             fmt::format("UNLOAD varbyte column \"{}\" is only supported for TEXT/CSV.", c.name));
    } else if (t == "geometry" || t == "geography" || t == "hllsketch") {
      reject(c.name,
             fmt::format("UNLOAD {} column \"{}\" is only supported for TEXT/CSV.", t, c.name));
    }
  }
}

}  // namespace cu::unload
