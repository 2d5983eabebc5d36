// The pure parts of teardown's AWS calls: responses as AWS documents them (CloudFormation
// API reference, S3 ListObjectVersions / DeleteObjects examples), written out here.
#include <gtest/gtest.h>

#include "aws/credentials.h"
#include "aws_credentials_loopback.h"
#include "base/error.h"
#include "infra/cloud_calls.h"

namespace {

using namespace cu::infra;

TEST(CloudCalls, DescribeStacksReadsStatusAndTags) {
  auto s = parse_describe_stacks(
      R"(<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks><member>
    <StackName>crossunload-dev</StackName>
    <StackId>arn:aws:cloudformation:eu-central-1:111111111111:stack/crossunload-dev/abc</StackId>
    <StackStatus>CREATE_COMPLETE</StackStatus>
    <Tags><member><Key>crossunload:stack</Key><Value>crossunload-dev</Value></member>
          <member><Key>team</Key><Value>data</Value></member></Tags>
  </member></Stacks></DescribeStacksResult></DescribeStacksResponse>)");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "crossunload-dev");
  EXPECT_EQ(s->status, "CREATE_COMPLETE");
  EXPECT_EQ(s->tags.at("crossunload:stack"), "crossunload-dev");
  EXPECT_EQ(s->tags.size(), 2u);

  EXPECT_FALSE(
      parse_describe_stacks(R"(<DescribeStacksResponse><DescribeStacksResult><Stacks><member>
    <StackName>x</StackName><StackStatus>DELETE_COMPLETE</StackStatus></member></Stacks>
    </DescribeStacksResult></DescribeStacksResponse>)"));
}

TEST(CloudCalls, ListStackResourcesFollowsNextToken) {
  std::string next;
  auto r = parse_list_stack_resources(R"(<ListStackResourcesResponse><ListStackResourcesResult>
    <StackResourceSummaries><member><LogicalResourceId>LambdaRole</LogicalResourceId>
      <PhysicalResourceId>CrossAccount-SM-Read-Role</PhysicalResourceId>
      <ResourceType>AWS::IAM::Role</ResourceType><ResourceStatus>CREATE_COMPLETE</ResourceStatus>
    </member></StackResourceSummaries><NextToken>page2</NextToken>
    </ListStackResourcesResult></ListStackResourcesResponse>)",
                                      &next);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].physical_id, "CrossAccount-SM-Read-Role");
  EXPECT_EQ(r[0].type, "AWS::IAM::Role");
  EXPECT_EQ(next, "page2");
}

TEST(CloudCalls, ListObjectVersionsReadsVersionsMarkersAndPaging) {
  std::string km, vm;
  auto v = parse_list_object_versions(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>p/</Prefix><IsTruncated>true</IsTruncated>
  <NextKeyMarker>p/b</NextKeyMarker><NextVersionIdMarker>v9</NextVersionIdMarker>
  <Version><Key>p/a</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest><Size>434234</Size></Version>
  <DeleteMarker><Key>p/b</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest></DeleteMarker>
  <Version><Key>p/b</Key><VersionId>null</VersionId><IsLatest>false</IsLatest><Size>3</Size></Version>
</ListVersionsResult>)",
                                      &km, &vm);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].key, "p/a");
  EXPECT_EQ(v[0].size, 434234u);
  EXPECT_TRUE(v[1].delete_marker);
  EXPECT_EQ(v[2].version_id, "null");
  EXPECT_EQ(km, "p/b");
  EXPECT_EQ(vm, "v9");
}

TEST(CloudCalls, DeleteBodyNamesEveryVersionAndEscapesKeys) {
  std::vector<ObjectVersion> v = {
      {"a&b<c", "v1", 0, false}, {"d", "v2", 0, true}, {"e", "", 0, false}};
  EXPECT_EQ(delete_versions_body(v, 0, 2),
            R"(<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>)"
            R"(<Object><Key>a&amp;b&lt;c</Key><VersionId>v1</VersionId></Object>)"
            R"(<Object><Key>d</Key><VersionId>v2</VersionId></Object></Delete>)");
  EXPECT_EQ(form_encode("a b/c"), "a%20b%2Fc");
}

// Deleting versions: the call is DeleteObjects with version ids, and IAM checks
// s3:DeleteObjectVersion for it (Amazon S3 API reference, DeleteObjects, "Permissions": "If
// you specify the versionId ... s3:DeleteObjectVersion"), not s3:DeleteObject. A refusal,
// of the whole request (HTTP 403) or of one key in a 200 answer, is exit 3 naming that
// action. The server is a loopback stand-in that answers as S3 documents it.
class S3VersionsRefusal : public ::testing::Test {
 protected:
  static std::string error_of(cu_test::LoopbackServer& server) {
    S3Versions s3({"s3", "us-east-1", server.url()},
                  cu::aws::static_credentials({"AKIDEXAMPLE", "secret", "", {}, "test"}),
                  /*path_style=*/true);
    try {
      s3.remove("bucket", {{"p/a", "v1", 0, false}, {"p/b", "null", 0, true}});
    } catch (const cu::Error& e) {
      exit_code = e.exit_code();
      return e.what();
    }
    return "no error";
  }
  static inline int exit_code = 0;
};

TEST_F(S3VersionsRefusal, RefusedRequestNamesDeleteObjectVersion) {
  cu_test::LoopbackServer server([](const cu_test::SeenRequest&) {
    return cu_test::Reply{403,
                          "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
                          "<RequestId>REQ403</RequestId></Error>"};
  });
  std::string what = error_of(server);
  EXPECT_EQ(exit_code, 3) << what;
  EXPECT_NE(what.find("(s3:DeleteObjectVersion, HTTP 403)"), std::string::npos) << what;
  EXPECT_NE(what.find("must allow s3:DeleteObjectVersion;"), std::string::npos) << what;
  EXPECT_NE(what.find("REQ403"), std::string::npos) << what;
  ASSERT_EQ(server.seen().size(), 1u);  // a refusal is not retried
  EXPECT_EQ(server.seen()[0].method, "POST");
  EXPECT_EQ(server.seen()[0].target, "/bucket/?delete=");
  EXPECT_NE(server.seen()[0].body.find("<VersionId>v1</VersionId>"), std::string::npos);
}

TEST_F(S3VersionsRefusal, RefusedKeyInA200AnswerNamesDeleteObjectVersion) {
  cu_test::LoopbackServer server([](const cu_test::SeenRequest&) {
    return cu_test::Reply{200,
                          R"(<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Error><Key>p/b</Key><VersionId>null</VersionId><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
</DeleteResult>)"};
  });
  std::string what = error_of(server);
  EXPECT_EQ(exit_code, 3) << what;
  EXPECT_NE(what.find("s3://bucket/p/b"), std::string::npos) << what;
  EXPECT_NE(what.find("(s3:DeleteObjectVersion)"), std::string::npos) << what;
  EXPECT_NE(what.find("[AccessDenied]"), std::string::npos) << what;
}

TEST_F(S3VersionsRefusal, OtherKeyErrorIsTheDestinations) {
  cu_test::LoopbackServer server([](const cu_test::SeenRequest&) {
    return cu_test::Reply{200,
                          R"(<DeleteResult><Error><Key>p/a</Key><VersionId>v1</VersionId>)"
                          R"(<Code>InternalError</Code><Message>We encountered an internal error. )"
                          R"(Please try again.</Message></Error></DeleteResult>)"};
  });
  std::string what = error_of(server);
  EXPECT_EQ(exit_code, 5) << what;
  EXPECT_NE(what.find("delete object versions s3://bucket/p/a"), std::string::npos) << what;
  EXPECT_NE(what.find("[InternalError]"), std::string::npos) << what;
}

}  // namespace
