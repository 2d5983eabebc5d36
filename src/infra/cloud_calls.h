#pragma once
// The few AWS calls teardown needs that src/aws/ does not offer (yet): CloudFormation's
// DescribeStacks / ListStackResources / DeleteStack (Query protocol, XML), Step Functions'
// ListExecutions / StopExecution (JSON), and S3's
// ListObjectVersions / DeleteObjects with version ids (every version and delete marker
// under a prefix, for versioned buckets). Built on aws::ServiceClient (signing, retries,
// errors); candidates to move into src/aws/ once they are needed elsewhere.
//
//   CloudFormation cfn(endpoint, credentials);
//   if (auto s = cfn.describe_stack("crossunload-dev")) ... s->tags ...
//   S3Versions s3(endpoint, credentials, /*path_style=*/true);
//   for (auto& v : s3.list("bucket", "prefix")) ...

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/http_service.h"

namespace cu::infra {

struct StackInfo {
  std::string name, id, status, status_reason;
  std::map<std::string, std::string> tags;
};

struct StackResource {
  std::string logical_id, physical_id, type, status;
};

class CloudFormation {
 public:
  CloudFormation(aws::ServiceEndpoint endpoint, aws::CredentialsProviderPtr credentials);
  // Nullopt when no such stack exists (or it is DELETE_COMPLETE).
  std::optional<StackInfo> describe_stack(const std::string& name) const;
  std::vector<StackResource> list_resources(const std::string& name) const;
  void delete_stack(const std::string& name) const;

 private:
  std::string call(const std::string& operation, const std::string& params,
                   const std::string& resource) const;
  aws::ServiceClient client_;
};

// Step Functions (JSON 1.0, target AWSStepFunctions.*): the running executions of a state
// machine and StopExecution, so that teardown ends them before the stack deletes the
// state machine (which would otherwise wait for their next state transition).
class StepFunctions {
 public:
  StepFunctions(aws::ServiceEndpoint endpoint, aws::CredentialsProviderPtr credentials);
  // ARNs of the RUNNING executions (all pages); empty when the state machine does not exist.
  std::vector<std::string> running_executions(const std::string& state_machine_arn) const;
  void stop_execution(const std::string& execution_arn, const std::string& cause) const;

 private:
  std::string call(const std::string& operation, const std::string& body,
                   const std::string& resource) const;
  aws::ServiceClient client_;
};

struct ObjectVersion {
  std::string key, version_id;  // version_id "null" for objects written before versioning
  std::uint64_t size = 0;
  bool delete_marker = false;
};

class S3Versions {
 public:
  S3Versions(aws::ServiceEndpoint endpoint, aws::CredentialsProviderPtr credentials,
             bool path_style);
  // Every version and delete marker under `prefix` (all pages).
  std::vector<ObjectVersion> list(const std::string& bucket, const std::string& prefix) const;
  // Deletes exactly these versions, 1,000 per request; throws naming the first refused key.
  void remove(const std::string& bucket, const std::vector<ObjectVersion>& versions) const;

 private:
  std::string path(const std::string& bucket) const;
  aws::ServiceEndpoint endpoint_;
  aws::CredentialsProviderPtr credentials_;
  bool path_style_;
};

// Pure parts, unit-tested.
std::optional<StackInfo> parse_describe_stacks(std::string_view xml);
std::vector<StackResource> parse_list_stack_resources(std::string_view xml, std::string* next);
std::vector<ObjectVersion> parse_list_object_versions(std::string_view xml, std::string* key_marker,
                                                      std::string* version_marker);
std::string delete_versions_body(const std::vector<ObjectVersion>& versions, std::size_t begin,
                                 std::size_t end);
std::string form_encode(std::string_view s);

}  // namespace cu::infra
