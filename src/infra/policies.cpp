#include "infra/policies.h"

#include <fmt/format.h>

namespace cu::infra {

using nlohmann::json;

namespace {

json document(json statements) {
  return json{{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
}

json allow(const std::string& sid, json actions, json resources) {
  return json{{"Sid", sid},
              {"Effect", "Allow"},
              {"Action", std::move(actions)},
              {"Resource", std::move(resources)}};
}

std::string account_root(const InfraParams& p, const std::string& account) {
  return fmt::format("arn:{}:iam::{}:root", p.partition, account);
}

json secret_resource(const InfraParams& p, Target target) {
  if (target == Target::kTemplate && p.create_secret) {
    return json{{"Ref", "Secret"}};
  }
  return p.secret_policy_arn();
}

// ListBucket is granted on the bucket but only for listings under the prefix.
json list_prefix(const InfraParams& p, const std::string& sid) {
  json st = allow(sid, "s3:ListBucket", p.bucket_arn());
  if (!p.prefix.empty()) {
    st["Condition"] = {{"StringLike", {{"s3:prefix", json::array({p.prefix + "*"})}}}};
  }
  return st;
}

// via = "data-api": statements only on the one cluster or workgroup (ExecuteStatement takes
// its ARN); DescribeStatement, GetStatementResult and CancelStatement have no resource-level
// permission, so they name "*" and are narrowed to the statements this same role session
// submitted (redshift-data:statement-owner-iam-userid = aws:userid, which is the role's id
// and the session name: submit and check must use the same role_session_name, as the job
// does). ListStatements is left out: the job follows its statement by id. Then the login:
// GetClusterCredentials for the one database user and database, or GetCredentials on the
// one workgroup when it runs as the role itself; with a secret, read-connection-secret.
json data_api_policy(const InfraParams& p) {
  const bool cluster = p.cluster_id.has_value();
  json statements = json::array(
      {allow(cluster ? "RunStatementsOnlyOnTheOneCluster" : "RunStatementsOnlyOnTheOneWorkgroup",
             "redshift-data:ExecuteStatement", p.data_api_target_arn())});
  json own =
      allow("FollowOnlyItsOwnStatementsNoResourceLevelPermissionSoStar",
            json::array({"redshift-data:DescribeStatement", "redshift-data:GetStatementResult",
                         "redshift-data:CancelStatement"}),
            "*");
  own["Condition"] = {
      {"StringEquals", {{"redshift-data:statement-owner-iam-userid", "${aws:userid}"}}}};
  statements.push_back(std::move(own));
  if (p.db_user) {
    const std::string base =
        fmt::format("arn:{}:redshift:{}:{}:", p.partition, p.region, p.prod_account_id);
    statements.push_back(
        allow("TemporaryCredentialsOnlyForTheOneDbUser", "redshift:GetClusterCredentials",
              json::array(
                  {fmt::format("{}dbuser:{}/{}", base, *p.cluster_id, *p.db_user),
                   fmt::format("{}dbname:{}/{}", base, *p.cluster_id, p.database.value_or(""))})));
  } else if (!cluster && p.secret_id.empty()) {
    statements.push_back(allow("TemporaryCredentialsOnlyForTheOneWorkgroup",
                               "redshift-serverless:GetCredentials", p.data_api_target_arn()));
  }
  return document(std::move(statements));
}

}  // namespace

std::vector<RoleDoc> prod_roles(const InfraParams& p, Target target) {
  std::vector<RoleDoc> roles;

  // SM-Read-Role: the DEV Lambda role, and only with the external id, may assume it.
  RoleDoc sm;
  sm.logical_id = "SecretReadRole";
  sm.account_id = p.prod_account_id;
  sm.name = p.secret_role_name;
  sm.description = fmt::format(
      "crossunload: read the Redshift connection secret {}. Assumable only by {} with the "
      "external id.",
      p.secret_name(), p.lambda_role_arn());
  sm.trust =
      document(json::array({json{{"Sid", "OnlyTheDevLambdaRoleWithExternalId"},
                                 {"Effect", "Allow"},
                                 {"Principal", {{"AWS", account_root(p, p.dev_account_id)}}},
                                 {"Action", "sts:AssumeRole"},
                                 {"Condition",
                                  {{"StringEquals", {{"sts:ExternalId", p.external_id}}},
                                   {"ArnEquals", {{"aws:PrincipalArn", p.lambda_role_arn()}}}}}}}));
  json sm_statements = json::array();
  if (p.data_api) {
    // The Data API reads the secret with its caller's permissions: GetSecretValue only.
    if (!p.secret_id.empty()) {
      sm_statements.push_back(allow("ReadOnlyTheConnectionSecret", "secretsmanager:GetSecretValue",
                                    secret_resource(p, target)));
    }
  } else {
    sm_statements.push_back(
        allow("ReadOnlyTheConnectionSecret",
              json::array({"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}),
              secret_resource(p, target)));
  }
  if (p.secret_kms_key_arn) {
    json st = allow("DecryptTheSecretThroughSecretsManager", "kms:Decrypt", *p.secret_kms_key_arn);
    st["Condition"] = {
        {"StringEquals",
         {{"kms:ViaService", fmt::format("secretsmanager.{}.amazonaws.com", p.region)}}}};
    sm_statements.push_back(std::move(st));
  }
  if (!sm_statements.empty()) {
    sm.policies.push_back({"read-connection-secret", document(std::move(sm_statements))});
  }
  if (p.data_api) {
    sm.description = fmt::format(
        "crossunload: runs the unload on {} through the Redshift Data API{}. Assumable only "
        "by {} with the external id.",
        p.data_api_target_arn(),
        p.secret_id.empty() ? std::string() : " with the secret " + p.secret_name(),
        p.lambda_role_arn());
    sm.policies.push_back({"use-data-api", data_api_policy(p)});
  }
  roles.push_back(std::move(sm));

  // CrossAccount-S3-Write-Role: attached to the cluster; Redshift assumes it and chains on.
  RoleDoc rs;
  rs.logical_id = "RedshiftChainRole";
  rs.account_id = p.prod_account_id;
  rs.name = p.redshift_role_name;
  rs.description = fmt::format(
      "crossunload: first role of UNLOAD's IAM_ROLE chain. Trusted by Redshift; may assume "
      "only {}.",
      p.write_role_arn());
  json rs_trust = {{"Sid", "OnlyRedshift"},
                   {"Effect", "Allow"},
                   {"Principal", {{"Service", "redshift.amazonaws.com"}}},
                   {"Action", "sts:AssumeRole"}};
  if (p.redshift_cluster_id) {
    // Redshift passes the database user's ARN as the external id: only this cluster's users.
    rs_trust["Condition"] = {
        {"StringLike",
         {{"sts:ExternalId", fmt::format("arn:{}:redshift:{}:{}:dbuser:{}/*", p.partition, p.region,
                                         p.prod_account_id, *p.redshift_cluster_id)}}}};
  }
  rs.trust = document(json::array({rs_trust}));
  rs.policies.push_back({"assume-dev-write-role",
                         document(json::array({allow("AssumeOnlyTheDevWriteRole", "sts:AssumeRole",
                                                     p.write_role_arn())}))});
  roles.push_back(std::move(rs));
  return roles;
}

// catalog_database/catalog_table: the registering identity may read the database, create
// or update the one table, and (unless partition projection) create or update that table's
// partitions — Glue authorizes partition calls on the catalog, database and table ARNs.
PolicyDoc register_catalog(const InfraParams& p) {
  const std::string db = *p.catalog_database;
  json resources = json::array({p.glue_arn("catalog"), p.glue_arn("database/" + db),
                                p.glue_arn("table/" + db + "/" + *p.catalog_table)});
  json statements = json::array(
      {allow("ReadTheCatalogDatabase", "glue:GetDatabase",
             json::array({p.glue_arn("catalog"), p.glue_arn("database/" + db)})),
       allow("CreateOrUpdateTheOneTable",
             json::array({"glue:GetTable", "glue:CreateTable", "glue:UpdateTable"}), resources)});
  if (!p.catalog_projection) {
    statements.push_back(
        allow("RegisterTheTablesPartitions",
              json::array({"glue:BatchCreatePartition", "glue:BatchUpdatePartition"}), resources));
  }
  return {"register-catalog-table", document(std::move(statements))};
}

std::vector<RoleDoc> dev_roles(const InfraParams& p, Target /*target*/) {
  std::vector<RoleDoc> roles;

  // The Lambda's execution role.
  RoleDoc lr;
  lr.logical_id = "LambdaRole";
  lr.account_id = p.dev_account_id;
  lr.name = p.lambda_role_name;
  lr.description = fmt::format(
      "crossunload: execution role of the Lambda function {}. May assume only {}, write its "
      "log group, {}{}.",
      p.function_name,
      p.lambda_uses_write_role() ? p.secret_role_arn() + " and " + p.write_role_arn()
                                 : p.secret_role_arn(),
      p.lambda_uses_write_role() ? "write and verify the objects as the write role"
                                 : "verify the unloaded objects",
      p.in_vpc() ? "; EC2 Describe* on * (no resource-level permission)" : "");
  lr.trust = document(json::array({json{{"Sid", "OnlyLambda"},
                                        {"Effect", "Allow"},
                                        {"Principal", {{"Service", "lambda.amazonaws.com"}}},
                                        {"Action", "sts:AssumeRole"}}}));
  lr.policies.push_back({"assume-secret-read-role",
                         document(json::array({allow("AssumeOnlyTheProdSecretReadRole",
                                                     "sts:AssumeRole", p.secret_role_arn())}))});
  lr.policies.push_back(
      {"write-own-logs",
       document(json::array({allow("WriteOnlyItsOwnLogGroup",
                                   json::array({"logs:CreateLogStream", "logs:PutLogEvents"}),
                                   p.log_group_arn())}))});
  if (p.lambda_uses_write_role()) {
    // write_role_arn: the job assumes S3-Write-Role to write (client mode) and to verify
    // (server mode), so the Lambda role itself needs no S3 or KMS access at all.
    lr.policies.push_back({"assume-write-role",
                           document(json::array({allow("AssumeOnlyTheDevWriteRole",
                                                       "sts:AssumeRole", p.write_role_arn())}))});
  } else {
    // After Redshift has written, the job checks the objects (and the manifest) are there
    // by listing the prefix; it reads no object, so no s3:GetObject and no kms:Decrypt.
    lr.policies.push_back(
        {"verify-unloaded-objects", document(json::array({list_prefix(p, "ListUnderThePrefix")}))});
  }
  if (p.in_vpc()) {
    const std::string ec2 =
        fmt::format("arn:{}:ec2:{}:{}:", p.partition, p.region, p.dev_account_id);
    json create = json::array({ec2 + "network-interface/*"});
    for (const auto& s : p.subnet_ids) {
      create.push_back(fmt::format("{}subnet/{}", ec2, s));
    }
    for (const auto& g : p.security_group_ids) {
      create.push_back(fmt::format("{}security-group/{}", ec2, g));
    }
    lr.policies.push_back(
        {"vpc-network-interfaces",
         document(json::array(
             {allow("DescribeHasNoResourceLevelPermissionSoStar",
                    json::array({"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}), "*"),
              allow("CreateInterfacesInTheLambdaSubnets", "ec2:CreateNetworkInterface", create),
              allow("ManageTheAccountsInterfaces",
                    json::array({"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
                                 "ec2:UnassignPrivateIpAddresses"}),
                    ec2 + "network-interface/*")}))});
  }
  if (p.registers_catalog() && !p.lambda_uses_write_role()) {
    lr.policies.push_back(register_catalog(p));
  }
  roles.push_back(std::move(lr));

  // S3-Write-Role: the last role of Redshift's chain, the one that writes.
  RoleDoc wr;
  wr.logical_id = "WriteRole";
  wr.account_id = p.dev_account_id;
  wr.name = p.write_role_name;
  wr.description =
      fmt::format("crossunload: writes UNLOAD's files under s3://{}/{}. Assumable only by {}.",
                  p.bucket, p.prefix,
                  p.lambda_uses_write_role()
                      ? p.redshift_role_arn() + " and (client mode) " + p.lambda_role_arn()
                      : p.redshift_role_arn());
  json write_trust = json::array(
      {json{{"Sid", "OnlyTheProdRedshiftRole"},
            {"Effect", "Allow"},
            {"Principal", {{"AWS", account_root(p, p.prod_account_id)}}},
            {"Action", "sts:AssumeRole"},
            {"Condition", {{"ArnEquals", {{"aws:PrincipalArn", p.redshift_role_arn()}}}}}}});
  if (p.lambda_uses_write_role()) {
    // Same form as the cross-account trusts: the role may be (re)created after this one.
    write_trust.push_back(
        json{{"Sid", "AndTheDevLambdaRole"},
             {"Effect", "Allow"},
             {"Principal", {{"AWS", account_root(p, p.dev_account_id)}}},
             {"Action", "sts:AssumeRole"},
             {"Condition", {{"ArnEquals", {{"aws:PrincipalArn", p.lambda_role_arn()}}}}}});
  }
  wr.trust = document(std::move(write_trust));
  json write_actions = json::array({"s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"});
  // Only the job's clean_path deletes. A client-mode run that fails or is stopped never
  // needs to: it aborts its multipart uploads, and nothing of it is visible before its
  // commit (docs/formats.md); a crash leaves incomplete uploads, which the bucket's
  // lifecycle rule (lifecycle.json) and teardown abort.
  if (p.allow_delete) {
    write_actions.push_back("s3:DeleteObject");
  }
  json write = json::array({allow("WriteUnderThePrefix", write_actions, p.objects_arn()),
                            list_prefix(p, "ListUnderThePrefix"),
                            allow("FindTheBucketRegion", "s3:GetBucketLocation", p.bucket_arn())});
  if (p.kms_key_arn) {
    write.push_back(allow("UseOnlyTheUnloadKey",
                          json::array({"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}),
                          *p.kms_key_arn));
  }
  wr.policies.push_back({"write-under-prefix", document(std::move(write))});
  if (p.registers_catalog() && p.lambda_uses_write_role()) {
    wr.policies.push_back(register_catalog(p));
  }
  roles.push_back(std::move(wr));

  if (p.data_api) {
    // The Step Functions state machine's role: Step Functions of this account, for this
    // state machine only (the confused-deputy conditions), may invoke the one function.
    RoleDoc sf;
    sf.logical_id = "StateMachineRole";
    sf.account_id = p.dev_account_id;
    sf.name = p.state_machine_role_name;
    sf.description = fmt::format(
        "crossunload: role of the state machine {} (submit, wait, check). May only invoke {}.",
        p.state_machine_name, p.function_arn());
    sf.trust =
        document(json::array({json{{"Sid", "OnlyStepFunctionsForTheOneStateMachine"},
                                   {"Effect", "Allow"},
                                   {"Principal", {{"Service", "states.amazonaws.com"}}},
                                   {"Action", "sts:AssumeRole"},
                                   {"Condition",
                                    {{"StringEquals", {{"aws:SourceAccount", p.dev_account_id}}},
                                     {"ArnLike", {{"aws:SourceArn", p.state_machine_arn()}}}}}}}));
    sf.policies.push_back(
        {"invoke-the-function",
         document(json::array(
             {allow("InvokeOnlyTheUnloadFunction", "lambda:InvokeFunction", p.function_arn())}))});
    roles.push_back(std::move(sf));
  }
  return roles;
}

}  // namespace cu::infra
