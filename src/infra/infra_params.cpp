#include "infra/infra_params.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "aws/names.h"
#include "base/error.h"
#include "base/strings.h"

namespace cu::infra {

namespace {

// The job file is read here with toml++ directly: the infrastructure needs only a few of
// the job's keys and must not depend on how the job validates the rest.
Error usage(const std::string& origin, const std::string& key, const std::string& message) {
  return Error(ErrorKind::kUsage, "read job file", origin, key + ": " + message);
}

std::optional<std::string> get_string(const toml::table& t, std::string_view key,
                                      const std::string& origin, const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) {
    return std::nullopt;
  }
  if (auto s = n->value<std::string>()) {
    return *s;
  }
  throw usage(origin, where + std::string(key), "must be a string");
}

std::optional<bool> get_bool(const toml::table& t, std::string_view key, const std::string& origin,
                             const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) {
    return std::nullopt;
  }
  if (auto b = n->value<bool>()) {
    return *b;
  }
  throw usage(origin, where + std::string(key), "must be true or false");
}

std::optional<int> get_int(const toml::table& t, std::string_view key, const std::string& origin,
                           const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) {
    return std::nullopt;
  }
  if (auto i = n->value<int64_t>(); i && *i >= 0 && *i <= 1'000'000) {
    return static_cast<int>(*i);
  }
  throw usage(origin, where + std::string(key), "must be a non-negative integer");
}

// A list key is a TOML array of strings or one comma-separated string (as on the command
// line of `crossunload run`).
std::vector<std::string> get_list(const toml::table& t, std::string_view key,
                                  const std::string& origin, const std::string& where) {
  std::vector<std::string> out;
  const toml::node* n = t.get(key);
  if (!n) {
    return out;
  }
  auto add_csv = [&](const std::string& s) {
    for (std::string& item : split_trimmed(s, ',')) {
      out.push_back(std::move(item));
    }
  };
  if (auto s = n->value<std::string>()) {
    add_csv(*s);
  } else if (const toml::array* a = n->as_array()) {
    for (const auto& el : *a) {
      auto s2 = el.value<std::string>();
      if (!s2) {
        throw usage(origin, where + std::string(key), "must be a list of strings");
      }
      add_csv(*s2);
    }
  } else {
    throw usage(origin, where + std::string(key), "must be a list of strings");
  }
  return out;
}

using aws::RoleArn;

RoleArn parse_role_arn(const std::string& arn, const std::string& origin, const std::string& key) {
  auto role = aws::parse_role_arn(arn);
  if (!role) {
    throw usage(origin, key, fmt::format("'{}' is not an IAM role ARN", arn))
        .with_hint("expected arn:aws:iam::<12-digit account>:role/<name>");
  }
  return *role;
}

void set_account(std::string& slot, const std::string& value, const std::string& what,
                 const std::string& origin, const std::string& key) {
  if (slot.empty()) {
    slot = value;
  } else if (slot != value) {
    throw usage(origin, key,
                fmt::format("names account {} but the {} account is {}", value, what, slot))
        .with_hint("the job's ARNs and [infra] account ids must agree");
  }
}

}  // namespace

std::string InfraParams::role_arn(const std::string& account, const std::string& name) const {
  return "arn:" + partition + ":iam::" + account + ":role/" + name;
}

std::string InfraParams::secret_policy_arn() const {
  if (secret_id.rfind("arn:", 0) == 0) {
    return secret_id;
  }
  return fmt::format("arn:{}:secretsmanager:{}:{}:secret:{}-??????", partition, region,
                     prod_account_id, secret_id);
}

std::string InfraParams::secret_name() const {
  if (secret_id.rfind("arn:", 0) != 0) {
    return secret_id;
  }
  auto pos = secret_id.find(":secret:");
  return pos == std::string::npos ? secret_id : secret_id.substr(pos + 8);
}

std::string InfraParams::log_group_arn() const {
  return fmt::format("arn:{}:logs:{}:{}:log-group:{}:*", partition, region, dev_account_id,
                     log_group_name());
}

std::string InfraParams::glue_arn(const std::string& resource) const {
  return fmt::format("arn:{}:glue:{}:{}:{}", partition, region, dev_account_id, resource);
}

std::string InfraParams::data_api_target_arn() const {
  if (cluster_id) {
    return fmt::format("arn:{}:redshift:{}:{}:cluster:{}", partition, region, prod_account_id,
                       *cluster_id);
  }
  return fmt::format("arn:{}:redshift-serverless:{}:{}:workgroup/{}", partition, region,
                     prod_account_id, workgroup_id.value_or(""));
}

std::string InfraParams::function_arn() const {
  return fmt::format("arn:{}:lambda:{}:{}:function:{}", partition, region, dev_account_id,
                     function_name);
}

std::string InfraParams::state_machine_arn() const {
  return fmt::format("arn:{}:states:{}:{}:stateMachine:{}", partition, region, dev_account_id,
                     state_machine_name);
}

InfraParams parse_infra_params(std::string_view toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw Error(ErrorKind::kUsage, "read job file", origin,
                fmt::format("line {}, column {}: {}", where.line, where.column, e.description()));
  }
  const toml::table empty;
  const toml::table* infra = root["infra"].as_table();
  if (root.get("infra") && !infra) {
    throw usage(origin, "infra", "must be a table ([infra])");
  }
  if (!infra) {
    infra = &empty;
  }
  const std::string I = "infra.";

  InfraParams p;
  p.region = get_string(root, "region", origin, "").value_or("");

  if (auto to = get_string(root, "to", origin, "")) {
    if (to->rfind("s3://", 0) != 0) {
      throw usage(origin, "to", fmt::format("'{}' is not an s3:// URL", *to))
          .with_hint("the infrastructure is for an S3 destination: to = \"s3://bucket/prefix\"");
    }
    std::string rest = to->substr(5);
    auto slash = rest.find('/');
    p.bucket = rest.substr(0, slash);
    p.prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  }
  p.allow_delete = get_bool(root, "clean_path", origin, "").value_or(false);
  p.secret_id = get_string(root, "secret_id", origin, "").value_or("");
  p.external_id = get_string(root, "external_id", origin, "").value_or("");

  // Accounts and names come from the job's ARNs; [infra] may state them too, and must agree.
  if (auto id = get_string(*infra, "dev_account_id", origin, I)) {
    p.dev_account_id = *id;
  }
  if (auto id = get_string(*infra, "prod_account_id", origin, I)) {
    p.prod_account_id = *id;
  }
  bool partition_set = false;
  auto take_partition = [&](const RoleArn& r) {
    if (!partition_set) {
      p.partition = r.partition;
    }
    partition_set = true;
  };
  if (auto arn = get_string(root, "secret_role_arn", origin, "")) {
    RoleArn r = parse_role_arn(*arn, origin, "secret_role_arn");
    take_partition(r);
    set_account(p.prod_account_id, r.account, "PROD", origin, "secret_role_arn");
    p.secret_role_name = r.name;
    p.secret_via_role = true;
  }
  auto chain = get_list(root, "iam_role", origin, "");
  if (!chain.empty() && chain.size() != 2) {
    throw usage(origin, "iam_role",
                fmt::format("has {} roles; the pattern's chain has two", chain.size()))
        .with_hint(
            "iam_role = [\"arn:…:role/CrossAccount-S3-Write-Role\" (PROD), "
            "\"arn:…:role/S3-Write-Role\" (DEV)]");
  }
  if (chain.size() == 2) {
    RoleArn first = parse_role_arn(chain[0], origin, "iam_role[0]");
    RoleArn second = parse_role_arn(chain[1], origin, "iam_role[1]");
    take_partition(first);
    set_account(p.prod_account_id, first.account, "PROD", origin, "iam_role[0]");
    set_account(p.dev_account_id, second.account, "DEV", origin, "iam_role[1]");
    p.redshift_role_name = first.name;
    p.write_role_name = second.name;
  }

  if (auto kms = get_string(root, "kms_key_id", origin, "")) {
    p.kms_key_arn = *kms;
  }
  p.job_write_role = get_string(root, "write_role_arn", origin, "");
  if (p.job_write_role) {
    RoleArn w = parse_role_arn(*p.job_write_role, origin, "write_role_arn");
    take_partition(w);
    set_account(p.dev_account_id, w.account, "DEV", origin, "write_role_arn");
    if (chain.empty()) {
      p.write_role_name = w.name;
    } else if (w.name != p.write_role_name) {
      throw usage(origin, "write_role_arn",
                  fmt::format("names role {} but iam_role's DEV write role is {}", w.name,
                              p.write_role_name))
          .with_hint("the templates create one DEV write role: use the same ARN in both");
    }
  }
  p.catalog_database = get_string(root, "catalog_database", origin, "");
  p.catalog_table = get_string(root, "catalog_table", origin, "");
  if (auto c = get_string(root, "catalog_partitions", origin, "")) {
    p.catalog_projection = *c == "projection";
  }
  p.sslmode = get_string(root, "sslmode", origin, "");
  p.database = get_string(root, "database", origin, "");
  if (auto m = get_string(root, "mode", origin, "")) {
    p.mode = *m;
  }
  if (auto v = get_string(root, "via", origin, "")) {
    std::string via = lower(trim(*v));
    if (via != "connection" && via != "data-api") {
      throw usage(origin, "via", fmt::format("'{}' is not connection or data-api", *v));
    }
    p.data_api = via == "data-api";
  }
  p.cluster_id = get_string(root, "cluster_id", origin, "");
  p.workgroup = get_string(root, "workgroup", origin, "");
  p.db_user = get_string(root, "db_user", origin, "");
  p.workgroup_id = get_string(*infra, "workgroup_id", origin, I);
  if (auto v = get_string(*infra, "state_machine_name", origin, I)) {
    p.state_machine_name = *v;
  }
  if (auto v = get_string(*infra, "state_machine_role_name", origin, I)) {
    p.state_machine_role_name = *v;
  }
  if (auto v = get_int(*infra, "state_machine_wait_seconds", origin, I)) {
    p.state_machine_wait_seconds = *v;
  }
  if (auto v = get_string(*infra, "secret_kms_key_arn", origin, I)) {
    p.secret_kms_key_arn = *v;
  }
  if (auto v = get_string(*infra, "lambda_role_name", origin, I)) {
    p.lambda_role_name = *v;
  }
  if (auto v = get_string(*infra, "stack_name", origin, I)) {
    p.stack_name = *v;
  }
  if (auto v = get_string(*infra, "function_name", origin, I)) {
    p.function_name = *v;
  }
  if (auto v = get_string(*infra, "code_s3_bucket", origin, I)) {
    p.code_s3_bucket = *v;
  }
  if (auto v = get_string(*infra, "code_s3_key", origin, I)) {
    p.code_s3_key = *v;
  }
  if (auto v = get_int(*infra, "lambda_timeout_seconds", origin, I)) {
    p.lambda_timeout_seconds = *v;
  }
  if (auto v = get_int(*infra, "lambda_memory_mb", origin, I)) {
    p.lambda_memory_mb = *v;
  }
  if (auto v = get_int(*infra, "lambda_ephemeral_mb", origin, I)) {
    p.lambda_ephemeral_mb = *v;
  }
  if (auto v = get_int(*infra, "log_retention_days", origin, I)) {
    p.log_retention_days = *v;
  }
  p.subnet_ids = get_list(*infra, "subnet_ids", origin, I);
  p.security_group_ids = get_list(*infra, "security_group_ids", origin, I);
  p.lambda_cidrs = get_list(*infra, "lambda_cidrs", origin, I);
  if (auto v = get_string(*infra, "redshift_security_group_id", origin, I)) {
    p.redshift_security_group_id = *v;
  }
  if (auto v = get_int(*infra, "redshift_port", origin, I)) {
    p.redshift_port = *v;
  }
  if (auto v = get_string(*infra, "redshift_cluster_id", origin, I)) {
    p.redshift_cluster_id = *v;
  }
  p.create_secret = get_bool(*infra, "create_secret", origin, I).value_or(false);
  if (auto v = get_string(*infra, "secret_host", origin, I)) {
    p.secret_host = *v;
  }
  if (auto v = get_string(*infra, "secret_dbname", origin, I)) {
    p.secret_dbname = *v;
  }
  if (auto v = get_string(*infra, "secret_username", origin, I)) {
    p.secret_username = *v;
  }

  // A bare KMS key id is made an ARN in the account that owns it: the bucket's (DEV) for
  // the objects, the secret's (PROD) for the secret. An alias cannot name a key in an IAM
  // policy's Resource.
  auto key_arn = [&](std::optional<std::string>& key, const std::string& account,
                     const std::string& name) {
    if (!key || key->rfind("arn:", 0) == 0) {
      return;
    }
    if (key->rfind("alias/", 0) == 0) {
      throw usage(origin, name, fmt::format("'{}' is an alias", *key))
          .with_hint("IAM policies need the key's id or ARN, not an alias");
    }
    key = fmt::format("arn:{}:kms:{}:{}:key/{}", p.partition, p.region, account, *key);
  };
  key_arn(p.kms_key_arn, p.dev_account_id, "kms_key_id");
  key_arn(p.secret_kms_key_arn, p.prod_account_id, "infra.secret_kms_key_arn");

  if (p.create_secret && p.secret_id.empty()) {
    p.secret_id = p.stack_name + "-redshift";
  }
  if (p.state_machine_name.empty()) {
    p.state_machine_name = p.function_name;
  }
  validate(p, origin);
  return p;
}

InfraParams load_infra_params(const std::filesystem::path& job_file) {
  std::ifstream in(job_file, std::ios::binary);
  if (!in) {
    throw Error(ErrorKind::kUsage, "read job file", job_file.string(), "cannot open the file");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_infra_params(ss.str(), job_file.string());
}

void validate(const InfraParams& p, const std::string& origin) {
  static const std::regex bucket(R"(^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$)");
  static const std::regex external_id(R"(^[\w+=,.@:/-]{2,1224}$)");
  static const std::regex stack(R"(^[A-Za-z][A-Za-z0-9-]{0,120}$)");
  static const std::regex function(R"(^[A-Za-z0-9_-]{1,64}$)");
  static const std::regex key_arn(R"(^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$)");

  auto need = [&](bool ok, const std::string& key, const std::string& message,
                  const std::string& hint) {
    if (!ok) {
      throw usage(origin, key, message).with_hint(hint);
    }
  };
  need(aws::is_account_id(p.dev_account_id), "infra.dev_account_id",
       p.dev_account_id.empty() ? "missing" : "'" + p.dev_account_id + "' is not 12 digits",
       "give [infra] dev_account_id or the DEV S3-Write-Role as iam_role's second ARN");
  need(aws::is_account_id(p.prod_account_id), "infra.prod_account_id",
       p.prod_account_id.empty() ? "missing" : "'" + p.prod_account_id + "' is not 12 digits",
       "give [infra] prod_account_id or secret_role_arn");
  need(p.dev_account_id != p.prod_account_id, "infra.dev_account_id",
       "DEV and PROD are the same account", "the pattern spans two accounts");
  need(aws::is_region(p.region), "region",
       p.region.empty() ? "missing" : "'" + p.region + "' is not an AWS region",
       "e.g. region = \"eu-central-1\"");
  need(
      std::regex_match(p.bucket, bucket), "to",
      p.bucket.empty() ? "missing (s3://bucket/prefix)" : "'" + p.bucket + "' is not a bucket name",
      "to = \"s3://<bucket>/<prefix>\"");
  need(p.prefix.find_first_of("*?") == std::string::npos, "to", "the prefix may not contain * or ?",
       "those are wildcards in IAM policies");
  // Through the Data API a db_user (GetClusterCredentials) or the caller's own identity on
  // a Serverless workgroup (GetCredentials) may take the secret's place.
  const bool login_without_secret = p.data_api && (p.db_user || p.workgroup);
  need(!p.secret_id.empty() || p.create_secret || login_without_secret, "secret_id", "missing",
       "name the PROD secret that holds the cluster's connection");
  need(p.secret_name().find_first_of("*?") == std::string::npos, "secret_id",
       "may not contain * or ?", "those are wildcards in IAM policies");
  need(std::regex_match(p.external_id, external_id), "external_id",
       p.external_id.empty() ? "missing" : "has characters IAM does not allow",
       "SM-Read-Role's trust policy requires it: external_id = \"<2-1224 characters>\"");
  for (const auto* n :
       {&p.lambda_role_name, &p.secret_role_name, &p.redshift_role_name, &p.write_role_name}) {
    need(aws::is_role_name(*n), "role name", "'" + *n + "' is not a valid role name",
         "1-64 letters, digits or +=,.@_-");
  }
  need(std::regex_match(p.stack_name, stack), "infra.stack_name",
       "'" + p.stack_name + "' is not a valid stack name", "letters, digits and dashes");
  need(std::regex_match(p.function_name, function), "infra.function_name",
       "'" + p.function_name + "' is not a valid function name", "letters, digits, _ and -");
  for (const auto& k : {p.kms_key_arn, p.secret_kms_key_arn}) {
    need(!k || std::regex_match(*k, key_arn), "kms key",
         "'" + k.value_or("") + "' is not a key ARN", "arn:aws:kms:<region>:<account>:key/<id>");
  }
  static const int kRetentions[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                    365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};
  need(std::find(std::begin(kRetentions), std::end(kRetentions), p.log_retention_days) !=
           std::end(kRetentions),
       "infra.log_retention_days",
       fmt::format("{} is not a retention CloudWatch Logs offers", p.log_retention_days),
       "one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, ... 3653");
  need(p.lambda_timeout_seconds >= 1 && p.lambda_timeout_seconds <= 900,
       "infra.lambda_timeout_seconds", "must be 1-900", "Lambda stops after 15 minutes");
  need(p.lambda_memory_mb >= 128 && p.lambda_memory_mb <= 10240, "infra.lambda_memory_mb",
       "must be 128-10240", "e.g. 1024");
  need(p.lambda_ephemeral_mb >= 512 && p.lambda_ephemeral_mb <= 10240, "infra.lambda_ephemeral_mb",
       "must be 512-10240",
       "the function's /tmp; PARTITION BY into S3 spools most partitions there");
  need(p.subnet_ids.empty() == p.security_group_ids.empty(), "infra.subnet_ids",
       "subnet_ids and security_group_ids go together", "the Lambda's VPC needs both");
  need(!p.redshift_security_group_id || !p.lambda_cidrs.empty(), "infra.lambda_cidrs", "missing",
       "the PROD ingress rule opens the cluster's port to the Lambda subnets' CIDRs");
  need(p.mode != "client" || p.job_write_role, "write_role_arn", "missing in client mode",
       "client mode writes with a role: write_role_arn = the DEV S3-Write-Role (the Lambda "
       "role itself may not write)");
  need(p.redshift_port > 0 && p.redshift_port < 65536, "infra.redshift_port", "out of range",
       "Redshift's default is 5439");
  need(!p.create_secret || (!p.secret_host.empty() && !p.secret_username.empty()),
       "infra.create_secret", "needs secret_host and secret_username",
       "the created secret holds host, port, dbname, username and a generated password");
  if (p.data_api) {
    validate_data_api(p, origin);
  }
}

void validate_data_api(const InfraParams& p, const std::string& origin) {
  static const std::regex name(R"(^[A-Za-z0-9_-]{1,80}$)");
  static const std::regex workgroup_id(
      R"(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)");
  auto need = [&](bool ok, const std::string& key, const std::string& message,
                  const std::string& hint) {
    if (!ok) {
      throw usage(origin, key, message).with_hint(hint);
    }
  };
  need(p.secret_via_role, "secret_role_arn", "missing with via = \"data-api\"",
       "the Lambda calls the Data API as the PROD role: secret_role_arn = "
       "\"arn:aws:iam::<PROD>:role/SM-Read-Role\"");
  need(p.cluster_id.has_value() != p.workgroup.has_value(), "cluster_id workgroup",
       "via = \"data-api\" needs cluster_id or workgroup (one of them)",
       "the policies name the one cluster or workgroup the role may run statements on");
  need(!p.cluster_id || !p.secret_id.empty() || p.db_user, "secret_id",
       "a cluster through the Data API needs secret_id or db_user",
       "secret_id = the secret's ARN, or db_user = the database user");
  need(p.secret_id.empty() || !p.db_user, "secret_id db_user",
       "give secret_id or db_user, not both",
       "the role gets GetSecretValue on the secret or GetClusterCredentials for the user");
  need(!p.workgroup || !p.db_user, "db_user", "a Serverless workgroup takes no db_user",
       "give secret_id, or neither (the role's own identity, redshift-serverless:GetCredentials)");
  need(!p.workgroup || (p.workgroup_id && std::regex_match(*p.workgroup_id, workgroup_id)),
       "infra.workgroup_id",
       p.workgroup_id ? "'" + *p.workgroup_id + "' is not a workgroup id" : "missing",
       "a workgroup's ARN names its id: aws redshift-serverless get-workgroup --workgroup-name "
       "<name> --query workgroup.workgroupId");
  need(p.database.has_value(), "database", "missing with via = \"data-api\"",
       "the Data API needs the database name");
  need(p.subnet_ids.empty() && p.security_group_ids.empty(), "infra.subnet_ids",
       "via = \"data-api\" needs no VPC for the Lambda",
       "the Data API is reached over HTTPS: remove subnet_ids and security_group_ids");
  need(p.lambda_cidrs.empty() && !p.redshift_security_group_id, "infra.lambda_cidrs",
       "via = \"data-api\" opens no port of the cluster",
       "remove lambda_cidrs and redshift_security_group_id");
  need(p.mode != "client", "mode", "via = \"data-api\" sends UNLOAD to the cluster",
       "remove mode = \"client\"");
  need(std::regex_match(p.state_machine_name, name), "infra.state_machine_name",
       "'" + p.state_machine_name + "' is not a valid state machine name",
       "1-80 letters, digits, _ and -");
  need(aws::is_role_name(p.state_machine_role_name), "infra.state_machine_role_name",
       "'" + p.state_machine_role_name + "' is not a valid role name",
       "1-64 letters, digits or +=,.@_-");
  need(p.state_machine_wait_seconds >= 1 && p.state_machine_wait_seconds <= 3600,
       "infra.state_machine_wait_seconds", "must be 1-3600",
       "seconds between checks of the statement, e.g. 60");
}

}  // namespace cu::infra
