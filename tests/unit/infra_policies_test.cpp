// The generated IAM documents, statement by statement. Expected values are written out
// here from issue 7 and the pattern (docs/architecture.md#pattern), not computed by the generator.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "infra/infra_params.h"
#include "infra/policies.h"

namespace {

using cu::infra::InfraParams;
using cu::infra::RoleDoc;
using nlohmann::json;

const char* kJob = R"(
region = "eu-central-1"
to = "s3://dev-bucket/unload/run_"
secret_id = "redshift_creds"
secret_role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role"
external_id = "ext-1234"
iam_role = "arn:aws:iam::222222222222:role/CrossAccount-S3-Write-Role,arn:aws:iam::111111111111:role/S3-Write-Role"
kms_key_id = "0f6f8a1e-3c1b-4f6e-9d7a-5a2b1c0d9e8f"
[infra]
subnet_ids = ["subnet-1"]
security_group_ids = ["sg-1"]
)";

// Returns a copy: the role lists are temporaries at the call sites.
RoleDoc find(const std::vector<RoleDoc>& roles, const std::string& name) {
  for (const auto& r : roles)
    if (r.name == name) return r;
  throw std::runtime_error("no role " + name);
}

const json& statement(const RoleDoc& r, const std::string& sid) {
  for (const auto& p : r.policies)
    for (const auto& s : p.document.at("Statement"))
      if (s.at("Sid") == sid) return s;
  throw std::runtime_error("no statement " + sid + " in " + r.name);
}

std::vector<json> all_statements(const RoleDoc& r) {
  std::vector<json> out;
  for (const auto& p : r.policies)
    for (const auto& s : p.document.at("Statement")) out.push_back(s);
  return out;
}

TEST(InfraParams, DerivesAccountsAndNamesFromTheJobsArns) {
  InfraParams p = cu::infra::parse_infra_params(kJob, "job.toml");
  EXPECT_EQ(p.dev_account_id, "111111111111");
  EXPECT_EQ(p.prod_account_id, "222222222222");
  EXPECT_EQ(p.bucket, "dev-bucket");
  EXPECT_EQ(p.prefix, "unload/run_");
  EXPECT_EQ(p.secret_role_name, "SM-Read-Role");
  EXPECT_EQ(p.redshift_role_name, "CrossAccount-S3-Write-Role");
  EXPECT_EQ(p.write_role_name, "S3-Write-Role");
  EXPECT_EQ(p.lambda_role_name, "CrossAccount-SM-Read-Role");
  EXPECT_EQ(*p.kms_key_arn,
            "arn:aws:kms:eu-central-1:111111111111:key/0f6f8a1e-3c1b-4f6e-9d7a-5a2b1c0d9e8f");
}

TEST(InfraParams, BadInputIsAUsageErrorNamingTheKey) {
  auto expect_usage = [](const std::string& toml, const std::string& needle) {
    try {
      cu::infra::parse_infra_params(toml, "job.toml");
      ADD_FAILURE() << "accepted: " << toml;
    } catch (const cu::Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      EXPECT_THAT(e.what(), testing::HasSubstr(needle));
    }
  };
  std::string base = kJob;
  expect_usage(base + "dev_account_id = \"333333333333\"\n", "iam_role[1]");  // conflicts
  expect_usage("region = \"eu-central-1\"\nto = \"s3://b-1/p\"\n", "infra.dev_account_id");
  expect_usage(std::string(kJob).replace(std::string(kJob).find("ext-1234"), 8, ""), "external_id");
  expect_usage(base + "log_retention_days = 10\n", "infra.log_retention_days");
  expect_usage(base + "[broken", "job.toml");
  expect_usage(std::string("secret_role_arn = \"arn:aws:iam::2222:role/x\"\n"), "secret_role_arn");
}

TEST(ProdRoles, SecretReadRoleTrustsOnlyTheDevLambdaRoleWithTheExternalId) {
  InfraParams p = cu::infra::parse_infra_params(kJob, "job.toml");
  RoleDoc sm = find(cu::infra::prod_roles(p), "SM-Read-Role");
  EXPECT_EQ(sm.account_id, "222222222222");
  ASSERT_EQ(sm.trust.at("Statement").size(), 1u);
  const json& t = sm.trust.at("Statement")[0];
  EXPECT_EQ(t.at("Effect"), "Allow");
  EXPECT_EQ(t.at("Action"), "sts:AssumeRole");
  EXPECT_EQ(t.at("Principal").at("AWS"), "arn:aws:iam::111111111111:root");
  EXPECT_EQ(t.at("Condition").at("StringEquals").at("sts:ExternalId"), "ext-1234");
  EXPECT_EQ(t.at("Condition").at("ArnEquals").at("aws:PrincipalArn"),
            "arn:aws:iam::111111111111:role/CrossAccount-SM-Read-Role");

  auto st = all_statements(sm);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].at("Action"),
            json::array({"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}));
  EXPECT_EQ(st[0].at("Resource"),
            "arn:aws:secretsmanager:eu-central-1:222222222222:secret:redshift_creds-??????");
}

TEST(ProdRoles, RedshiftRoleIsTrustedByRedshiftAndAssumesOnlyTheDevWriteRole) {
  InfraParams p = cu::infra::parse_infra_params(kJob, "job.toml");
  RoleDoc rs = find(cu::infra::prod_roles(p), "CrossAccount-S3-Write-Role");
  const json& t = rs.trust.at("Statement")[0];
  EXPECT_EQ(t.at("Principal"), json({{"Service", "redshift.amazonaws.com"}}));
  EXPECT_FALSE(t.contains("Condition"));
  auto st = all_statements(rs);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].at("Action"), "sts:AssumeRole");
  EXPECT_EQ(st[0].at("Resource"), "arn:aws:iam::111111111111:role/S3-Write-Role");

  p.redshift_cluster_id = "prod-cluster";
  RoleDoc rs2 = find(cu::infra::prod_roles(p), "CrossAccount-S3-Write-Role");
  EXPECT_EQ(rs2.trust.at("Statement")[0].at("Condition").at("StringLike").at("sts:ExternalId"),
            "arn:aws:redshift:eu-central-1:222222222222:dbuser:prod-cluster/*");
}

TEST(DevRoles, WriteRoleTrustsOnlyTheProdRedshiftRoleAndWritesUnderThePrefix) {
  InfraParams p = cu::infra::parse_infra_params(kJob, "job.toml");
  RoleDoc wr = find(cu::infra::dev_roles(p), "S3-Write-Role");
  EXPECT_EQ(wr.account_id, "111111111111");
  const json& t = wr.trust.at("Statement")[0];
  EXPECT_EQ(t.at("Principal").at("AWS"), "arn:aws:iam::222222222222:root");
  EXPECT_EQ(t.at("Condition").at("ArnEquals").at("aws:PrincipalArn"),
            "arn:aws:iam::222222222222:role/CrossAccount-S3-Write-Role");

  const json& w = statement(wr, "WriteUnderThePrefix");
  EXPECT_EQ(w.at("Action"),
            json::array({"s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"}));
  EXPECT_EQ(w.at("Resource"), "arn:aws:s3:::dev-bucket/unload/run_*");
  const json& l = statement(wr, "ListUnderThePrefix");
  EXPECT_EQ(l.at("Action"), "s3:ListBucket");
  EXPECT_EQ(l.at("Resource"), "arn:aws:s3:::dev-bucket");
  EXPECT_EQ(l.at("Condition").at("StringLike").at("s3:prefix"), json::array({"unload/run_*"}));
  const json& k = statement(wr, "UseOnlyTheUnloadKey");
  EXPECT_EQ(k.at("Action"), json::array({"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}));
  EXPECT_EQ(k.at("Resource"),
            "arn:aws:kms:eu-central-1:111111111111:key/0f6f8a1e-3c1b-4f6e-9d7a-5a2b1c0d9e8f");
  for (const auto& s : all_statements(wr)) {
    EXPECT_NE(s.at("Resource"), "*") << s.dump();
    EXPECT_THAT(s.at("Action").dump(), testing::Not(testing::HasSubstr("s3:DeleteObject")));
  }

  p.allow_delete = true;  // clean_path = true
  RoleDoc wr2 = find(cu::infra::dev_roles(p), "S3-Write-Role");
  EXPECT_THAT(statement(wr2, "WriteUnderThePrefix").at("Action").dump(),
              testing::HasSubstr("s3:DeleteObject"));
}

TEST(DevRoles, LambdaRoleAssumesOnlySecretReadRoleAndStarOnlyForEc2Describe) {
  InfraParams p = cu::infra::parse_infra_params(kJob, "job.toml");
  RoleDoc lr = find(cu::infra::dev_roles(p), "CrossAccount-SM-Read-Role");
  EXPECT_EQ(lr.trust.at("Statement")[0].at("Principal"),
            json({{"Service", "lambda.amazonaws.com"}}));

  int assume = 0;
  for (const auto& s : all_statements(lr)) {
    if (s.at("Action") == "sts:AssumeRole") {
      ++assume;
      EXPECT_EQ(s.at("Resource"), "arn:aws:iam::222222222222:role/SM-Read-Role");
    }
    if (s.at("Resource") == "*") {
      EXPECT_EQ(s.at("Sid"), "DescribeHasNoResourceLevelPermissionSoStar");
      EXPECT_EQ(s.at("Action"),
                json::array({"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}));
    }
  }
  EXPECT_EQ(assume, 1);
  EXPECT_EQ(statement(lr, "WriteOnlyItsOwnLogGroup").at("Resource"),
            "arn:aws:logs:eu-central-1:111111111111:log-group:/aws/lambda/crossunload:*");
  EXPECT_EQ(statement(lr, "CreateInterfacesInTheLambdaSubnets").at("Resource"),
            json::array({"arn:aws:ec2:eu-central-1:111111111111:network-interface/*",
                         "arn:aws:ec2:eu-central-1:111111111111:subnet/subnet-1",
                         "arn:aws:ec2:eu-central-1:111111111111:security-group/sg-1"}));
  // Verification lists the prefix and reads nothing: no GetObject, no KMS.
  EXPECT_EQ(statement(lr, "ListUnderThePrefix").at("Action"), "s3:ListBucket");
  for (const auto& s : all_statements(lr)) {
    EXPECT_THAT(s.at("Action").dump(), testing::Not(testing::HasSubstr("s3:GetObject")));
    EXPECT_THAT(s.at("Action").dump(), testing::Not(testing::HasSubstr("kms:")));
  }
}

TEST(DevRoles, WithoutVpcThereIsNoStarAtAll) {
  std::string job = kJob;
  job = job.substr(0, job.find("[infra]"));
  InfraParams p = cu::infra::parse_infra_params(job, "job.toml");
  for (auto roles : {cu::infra::dev_roles(p), cu::infra::prod_roles(p)})
    for (const auto& r : roles)
      for (const auto& s : all_statements(r)) {
        // As text: comparing the json with "*" trips GCC 12's -Warray-bounds at -O3.
        EXPECT_NE(s.at("Resource").dump(), R"("*")") << s.dump();
      }
}

// Client mode: the job (the Lambda role) assumes S3-Write-Role itself and writes with it
// (no delete without clean_path); the Lambda role keeps no S3 or KMS access.
TEST(DevRoles, ClientModeLetsOnlyTheLambdaRoleAssumeTheWriteRole) {
  std::string job = std::string(kJob).insert(std::string(kJob).find("[infra]"),
                                             "mode = \"client\"\n"
                                             "write_role_arn = "
                                             "\"arn:aws:iam::111111111111:role/S3-Write-Role\"\n");
  InfraParams p = cu::infra::parse_infra_params(job, "job.toml");
  RoleDoc lr = find(cu::infra::dev_roles(p), "CrossAccount-SM-Read-Role");
  std::vector<std::string> assumable;
  for (const auto& s : all_statements(lr)) {
    EXPECT_THAT(s.at("Action").dump(), testing::Not(testing::HasSubstr("s3:"))) << s.dump();
    EXPECT_THAT(s.at("Action").dump(), testing::Not(testing::HasSubstr("kms:"))) << s.dump();
    if (s.at("Action") == "sts:AssumeRole") assumable.push_back(s.at("Resource"));
  }
  EXPECT_THAT(assumable,
              testing::UnorderedElementsAre("arn:aws:iam::222222222222:role/SM-Read-Role",
                                            "arn:aws:iam::111111111111:role/S3-Write-Role"));

  RoleDoc wr = find(cu::infra::dev_roles(p), "S3-Write-Role");
  ASSERT_EQ(wr.trust.at("Statement").size(), 2u);
  const json& t = wr.trust.at("Statement")[1];
  EXPECT_EQ(t.at("Principal").at("AWS"), "arn:aws:iam::111111111111:root");
  EXPECT_EQ(t.at("Condition").at("ArnEquals").at("aws:PrincipalArn"),
            "arn:aws:iam::111111111111:role/CrossAccount-SM-Read-Role");
  // A failed or stopped client-mode run aborts its uploads and has published nothing: the
  // writer may put, not delete (issue 13) — unless the job's clean_path asks for it.
  EXPECT_EQ(statement(wr, "WriteUnderThePrefix").at("Action"),
            json::array({"s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"}));
  p.allow_delete = true;
  EXPECT_THAT(statement(find(cu::infra::dev_roles(p), "S3-Write-Role"), "WriteUnderThePrefix")
                  .at("Action")
                  .dump(),
              testing::HasSubstr("s3:DeleteObject"));

  auto refused = [&](const std::string& text, const std::string& needle) {
    try {
      cu::infra::parse_infra_params(text, "job.toml");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const cu::Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      EXPECT_THAT(e.what(), testing::HasSubstr(needle));
    }
  };
  refused("mode = \"client\"\n" + std::string(kJob), "write_role_arn: missing in client mode");
  refused("write_role_arn = \"arn:aws:iam::111111111111:role/Other\"\n" + std::string(kJob),
          "names role Other");
}

TEST(ProdRoles, SecretGivenAsArnIsNamedExactly) {
  std::string job = kJob;
  job.replace(job.find("\"redshift_creds\""), 16,
              "\"arn:aws:secretsmanager:eu-central-1:222222222222:secret:redshift_creds-AbCdEf\"");
  InfraParams p = cu::infra::parse_infra_params(job, "job.toml");
  RoleDoc sm = find(cu::infra::prod_roles(p), "SM-Read-Role");
  EXPECT_EQ(statement(sm, "ReadOnlyTheConnectionSecret").at("Resource"),
            "arn:aws:secretsmanager:eu-central-1:222222222222:secret:redshift_creds-AbCdEf");
}

}  // namespace

namespace {

std::string with_catalog(const std::string& extra) {
  std::string job = kJob;
  return job.insert(job.find("[infra]"),
                    "catalog_database = \"tickit_dev\"\n"
                    "catalog_table = \"sales\"\n" +
                        extra);
}

bool has_glue(const RoleDoc& r) {
  for (const auto& s : all_statements(r)) {
    if (s.at("Action").dump().find("glue:") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST(DevRoles, CatalogRegistrationOnlyForTheWriteIdentityOnlyOnTheOneTable) {
  // Without catalog_*: no Glue permission anywhere.
  InfraParams plain = cu::infra::parse_infra_params(kJob, "job.toml");
  for (const auto& r : cu::infra::dev_roles(plain)) EXPECT_FALSE(has_glue(r)) << r.name;

  // Server mode: the job registers as its own identity, the Lambda role.
  InfraParams p = cu::infra::parse_infra_params(with_catalog(""), "job.toml");
  RoleDoc lr = find(cu::infra::dev_roles(p), "CrossAccount-SM-Read-Role");
  EXPECT_FALSE(has_glue(find(cu::infra::dev_roles(p), "S3-Write-Role")));
  const json resources =
      json::array({"arn:aws:glue:eu-central-1:111111111111:catalog",
                   "arn:aws:glue:eu-central-1:111111111111:database/tickit_dev",
                   "arn:aws:glue:eu-central-1:111111111111:table/tickit_dev/sales"});
  EXPECT_EQ(statement(lr, "ReadTheCatalogDatabase").at("Action"), "glue:GetDatabase");
  EXPECT_EQ(statement(lr, "ReadTheCatalogDatabase").at("Resource"),
            json::array({"arn:aws:glue:eu-central-1:111111111111:catalog",
                         "arn:aws:glue:eu-central-1:111111111111:database/tickit_dev"}));
  EXPECT_EQ(statement(lr, "CreateOrUpdateTheOneTable").at("Action"),
            json::array({"glue:GetTable", "glue:CreateTable", "glue:UpdateTable"}));
  EXPECT_EQ(statement(lr, "CreateOrUpdateTheOneTable").at("Resource"), resources);
  EXPECT_EQ(statement(lr, "RegisterTheTablesPartitions").at("Action"),
            json::array({"glue:BatchCreatePartition", "glue:BatchUpdatePartition"}));
  EXPECT_EQ(statement(lr, "RegisterTheTablesPartitions").at("Resource"), resources);

  // Client mode with write_role_arn and projection: S3-Write-Role registers, no partition.
  InfraParams c = cu::infra::parse_infra_params(
      with_catalog("mode = \"client\"\n"
                   "write_role_arn = \"arn:aws:iam::111111111111:role/S3-Write-Role\"\n"
                   "catalog_partitions = \"projection\"\n"),
      "job.toml");
  EXPECT_FALSE(has_glue(find(cu::infra::dev_roles(c), "CrossAccount-SM-Read-Role")));
  RoleDoc wr = find(cu::infra::dev_roles(c), "S3-Write-Role");
  EXPECT_EQ(statement(wr, "CreateOrUpdateTheOneTable").at("Resource"), resources);
  EXPECT_THROW(statement(wr, "RegisterTheTablesPartitions"), std::runtime_error);
}

namespace {

// via = "data-api": the PROD role runs statements on the one cluster (or workgroup, named
// by its id), follows only its own statements, and logs in with the one secret, the one
// database user, or its own identity on the one workgroup.
const char* kDataApiJob = R"(
region = "eu-central-1"
via = "data-api"
cluster_id = "prod-cluster"
database = "dev"
to = "s3://dev-bucket/unload/run_"
secret_id = "arn:aws:secretsmanager:eu-central-1:222222222222:secret:redshift_creds-AbC123"
secret_role_arn = "arn:aws:iam::222222222222:role/SM-Read-Role"
external_id = "ext-1234"
iam_role = "arn:aws:iam::222222222222:role/CrossAccount-S3-Write-Role,arn:aws:iam::111111111111:role/S3-Write-Role"
[infra]
function_name = "unload-fn"
)";

std::string data_api_job(const std::string& replace, const std::string& with,
                         const std::string& infra = "") {
  std::string job = kDataApiJob;
  if (!replace.empty()) job.replace(job.find(replace), replace.size(), with);
  return job + infra;
}

TEST(ProdRoles, DataApiRunsOnlyOnTheOneClusterAndFollowsOnlyItsOwnStatements) {
  InfraParams p = cu::infra::parse_infra_params(kDataApiJob, "job.toml");
  RoleDoc sm = find(cu::infra::prod_roles(p), "SM-Read-Role");
  const json& run = statement(sm, "RunStatementsOnlyOnTheOneCluster");
  EXPECT_EQ(run.at("Action"), "redshift-data:ExecuteStatement");
  EXPECT_EQ(run.at("Resource"), "arn:aws:redshift:eu-central-1:222222222222:cluster:prod-cluster");
  const json& own = statement(sm, "FollowOnlyItsOwnStatementsNoResourceLevelPermissionSoStar");
  EXPECT_EQ(own.at("Action"),
            json::array({"redshift-data:DescribeStatement", "redshift-data:GetStatementResult",
                         "redshift-data:CancelStatement"}));
  EXPECT_EQ(own.at("Resource").dump(), R"("*")");
  EXPECT_EQ(own.at("Condition"),
            json::parse(R"({"StringEquals": {"redshift-data:statement-owner-iam-userid":
                                             "${aws:userid}"}})"));
  // The Data API reads the secret with its caller's permissions: GetSecretValue only.
  const json& secret = statement(sm, "ReadOnlyTheConnectionSecret");
  EXPECT_EQ(secret.at("Action"), "secretsmanager:GetSecretValue");
  EXPECT_EQ(secret.at("Resource"),
            "arn:aws:secretsmanager:eu-central-1:222222222222:secret:redshift_creds-AbC123");
  // The trust is the connection path's: the DEV Lambda role with the external id.
  EXPECT_EQ(sm.trust.at("Statement")[0].at("Condition").at("StringEquals").at("sts:ExternalId"),
            "ext-1234");
  for (const auto& s : all_statements(sm)) {
    EXPECT_THAT(s.at("Action").dump(), testing::Not(testing::HasSubstr("ListStatements")));
    EXPECT_THAT(s.at("Action").dump(), testing::Not(testing::HasSubstr("BatchExecute")));
    EXPECT_THAT(s.at("Action").dump(), testing::Not(testing::HasSubstr("GetClusterCredentials")));
  }
}

TEST(ProdRoles, DataApiLogsInWithTheOneDbUserOrOnTheOneWorkgroup) {
  InfraParams u = cu::infra::parse_infra_params(
      data_api_job("secret_id = \"arn:aws:secretsmanager:eu-central-1:222222222222:secret:"
                   "redshift_creds-AbC123\"",
                   "db_user = \"unloader\""),
      "job.toml");
  RoleDoc sm = find(cu::infra::prod_roles(u), "SM-Read-Role");
  const json& creds = statement(sm, "TemporaryCredentialsOnlyForTheOneDbUser");
  EXPECT_EQ(creds.at("Action"), "redshift:GetClusterCredentials");
  EXPECT_EQ(creds.at("Resource"),
            json::array({"arn:aws:redshift:eu-central-1:222222222222:dbuser:prod-cluster/unloader",
                         "arn:aws:redshift:eu-central-1:222222222222:dbname:prod-cluster/dev"}));
  EXPECT_THROW(statement(sm, "ReadOnlyTheConnectionSecret"), std::runtime_error);

  // A workgroup without a secret: the role's own identity (redshift-serverless:GetCredentials).
  std::string wjob = data_api_job("cluster_id = \"prod-cluster\"", "workgroup = \"prod-wg\"",
                                  "workgroup_id = \"0f6f8a1e-3c1b-4f6e-9d7a-5a2b1c0d9e8f\"\n");
  wjob.replace(wjob.find("secret_id"), 0, "#");
  InfraParams w = cu::infra::parse_infra_params(wjob, "job.toml");
  RoleDoc wsm = find(cu::infra::prod_roles(w), "SM-Read-Role");
  const std::string wg =
      "arn:aws:redshift-serverless:eu-central-1:222222222222:workgroup/"
      "0f6f8a1e-3c1b-4f6e-9d7a-5a2b1c0d9e8f";
  EXPECT_EQ(statement(wsm, "RunStatementsOnlyOnTheOneWorkgroup").at("Resource"), wg);
  EXPECT_EQ(statement(wsm, "TemporaryCredentialsOnlyForTheOneWorkgroup").at("Action"),
            "redshift-serverless:GetCredentials");
  EXPECT_EQ(statement(wsm, "TemporaryCredentialsOnlyForTheOneWorkgroup").at("Resource"), wg);
}

TEST(DevRoles, DataApiStateMachineRoleMayOnlyInvokeTheOneFunction) {
  InfraParams p = cu::infra::parse_infra_params(kDataApiJob, "job.toml");
  RoleDoc sf = find(cu::infra::dev_roles(p), "Unload-StateMachine-Role");
  EXPECT_EQ(sf.account_id, "111111111111");
  const json& t = sf.trust.at("Statement")[0];
  EXPECT_EQ(t.at("Principal"), json({{"Service", "states.amazonaws.com"}}));
  EXPECT_EQ(t.at("Condition"),
            json::parse(R"({"StringEquals": {"aws:SourceAccount": "111111111111"},
                            "ArnLike": {"aws:SourceArn":
                              "arn:aws:states:eu-central-1:111111111111:stateMachine:unload-fn"}})"));
  ASSERT_EQ(all_statements(sf).size(), 1u);
  const json& inv = statement(sf, "InvokeOnlyTheUnloadFunction");
  EXPECT_EQ(inv.at("Action"), "lambda:InvokeFunction");
  EXPECT_EQ(inv.at("Resource"), "arn:aws:lambda:eu-central-1:111111111111:function:unload-fn");
  // The Lambda role keeps its connection-path duties minus the VPC.
  RoleDoc lr = find(cu::infra::dev_roles(p), "CrossAccount-SM-Read-Role");
  for (const auto& s : all_statements(lr)) EXPECT_NE(s.at("Resource").dump(), R"("*")");
}

TEST(InfraParams, DataApiRefusesWhatItDoesNotNeedOrCannotScope) {
  auto expect_usage = [](const std::string& toml, const std::string& needle) {
    try {
      cu::infra::parse_infra_params(toml, "job.toml");
      ADD_FAILURE() << "accepted: " << toml;
    } catch (const cu::Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      EXPECT_THAT(e.what(), testing::HasSubstr(needle));
    }
  };
  expect_usage(
      data_api_job("", "", "subnet_ids = [\"subnet-1\"]\nsecurity_group_ids = [\"sg-1\"]\n"),
      "needs no VPC");
  expect_usage(data_api_job("", "", "lambda_cidrs = [\"10.1.0.0/24\"]\n"), "opens no port");
  expect_usage(data_api_job("cluster_id = \"prod-cluster\"", "workgroup = \"prod-wg\""),
               "infra.workgroup_id");
  expect_usage(data_api_job("database = \"dev\"", ""), "database");
  expect_usage(data_api_job("secret_role_arn", "#secret_role_arn"), "secret_role_arn");
  expect_usage(data_api_job("", "", "state_machine_wait_seconds = 0\n"),
               "infra.state_machine_wait_seconds");
  expect_usage(data_api_job("via = \"data-api\"", "via = \"carrier-pigeon\""), "via");
}

}  // namespace
