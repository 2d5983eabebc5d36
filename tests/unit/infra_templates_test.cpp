// The two CloudFormation templates and the files `crossunload infra` writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "infra/infra_params.h"
#include "infra/templates.h"

namespace {

using nlohmann::json;

cu::infra::InfraParams example() {
  return cu::infra::load_infra_params(std::filesystem::path(CU_SOURCE_DIR) /
                                      "deploy/job.example.toml");
}

json tags_of(const json& resource) { return resource.at("Properties").at("Tags"); }

void expect_tagged(const json& resource, const std::string& stack) {
  EXPECT_THAT(tags_of(resource),
              testing::Contains(json{{"Key", "crossunload:stack"}, {"Value", stack}}))
      << resource.dump();
}

TEST(ProdTemplate, HoldsTheTwoRolesAndTheIngressRulesAllTagged) {
  json t = cu::infra::prod_template(example());
  EXPECT_EQ(t.at("AWSTemplateFormatVersion"), "2010-09-09");
  const json& r = t.at("Resources");
  EXPECT_EQ(r.at("SecretReadRole").at("Properties").at("RoleName"), "SM-Read-Role");
  EXPECT_EQ(r.at("RedshiftChainRole").at("Properties").at("RoleName"),
            "CrossAccount-S3-Write-Role");
  EXPECT_FALSE(r.contains("Secret"));
  int ingress = 0;
  for (const auto& [id, res] : r.items()) {
    if (res.at("Type") == "AWS::EC2::SecurityGroupIngress") {
      ++ingress;
      const json& pr = res.at("Properties");
      EXPECT_EQ(pr.at("GroupId"), "sg-0fedcba9876543210");
      EXPECT_EQ(pr.at("FromPort"), 5439);
      EXPECT_EQ(pr.at("ToPort"), 5439);
      EXPECT_EQ(pr.at("IpProtocol"), "tcp");
      EXPECT_THAT(pr.at("Description").get<std::string>(),
                  testing::HasSubstr("crossunload:stack=crossunload-prod"));
    } else {
      expect_tagged(res, "crossunload-prod");
    }
  }
  EXPECT_EQ(ingress, 2);  // one per Lambda subnet CIDR
}

TEST(ProdTemplate, CreatesTheSecretWithAGeneratedPasswordWhenAsked) {
  auto p = example();
  p.create_secret = true;
  p.secret_host = "cluster.example.internal";
  p.secret_username = "unloader";
  json t = cu::infra::prod_template(p);
  const json& s = t.at("Resources").at("Secret");
  EXPECT_EQ(s.at("Type"), "AWS::SecretsManager::Secret");
  expect_tagged(s, "crossunload-prod");
  const json& g = s.at("Properties").at("GenerateSecretString");
  EXPECT_EQ(g.at("GenerateStringKey"), "password");
  json fields = json::parse(g.at("SecretStringTemplate").get<std::string>());
  EXPECT_EQ(fields.at("host"), "cluster.example.internal");
  EXPECT_EQ(fields.at("port"), 5439);
  EXPECT_EQ(fields.at("username"), "unloader");
  EXPECT_FALSE(fields.contains("password"));
  // The role reads the secret the stack creates, by reference.
  const json& st = t.at("Resources")
                       .at("SecretReadRole")
                       .at("Properties")
                       .at("Policies")[0]
                       .at("PolicyDocument")
                       .at("Statement")[0];
  EXPECT_EQ(st.at("Resource"), json({{"Ref", "Secret"}}));
}

TEST(DevTemplate, HoldsTheFunctionItsLogGroupAndRolesAllTagged) {
  json t = cu::infra::dev_template(example());
  const json& r = t.at("Resources");
  for (const auto& [id, res] : r.items()) expect_tagged(res, "crossunload-dev");
  const json& f = r.at("Function").at("Properties");
  EXPECT_EQ(f.at("Runtime"), "provided.al2023");
  EXPECT_EQ(f.at("Architectures"), json::array({"x86_64"}));
  EXPECT_EQ(f.at("FunctionName"), "crossunload-unload");
  // 2 GB of /tmp by default: room for PARTITION BY's spool (docs/deploy.md).
  EXPECT_EQ(f.at("EphemeralStorage"), json({{"Size", 2048}}));
  EXPECT_EQ(f.at("Role"), json({{"Fn::GetAtt", {"LambdaRole", "Arn"}}}));
  EXPECT_EQ(f.at("Code"),
            json({{"S3Bucket", "dev-deploy-artifacts"}, {"S3Key", "crossunload/function.zip"}}));
  EXPECT_EQ(f.at("VpcConfig").at("SubnetIds"),
            json::array({"subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60718"}));
  EXPECT_EQ(f.at("VpcConfig").at("SecurityGroupIds"), json::array({"sg-0123456789abcdef0"}));
  const json& lg = r.at("LogGroup").at("Properties");
  EXPECT_EQ(lg.at("LogGroupName"), "/aws/lambda/crossunload-unload");
  EXPECT_EQ(lg.at("RetentionInDays"), 14);
  EXPECT_EQ(r.at("LambdaRole").at("Properties").at("RoleName"), "CrossAccount-SM-Read-Role");
  EXPECT_EQ(r.at("WriteRole").at("Properties").at("RoleName"), "S3-Write-Role");
}

TEST(DevTemplate, HasNoFunctionWithoutACodeLocation) {
  auto p = example();
  p.code_s3_bucket.reset();
  EXPECT_FALSE(cu::infra::dev_template(p).at("Resources").contains("Function"));
}

// A run killed mid-write leaves incomplete multipart uploads: the bucket's rule for the
// prefix aborts them after a day (S3 PutBucketLifecycleConfiguration's shape).
TEST(BucketLifecycle, AbortsIncompleteUploadsUnderThePrefixAfterOneDay) {
  auto p = example();
  json rules = cu::infra::bucket_lifecycle(p).at("Rules");
  ASSERT_EQ(rules.size(), 1u);
  const json& r = rules[0];
  EXPECT_EQ(r.at("Status"), "Enabled");
  EXPECT_EQ(r.at("Filter"), json({{"Prefix", p.prefix}}));
  EXPECT_EQ(r.at("AbortIncompleteMultipartUpload"), json({{"DaysAfterInitiation", 1}}));
  EXPECT_EQ(r.at("ID"), p.dev_stack() + "-abort-incomplete-uploads");
  EXPECT_FALSE(r.contains("Expiration")) << "the rule must never expire objects";
  EXPECT_FALSE(p.prefix.empty());
}

TEST(WriteInfra, WritesTemplatesAndOnePolicyFilePerDocument) {
  auto dir =
      std::filesystem::temp_directory_path() / ("cu-infra-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto files = cu::infra::write_infra(example(), dir);
  EXPECT_THAT(files, testing::IsSupersetOf({
                         "prod.template.json",
                         "dev.template.json",
                         "dev.bucket-lifecycle.json",
                         "policies/prod/SM-Read-Role.trust.json",
                         "policies/prod/SM-Read-Role.read-connection-secret.json",
                         "policies/prod/CrossAccount-S3-Write-Role.trust.json",
                         "policies/prod/CrossAccount-S3-Write-Role.assume-dev-write-role.json",
                         "policies/dev/CrossAccount-SM-Read-Role.trust.json",
                         "policies/dev/CrossAccount-SM-Read-Role.assume-secret-read-role.json",
                         "policies/dev/S3-Write-Role.trust.json",
                         "policies/dev/S3-Write-Role.write-under-prefix.json",
                     }));
  for (const auto& f : files) {
    std::ifstream in(dir / f);
    ASSERT_TRUE(in) << f;
    json doc = json::parse(in);  // every file is JSON
    if (f.find("policies/") == 0) {
      EXPECT_EQ(doc.at("Version"), "2012-10-17") << f;
    }
  }
  std::filesystem::remove_all(dir);
}

cu::infra::InfraParams data_api_example() {
  return cu::infra::load_infra_params(std::filesystem::path(CU_SOURCE_DIR) /
                                      "deploy/job.data-api.example.toml");
}

// via = "data-api": no VPC configuration, no ingress rule; the state machine and its role.
TEST(DataApiTemplates, NoVpcNoIngressAndAStateMachineWithItsRole) {
  auto p = data_api_example();
  json prod = cu::infra::prod_template(p);
  for (const auto& [id, res] : prod.at("Resources").items()) {
    EXPECT_NE(res.at("Type"), "AWS::EC2::SecurityGroupIngress") << id;
  }
  json dev = cu::infra::dev_template(p);
  const json& r = dev.at("Resources");
  for (const auto& [id, res] : r.items()) expect_tagged(res, "crossunload-dev");
  EXPECT_FALSE(r.at("Function").at("Properties").contains("VpcConfig"));
  const json& sm = r.at("StateMachine");
  EXPECT_EQ(sm.at("Type"), "AWS::StepFunctions::StateMachine");
  EXPECT_EQ(sm.at("DependsOn"), json::array({"Function"}));
  const json& props = sm.at("Properties");
  EXPECT_EQ(props.at("StateMachineName"), "crossunload-unload");
  EXPECT_EQ(props.at("StateMachineType"), "STANDARD");
  EXPECT_EQ(props.at("RoleArn"), json({{"Fn::GetAtt", {"StateMachineRole", "Arn"}}}));
  EXPECT_EQ(json::parse(props.at("DefinitionString").get<std::string>()),
            cu::infra::state_machine_definition(p));
  EXPECT_EQ(r.at("StateMachineRole").at("Properties").at("RoleName"), "Unload-StateMachine-Role");
  EXPECT_EQ(dev.at("Outputs").at("StateMachineArn").at("Value"), json({{"Ref", "StateMachine"}}));
}

TEST(DataApiTemplates, ConnectionJobsHaveNoStateMachine) {
  EXPECT_FALSE(cu::infra::dev_template(example()).at("Resources").contains("StateMachine"));
  EXPECT_FALSE(cu::infra::dev_template(example()).at("Resources").contains("StateMachineRole"));
}

// The loop, state by state: Prepare keeps the event under "job"; Submit invokes the
// function with action submit and keeps the job token as the check's statement_id; Wait;
// Check invokes it with action check; running waits again, ok ends with the summary, any
// invocation error fails with its errorType and message.
TEST(DataApiTemplates, StateMachineSubmitsWaitsAndChecksUntilTheStatementEnds) {
  json d = cu::infra::state_machine_definition(data_api_example());
  EXPECT_EQ(d.at("StartAt"), "Prepare");
  EXPECT_EQ(d.at("TimeoutSeconds"), 25 * 3600);
  const json& s = d.at("States");
  EXPECT_EQ(s.at("Prepare").at("Parameters"),
            json::parse(R"J({"job.$": "$", "submit": {"action": "submit"}})J"));
  const json& submit = s.at("Submit");
  EXPECT_EQ(submit.at("Resource"), "arn:aws:states:::lambda:invoke");
  EXPECT_EQ(submit.at("Parameters"), json::parse(R"J({"FunctionName":
                              "arn:aws:lambda:eu-central-1:111111111111:function:crossunload-unload",
                            "Payload.$": "States.JsonMerge($.job, $.submit, false)"})J"));
  EXPECT_EQ(submit.at("ResultSelector"),
            json::parse(R"J({"action": "check", "statement_id.$": "$.Payload.job_token"})J"));
  EXPECT_EQ(submit.at("ResultPath"), "$.check");
  EXPECT_EQ(submit.at("Retry")[0].at("ErrorEquals"),
            json::array({"Lambda.TooManyRequestsException"}));
  EXPECT_EQ(submit.at("Next"), "Wait");
  EXPECT_EQ(s.at("Wait"), json::parse(R"J({"Type": "Wait", "Seconds": 60, "Next": "Check"})J"));
  const json& check = s.at("Check");
  EXPECT_EQ(check.at("Parameters").at("Payload.$"), "States.JsonMerge($.job, $.check, false)");
  EXPECT_EQ(check.at("ResultSelector").at("status.$"), "$.Payload.status");
  EXPECT_EQ(check.at("ResultPath"), "$.result");
  EXPECT_EQ(check.at("Next"), "Ended");
  for (const json* task : {&submit, &check}) {
    EXPECT_EQ(task->at("Catch"),
              json::parse(R"J([{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                               "Next": "Failed"}])J"));
  }
  const json& ended = s.at("Ended");
  EXPECT_EQ(
      ended.at("Choices"),
      json::parse(R"J([{"Variable": "$.result.status", "StringEquals": "running", "Next": "Wait"},
                            {"Variable": "$.result.status", "StringEquals": "ok", "Next": "Unloaded"}])J"));
  EXPECT_EQ(ended.at("Default"), "UnexpectedStatus");
  EXPECT_EQ(s.at("Unloaded"),
            json::parse(R"J({"Type": "Pass", "InputPath": "$.result", "End": true})J"));
  EXPECT_EQ(s.at("Failed"), json::parse(R"J({"Type": "Fail", "ErrorPath": "$.error.Error",
                                            "CausePath": "$.error.Cause"})J"));
  EXPECT_EQ(s.at("UnexpectedStatus").at("Type"), "Fail");
}

}  // namespace
