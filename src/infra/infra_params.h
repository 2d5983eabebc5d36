#pragma once
// InfraParams — everything the infrastructure generator needs to know about the two
// accounts of the pattern (DEV: bucket, Lambda; PROD: Redshift, secret), as one plain value.
// It is read from the job file: the job's own keys (region, to, secret_id, secret_role_arn,
// external_id, iam_role, kms_key_id, clean_path) plus an `[infra]` table for what only the
// infrastructure needs (account ids, names, VPC, code location). docs/deploy.md lists the
// keys; role names and account ids are taken from the job's ARNs when they are there.
//
//   cu::infra::InfraParams p = cu::infra::load_infra_params("job.toml");
//   nlohmann::json prod = cu::infra::prod_template(p);   // templates.h

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cu::infra {

struct InfraParams {
  std::string partition = "aws";
  std::string dev_account_id;   // bucket, Lambda, S3-Write-Role
  std::string prod_account_id;  // Redshift, secret, SM-Read-Role, CrossAccount-S3-Write-Role
  std::string region;

  std::string bucket;         // destination bucket (DEV)
  std::string prefix;         // object-name prefix inside the bucket ("" = whole bucket)
  bool allow_delete = false;  // the job's clean_path: Redshift deletes under the prefix

  // The secret the Lambda reads in PROD: a full ARN, or a name (then the policy names
  // `name-??????`, the six random characters Secrets Manager appends).
  std::string secret_id;
  std::string external_id;
  std::optional<std::string> secret_kms_key_arn;  // customer key encrypting the secret (PROD)
  std::optional<std::string> kms_key_arn;         // key for the unloaded objects (DEV)

  // Role names; the defaults are the pattern's.
  std::string lambda_role_name = "CrossAccount-SM-Read-Role";     // DEV, Lambda execution role
  std::string secret_role_name = "SM-Read-Role";                  // PROD
  std::string redshift_role_name = "CrossAccount-S3-Write-Role";  // PROD, trusted by Redshift
  std::string write_role_name = "S3-Write-Role";                  // DEV

  std::string stack_name = "crossunload";  // stacks are <stack_name>-dev / <stack_name>-prod
  std::string function_name = "crossunload";
  std::optional<std::string> code_s3_bucket;  // where function.zip was uploaded (DEV)
  std::string code_s3_key = "crossunload/function.zip";
  int lambda_timeout_seconds = 900;
  int lambda_memory_mb = 1024;
  // /tmp of the function: a client-mode PARTITION BY into S3 keeps 7 partitions open and
  // spools the rows of the others there (engine/partition_spool.h), up to the data's size.
  int lambda_ephemeral_mb = 2048;
  int log_retention_days = 14;

  // VPC: the Lambda's subnets and security groups (DEV); the Redshift cluster's security
  // group (PROD) opened to the Lambda subnets' CIDRs on the cluster's port.
  std::vector<std::string> subnet_ids;
  std::vector<std::string> security_group_ids;
  std::vector<std::string> lambda_cidrs;
  std::optional<std::string> redshift_security_group_id;
  int redshift_port = 5439;
  // via = "data-api": seconds between the submit and a check, and between checks.
  int state_machine_wait_seconds = 60;
  // When set, only this cluster's database users may use the Redshift role
  // (Redshift passes arn:aws:redshift:region:acct:dbuser:cluster/user as external id).
  std::optional<std::string> redshift_cluster_id;

  // Create the secret in the PROD stack (password generated; the rest from these fields).
  bool create_secret = false;
  std::string secret_host, secret_dbname = "dev", secret_username;

  // Job keys `crossunload doctor` uses (it walks the chain the job will walk).
  bool secret_via_role = false;     // the job gave secret_role_arn
  bool catalog_projection = false;  // catalog_partitions = "projection": no partition
  bool data_api = false;            // via = "data-api" (below)
  // write_role_arn: in client mode the job (the Lambda role) assumes S3-Write-Role itself
  // and writes with it, so the Lambda role may assume it and it trusts the Lambda role too.
  // Must name the DEV write role the templates create.
  std::optional<std::string> job_write_role;
  // catalog_database + catalog_table: the job registers its output as that Glue table,
  // as the write identity (S3-Write-Role with write_role_arn, else the Lambda role);
  // catalog_partitions = "projection" registers no partition (catalog_projection above).
  std::optional<std::string> catalog_database;
  std::optional<std::string> catalog_table;
  std::optional<std::string> sslmode;
  std::optional<std::string> database;
  std::string mode = "auto";

  // via = "data-api": the job reaches the cluster through the Redshift Data API as the PROD
  // role (secret_role_arn), so the Lambda needs no VPC and the cluster no ingress rule; the
  // PROD role may run statements on the one cluster or workgroup and follow only its own
  // statements, and a Step Functions state machine (DEV) carries an unload of hours with
  // short invocations: submit, wait, check, until the statement ends.
  std::optional<std::string> cluster_id;  // the job's cluster_id
  std::optional<std::string> workgroup;   // the job's workgroup (Redshift Serverless)
  // [infra] workgroup_id: a workgroup's ARN names its id, not its name.
  std::optional<std::string> workgroup_id;
  std::optional<std::string> db_user;  // the job's db_user: GetClusterCredentials for it
  std::string state_machine_name;      // [infra]; default function_name
  std::string state_machine_role_name = "Unload-StateMachine-Role";

  // Derived names, used by every generator.
  std::string dev_stack() const { return stack_name + "-dev"; }
  std::string prod_stack() const { return stack_name + "-prod"; }
  std::string role_arn(const std::string& account, const std::string& name) const;
  std::string lambda_role_arn() const { return role_arn(dev_account_id, lambda_role_name); }
  std::string secret_role_arn() const { return role_arn(prod_account_id, secret_role_name); }
  std::string redshift_role_arn() const { return role_arn(prod_account_id, redshift_role_name); }
  std::string write_role_arn() const { return role_arn(dev_account_id, write_role_name); }
  // The secret's ARN as IAM policies must name it (with `-??????` for a bare name).
  std::string secret_policy_arn() const;
  std::string secret_name() const;  // the name part (for the created secret)
  std::string bucket_arn() const { return "arn:" + partition + ":s3:::" + bucket; }
  std::string objects_arn() const { return bucket_arn() + "/" + prefix + "*"; }
  std::string log_group_name() const { return "/aws/lambda/" + function_name; }
  std::string log_group_arn() const;
  bool in_vpc() const { return !subnet_ids.empty(); }
  // The job writes (client mode) or verifies (server mode) as S3-Write-Role.
  bool lambda_uses_write_role() const { return job_write_role.has_value(); }
  bool registers_catalog() const { return catalog_database && catalog_table; }
  // arn:…:glue:<region>:<DEV>:catalog, …:database/<db>, …:table/<db>/<table>.
  std::string glue_arn(const std::string& resource) const;
  // via = "data-api": the cluster's or workgroup's ARN (PROD), the function's and the state
  // machine's (DEV), and the state machine's role.
  std::string data_api_target_arn() const;
  std::string function_arn() const;
  std::string state_machine_arn() const;
  std::string state_machine_role_arn() const {
    return role_arn(dev_account_id, state_machine_role_name);
  }
};

// Reads and checks the job file (TOML). Throws cu::Error kUsage naming the key and the file.
InfraParams load_infra_params(const std::filesystem::path& job_file);
// Same from TOML text; `origin` names it in messages.
InfraParams parse_infra_params(std::string_view toml_text, const std::string& origin);

// Throws cu::Error kUsage when a value is missing or malformed (account ids of 12 digits,
// region, bucket, role names, external id, ...). Called by the two functions above.
void validate(const InfraParams& p, const std::string& origin);
// The keys of via = "data-api" (called by validate when p.data_api).
void validate_data_api(const InfraParams& p, const std::string& origin);

}  // namespace cu::infra
