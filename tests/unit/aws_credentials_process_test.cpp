// credential_process: real child processes (small sh scripts written by the test), their
// JSON, exit statuses, and the word splitting of the command line (no shell involved).

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "aws/credentials.h"
#include "aws/credentials_providers.h"
#include "base/error.h"
#include "base/redact.h"
#include "error_of.h"
#include "temp_dir.h"

using namespace cu::aws;
namespace fs = std::filesystem;
using cu_test::error_of;

namespace {

TEST(AwsCredentialsProcess, SplitsLikeAShellWithoutOne) {
  EXPECT_EQ(split_command("aws configure export-credentials --profile x --format process"),
            (std::vector<std::string>{"aws", "configure", "export-credentials", "--profile", "x",
                                      "--format", "process"}));
  EXPECT_EQ(split_command(R"(/opt/my tool/bin "arg one" 'it''s' a\ b "q\"x" $HOME;ls)"),
            (std::vector<std::string>{"/opt/my", "tool/bin", "arg one", "its", "a b", "q\"x",
                                      "$HOME;ls"}));
  EXPECT_EQ(split_command("  "), std::vector<std::string>{});
  EXPECT_EQ(split_command("a ''"), (std::vector<std::string>{"a", ""}));
  EXPECT_THROW(split_command("a 'unterminated"), cu::Error);
}

TEST(AwsCredentialsProcess, ReadsTemporaryCredentials) {
  cu_test::TempDir dir("cu-proc");
  std::string tool = dir.script("tool.sh", R"(echo "args: $*" >&2
cat <<JSON
{"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "proc-secret-value",
 "SessionToken": "proc-session-token", "Expiration": "2099-05-06T07:08:09Z"}
JSON
)");
  auto p = process_credentials("'" + tool + "' --role 'a b'", "credential_process of profile x");
  Credentials c = p->get();
  EXPECT_EQ(c.access_key_id, "ASIAPROC");
  EXPECT_EQ(c.secret_access_key, "proc-secret-value");
  EXPECT_EQ(c.session_token, "proc-session-token");
  ASSERT_TRUE(c.expiration.has_value());
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*c.expiration), 4081734489);
  EXPECT_EQ(cu::redact("proc-secret-value proc-session-token"), "*** ***");
}

TEST(AwsCredentialsProcess, LongTermWithoutExpiration) {
  cu_test::TempDir dir("cu-proc");
  std::string tool = dir.script(
      "t.sh",
      R"(printf '{"Version":1,"AccessKeyId":"AKIAPROC","SecretAccessKey":"long-term-secret"}')");
  Credentials c = process_credentials(tool, "p")->get();
  EXPECT_EQ(c.access_key_id, "AKIAPROC");
  EXPECT_FALSE(c.expiration.has_value());
  EXPECT_TRUE(c.session_token.empty());
}

TEST(AwsCredentialsProcess, NoShellIsInvolved) {
  // A shell would run the second command; without one, ';' and '$X' are plain arguments.
  cu_test::TempDir dir("cu-proc");
  fs::path marker = dir.path() / "marker";
  std::string tool = dir.script(
      "args.sh", R"(printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"xxxx"}' "$1$2")");
  Credentials c = process_credentials(tool + " $HOME ;touch " + marker.string(), "p")->get();
  EXPECT_EQ(c.access_key_id, "$HOME;touch");
  EXPECT_FALSE(fs::exists(marker));
}

TEST(AwsCredentialsProcess, Failures) {
  cu_test::TempDir dir("cu-proc");
  cu::ErrorKind kind{};
  std::string failing = dir.script("fail.sh", "echo 'token expired, run login' >&2\nexit 3\n");
  std::string msg = error_of([&] { process_credentials(failing, "profile sso")->get(); }, &kind);
  EXPECT_EQ(kind, cu::ErrorKind::kAccess);
  EXPECT_NE(msg.find("exited with status 3: token expired, run login"), std::string::npos) << msg;
  EXPECT_NE(msg.find("profile sso"), std::string::npos) << msg;

  msg = error_of([&] { process_credentials(dir.path().string() + "/missing-tool", "p")->get(); });
  EXPECT_NE(msg.find("cannot start"), std::string::npos) << msg;

  std::string v2 = dir.script(
      "v2.sh", R"(echo '{"Version":2,"AccessKeyId":"A","SecretAccessKey":"hidden-value-1"}')");
  msg = error_of([&] { process_credentials(v2, "p")->get(); });
  EXPECT_NE(msg.find("\"Version\": 1"), std::string::npos) << msg;

  std::string garbage =
      dir.script("g.sh", "echo 'AccessKeyId=A SecretAccessKey=leaked-secret-9'\n");
  msg = error_of([&] { process_credentials(garbage, "p")->get(); });
  EXPECT_NE(msg.find("did not print a JSON object"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("leaked-secret-9"), std::string::npos) << msg;

  std::string no_secret = dir.script("n.sh", R"(echo '{"Version":1,"AccessKeyId":"A"}')");
  msg = error_of([&] { process_credentials(no_secret, "p")->get(); });
  EXPECT_NE(msg.find("no \"SecretAccessKey\""), std::string::npos) << msg;
}

TEST(AwsCredentialsProcess, FromAProfileThroughTheChain) {
  cu_test::TempDir dir("cu-proc");
  std::string tool = dir.script(
      "t.sh",
      R"(printf '{"Version":1,"AccessKeyId":"ASIACHAIN","SecretAccessKey":"chain-secret","SessionToken":"chain-tok","Expiration":"2099-01-01T00:00:00Z"}')");
  std::ofstream(dir.path() / "config") << "[profile tool]\ncredential_process = " << tool << "\n";
  Environment env{{{"AWS_CONFIG_FILE", (dir.path() / "config").string()},
                   {"AWS_PROFILE", "tool"},
                   {"AWS_EC2_METADATA_DISABLED", "true"}}};
  auto p = default_chain(env);
  EXPECT_EQ(p->describe(), "credential_process of profile tool");
  EXPECT_EQ(p->get().access_key_id, "ASIACHAIN");
}

}  // namespace
