// The request path goes out as written: an S3 key holding "." or ".." segments, or "//",
// is signed, listed and reported as that key, so libcurl must not resolve the segments
// (RFC 3986 dot-segment removal) and send another key, or with path-style addressing
// another bucket.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "aws/http.h"
#include "aws_credentials_loopback.h"

namespace cu::aws {
namespace {

TEST(AwsHttpPathTest, DotSegmentsAreSentAsTheyAre) {
  std::vector<std::string> targets;
  cu_test::LoopbackServer server([&targets](const cu_test::SeenRequest& r) {
    targets.push_back(r.target);
    return cu_test::Reply{200, "ok"};
  });
  HttpClient client;
  for (const char* path : {"/bucket/a/../other-bucket/x_000", "/bucket/a/./b//c/.", "/bucket/.."}) {
    HttpRequest req{"GET", server.url() + path, {}, ""};
    EXPECT_EQ(client.send(req).status, 200) << path;
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/bucket/a/../other-bucket/x_000",
                                               "/bucket/a/./b//c/.", "/bucket/.."}));
}

}  // namespace
}  // namespace cu::aws
