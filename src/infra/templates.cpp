#include "infra/templates.h"

#include <fmt/format.h>

#include <fstream>
#include <system_error>

#include "base/error.h"
#include "infra/policies.h"

namespace cu::infra {

using nlohmann::json;

namespace {

json tags(const std::string& stack) {
  return json::array({json{{"Key", kStackTag}, {"Value", stack}},
                      json{{"Key", kManagedByTag}, {"Value", "crossunload"}}});
}

json role_resource(const RoleDoc& r, const std::string& stack) {
  json policies = json::array();
  for (const auto& pol : r.policies) {
    policies.push_back({{"PolicyName", pol.name}, {"PolicyDocument", pol.document}});
  }
  return {{"Type", "AWS::IAM::Role"},
          {"Properties",
           {{"RoleName", r.name},
            {"Description", r.description},
            {"AssumeRolePolicyDocument", r.trust},
            {"Policies", policies},
            {"MaxSessionDuration", 3600},
            {"Tags", tags(stack)}}}};
}

json base_template(const std::string& description) {
  return {{"AWSTemplateFormatVersion", "2010-09-09"},
          {"Description", description},
          {"Resources", json::object()},
          {"Outputs", json::object()}};
}

void add_roles(json& t, const std::vector<RoleDoc>& roles, const std::string& stack) {
  for (const auto& r : roles) {
    t["Resources"][r.logical_id] = role_resource(r, stack);
    t["Outputs"][r.logical_id + "Arn"] = {
        {"Description", "ARN of " + r.name},
        {"Value", {{"Fn::GetAtt", json::array({r.logical_id, "Arn"})}}}};
  }
}

void write_file(const std::filesystem::path& path, const json& value) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << value.dump(2) << '\n';
  out.close();
  if (ec || !out) {
    throw Error(ErrorKind::kDestination, "write infrastructure", path.string(),
                ec ? ec.message() : "cannot write the file");
  }
}

}  // namespace

json prod_template(const InfraParams& p) {
  const std::string stack = p.prod_stack();
  json t = base_template(fmt::format(
      "crossunload {} (PROD account {}): the role that reads the Redshift connection secret "
      "and the role Redshift assumes to chain into the DEV write role.",
      stack, p.prod_account_id));
  add_roles(t, prod_roles(p, Target::kTemplate), stack);

  if (p.create_secret) {
    json fields = {{"engine", "redshift"},
                   {"host", p.secret_host},
                   {"port", p.redshift_port},
                   {"dbname", p.secret_dbname},
                   {"username", p.secret_username}};
    json props = {{"Name", p.secret_name()},
                  {"Description", "crossunload: Redshift connection for " + stack +
                                      " (password generated; set the database user's password "
                                      "to it or put your own)"},
                  {"GenerateSecretString",
                   {{"SecretStringTemplate", fields.dump()},
                    {"GenerateStringKey", "password"},
                    {"PasswordLength", 32},
                    {"ExcludeCharacters", "\"'@/\\` "}}},
                  {"Tags", tags(stack)}};
    if (p.secret_kms_key_arn) {
      props["KmsKeyId"] = *p.secret_kms_key_arn;
    }
    t["Resources"]["Secret"] = {{"Type", "AWS::SecretsManager::Secret"}, {"Properties", props}};
    t["Outputs"]["SecretArn"] = {{"Description", "ARN of the connection secret"},
                                 {"Value", {{"Ref", "Secret"}}}};
  }

  if (p.redshift_security_group_id) {
    // Security-group rules take no tags; the description names the stack instead.
    int n = 0;
    for (const auto& cidr : p.lambda_cidrs) {
      t["Resources"][fmt::format("LambdaSubnetIngress{}", ++n)] = {
          {"Type", "AWS::EC2::SecurityGroupIngress"},
          {"Properties",
           {{"GroupId", *p.redshift_security_group_id},
            {"IpProtocol", "tcp"},
            {"FromPort", p.redshift_port},
            {"ToPort", p.redshift_port},
            {"CidrIp", cidr},
            {"Description", fmt::format("{}={}: Lambda subnet to Redshift", kStackTag, stack)}}}};
    }
  }
  return t;
}

json dev_template(const InfraParams& p) {
  const std::string stack = p.dev_stack();
  json t = base_template(fmt::format(
      "crossunload {} (DEV account {}): the Lambda function and its execution role, the role "
      "that writes UNLOAD's files under s3://{}/{}, and the function's log group.",
      stack, p.dev_account_id, p.bucket, p.prefix));
  add_roles(t, dev_roles(p, Target::kTemplate), stack);

  t["Resources"]["LogGroup"] = {{"Type", "AWS::Logs::LogGroup"},
                                {"DeletionPolicy", "Delete"},
                                {"UpdateReplacePolicy", "Delete"},
                                {"Properties",
                                 {{"LogGroupName", p.log_group_name()},
                                  {"RetentionInDays", p.log_retention_days},
                                  {"Tags", tags(stack)}}}};

  if (p.code_s3_bucket) {
    json props = {{"FunctionName", p.function_name},
                  {"Description", "crossunload: cross-account UNLOAD job (" + stack + ")"},
                  {"Runtime", "provided.al2023"},
                  {"Handler", "bootstrap"},
                  {"Architectures", json::array({"x86_64"})},
                  {"Role", {{"Fn::GetAtt", json::array({"LambdaRole", "Arn"})}}},
                  {"Code", {{"S3Bucket", *p.code_s3_bucket}, {"S3Key", p.code_s3_key}}},
                  {"Timeout", p.lambda_timeout_seconds},
                  {"MemorySize", p.lambda_memory_mb},
                  {"EphemeralStorage", {{"Size", p.lambda_ephemeral_mb}}},
                  {"Environment", {{"Variables", {{"CU_LOG_JSON", "1"}}}}},
                  {"Tags", tags(stack)}};
    if (p.in_vpc()) {
      props["VpcConfig"] = {{"SubnetIds", p.subnet_ids},
                            {"SecurityGroupIds", p.security_group_ids}};
    }
    t["Resources"]["Function"] = {{"Type", "AWS::Lambda::Function"},
                                  {"DependsOn", json::array({"LogGroup"})},
                                  {"Properties", props}};
    t["Outputs"]["FunctionArn"] = {{"Description", "ARN of the Lambda function"},
                                   {"Value", {{"Fn::GetAtt", json::array({"Function", "Arn"})}}}};
  }

  if (p.data_api) {
    json sm = {{"Type", "AWS::StepFunctions::StateMachine"},
               {"Properties",
                {{"StateMachineName", p.state_machine_name},
                 {"StateMachineType", "STANDARD"},
                 {"RoleArn", {{"Fn::GetAtt", json::array({"StateMachineRole", "Arn"})}}},
                 {"DefinitionString", state_machine_definition(p).dump()},
                 {"Tags", tags(stack)}}}};
    if (p.code_s3_bucket) {
      sm["DependsOn"] = json::array({"Function"});
    }
    t["Resources"]["StateMachine"] = sm;
    t["Outputs"]["StateMachineArn"] = {{"Description", "ARN of the Step Functions state machine"},
                                       {"Value", {{"Ref", "StateMachine"}}}};
  }
  return t;
}

json state_machine_definition(const InfraParams& p) {
  // The job's event is kept under "job" so that it can be merged, unchanged, with the
  // action of each invocation (States.JsonMerge): the function refuses unknown keys.
  auto invoke = [&](const std::string& payload) {
    return json{{"Type", "Task"},
                {"Resource", fmt::format("arn:{}:states:::lambda:invoke", p.partition)},
                {"Parameters", {{"FunctionName", p.function_arn()}, {"Payload.$", payload}}}};
  };
  const json catch_all = json::array({json{{"ErrorEquals", json::array({"States.ALL"})},
                                           {"ResultPath", "$.error"},
                                           {"Next", "Failed"}}});
  auto retry = [](json errors) {
    return json::array({json{{"ErrorEquals", std::move(errors)},
                             {"IntervalSeconds", 2},
                             {"MaxAttempts", 5},
                             {"BackoffRate", 2}}});
  };

  json submit = invoke("States.JsonMerge($.job, $.submit, false)");
  submit["ResultSelector"] = {{"action", "check"}, {"statement_id.$", "$.Payload.job_token"}};
  submit["ResultPath"] = "$.check";
  // Only throttling: the function did not run, so nothing was submitted twice.
  submit["Retry"] = retry(json::array({"Lambda.TooManyRequestsException"}));
  submit["Catch"] = catch_all;
  submit["Next"] = "Wait";

  json check = invoke("States.JsonMerge($.job, $.check, false)");
  // A summary of the report: the full report lists every file and may outgrow the 256 KB
  // a state may pass on.
  check["ResultSelector"] = {{"status.$", "$.Payload.status"},
                             {"statement_id.$", "$.Payload.statement_id"},
                             {"rows.$", "$.Payload.rows"},
                             {"bytes.$", "$.Payload.bytes"},
                             {"destination.$", "$.Payload.destination"},
                             {"manifest.$", "$.Payload.manifest"}};
  check["ResultPath"] = "$.result";
  check["Retry"] =
      retry(json::array({"Lambda.ServiceException", "Lambda.AWSLambdaException",
                         "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}));
  check["Catch"] = catch_all;
  check["Next"] = "Ended";

  return {
      {"Comment",
       fmt::format("crossunload {}: submit the UNLOAD through the Redshift Data API, then check "
                   "it every {} s until it ends (input: the job's event)",
                   p.dev_stack(), p.state_machine_wait_seconds)},
      {"StartAt", "Prepare"},
      {"TimeoutSeconds", kStateMachineTimeoutSeconds},
      {"States",
       {{"Prepare",
         {{"Type", "Pass"},
          {"Parameters", {{"job.$", "$"}, {"submit", {{"action", "submit"}}}}},
          {"Next", "Submit"}}},
        {"Submit", submit},
        {"Wait", {{"Type", "Wait"}, {"Seconds", p.state_machine_wait_seconds}, {"Next", "Check"}}},
        {"Check", check},
        {"Ended",
         {{"Type", "Choice"},
          {"Choices", json::array({json{{"Variable", "$.result.status"},
                                        {"StringEquals", "running"},
                                        {"Next", "Wait"}},
                                   json{{"Variable", "$.result.status"},
                                        {"StringEquals", "ok"},
                                        {"Next", "Unloaded"}}})},
          {"Default", "UnexpectedStatus"}}},
        // The execution's output: the check's summary of the report.
        {"Unloaded", {{"Type", "Pass"}, {"InputPath", "$.result"}, {"End", true}}},
        {"UnexpectedStatus",
         {{"Type", "Fail"},
          {"Error", "crossunload.UnexpectedStatus"},
          {"Cause", "the check answered a status other than running or ok"}}},
        {"Failed",
         {{"Type", "Fail"}, {"ErrorPath", "$.error.Error"}, {"CausePath", "$.error.Cause"}}}}}};
}

json bucket_lifecycle(const InfraParams& p) {
  json filter = p.prefix.empty() ? json::object() : json{{"Prefix", p.prefix}};
  return {{"Rules",
           json::array({json{{"ID", p.dev_stack() + "-abort-incomplete-uploads"},
                             {"Filter", filter},
                             {"Status", "Enabled"},
                             {"AbortIncompleteMultipartUpload",
                              {{"DaysAfterInitiation", kAbortIncompleteUploadsAfterDays}}}}})}};
}

std::vector<std::string> write_infra(const InfraParams& p, const std::filesystem::path& dir) {
  std::vector<std::string> written;
  auto put = [&](const std::string& rel, const json& value) {
    write_file(dir / rel, value);
    written.push_back(rel);
  };
  put("prod.template.json", prod_template(p));
  put("dev.template.json", dev_template(p));
  put("dev.bucket-lifecycle.json", bucket_lifecycle(p));
  if (p.data_api) {
    put("dev.state-machine.asl.json", state_machine_definition(p));
  }
  for (const auto& [side, roles] : {std::pair{std::string("prod"), prod_roles(p)},
                                    std::pair{std::string("dev"), dev_roles(p)}}) {
    for (const auto& r : roles) {
      put(fmt::format("policies/{}/{}.trust.json", side, r.name), r.trust);
      for (const auto& pol : r.policies) {
        put(fmt::format("policies/{}/{}.{}.json", side, r.name, pol.name), pol.document);
      }
    }
  }
  return written;
}

}  // namespace cu::infra
