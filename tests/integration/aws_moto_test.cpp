// The AWS layer against moto_server with two accounts, DEV 111111111111 and PROD
// 222222222222: a role chain across them, a secret only PROD has, S3 writes in DEV through
// the chain, multipart uploads checked byte for byte, aborts, SSE-KMS, listings and deletes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "aws/role_chain.h"
#include "aws/s3.h"
#include "aws/s3_multipart_writer.h"
#include "aws/secrets.h"
#include "aws/sts.h"
#include "aws_moto_fixture.h"
#include "base/redact.h"

namespace cu::aws {
namespace {

using namespace cu::aws::testing;

class AwsMotoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    endpoint_ = new std::string(moto_endpoint());
    if (endpoint_->empty()) return;
    world_ = new nlohmann::json(setup_world(*endpoint_, random_suffix()));
  }
  static void TearDownTestSuite() {
    delete endpoint_;
    delete world_;
  }
  void SetUp() override {
    ASSERT_FALSE(endpoint_->empty());
    ASSERT_TRUE(world_->is_object()) << "set-up of the moto accounts failed";
  }
  static const nlohmann::json& w() { return *world_; }
  static CredentialsProviderPtr dev_user() {
    return fixed_credentials(dev_user_credentials(w()), "DEV user");
  }
  static RoleChainOptions chain_options() {
    return {.region = "us-east-1", .endpoint_url = *endpoint_};
  }
  static std::shared_ptr<RoleChainProvider> prod_role() {
    return role_chain(dev_user(),
                      {{.role_arn = w()["prod_role"], .external_id = w()["external_id"]}},
                      chain_options());
  }
  static std::shared_ptr<RoleChainProvider> prod_then_dev_role() {
    return role_chain(dev_user(),
                      {{.role_arn = w()["prod_role"], .external_id = w()["external_id"]},
                       {.role_arn = w()["dev_role"]}},
                      chain_options());
  }
  static S3Client s3_as(CredentialsProviderPtr creds) {
    return S3Client({.region = "us-east-1", .endpoint_url = *endpoint_}, std::move(creds));
  }

  static std::string* endpoint_;
  static nlohmann::json* world_;
};
std::string* AwsMotoTest::endpoint_ = nullptr;
nlohmann::json* AwsMotoTest::world_ = nullptr;

TEST_F(AwsMotoTest, IdentityOfTheDevUser) {
  StsClient sts(sts_endpoint("us-east-1", *endpoint_), dev_user());
  CallerIdentity me = sts.get_caller_identity();
  EXPECT_EQ(me.account, "111111111111");
  EXPECT_EQ(me.arn,
            "arn:aws:iam::111111111111:user/etl-" +
                std::string(w()["dev_role"]).substr(std::string(w()["dev_role"]).rfind('-') + 1));
}

TEST_F(AwsMotoTest, AssumeProdRoleWithExternalIdAndReadTheProdSecret) {
  auto prod = prod_role();
  Credentials c = prod->get();
  EXPECT_FALSE(c.session_token.empty());
  ASSERT_TRUE(c.expiration);
  // The credentials act in PROD.
  StsClient sts(sts_endpoint("us-east-1", *endpoint_), prod);
  CallerIdentity id = sts.get_caller_identity();
  EXPECT_EQ(id.account, "222222222222");
  EXPECT_EQ(id.arn.rfind("arn:aws:sts::222222222222:assumed-role/SM-Read-Role-", 0), 0u) << id.arn;
  ASSERT_EQ(prod->hops().size(), 1u);
  EXPECT_EQ(prod->hops()[0].assumed_role_arn, id.arn);
  // Session keys are secrets from the moment they are read.
  EXPECT_EQ(redact("key " + c.secret_access_key), "key ***");

  SecretsManagerClient sm(secretsmanager_endpoint("us-east-1", *endpoint_), prod);
  for (const std::string id_or_arn : {w()["secret_name"], w()["secret_arn"]}) {
    SecretValue v = sm.get_secret_value({.secret_id = id_or_arn});
    EXPECT_EQ(v.arn, w()["secret_arn"]);
    ASSERT_TRUE(v.string);
    DatabaseSecret db = parse_database_secret(*v.string, id_or_arn);
    const auto& want = w()["secret_value"];
    EXPECT_EQ(db.host, want["host"]);
    EXPECT_EQ(db.port, 5439);
    EXPECT_EQ(db.dbname, "dev");
    EXPECT_EQ(db.username, "etl");
    EXPECT_EQ(db.password, want["password"]);
    EXPECT_EQ(db.engine, "redshift");
    EXPECT_EQ(db.cluster_identifier, "cluster");
    EXPECT_EQ(redact(db.password), "***");
  }
  // By stage: AWSCURRENT is the only version there is.
  SecretValue current =
      sm.get_secret_value({.secret_id = w()["secret_name"], .version_stage = "AWSCURRENT"});
  EXPECT_EQ(current.version_stages, std::vector<std::string>{"AWSCURRENT"});
}

TEST_F(AwsMotoTest, TheChainIsRefreshedAheadOfExpiry) {
  // 900 s sessions refreshed 899 s early: cached for one second, then assumed again.
  RoleChainOptions o = chain_options();
  o.refresh_margin = std::chrono::seconds(899);
  auto chain = role_chain(
      dev_user(),
      {{.role_arn = w()["prod_role"], .external_id = w()["external_id"], .duration_seconds = 900},
       {.role_arn = w()["dev_role"], .duration_seconds = 7200}},
      o);
  Credentials first = chain->get();
  EXPECT_EQ(chain->get().access_key_id, first.access_key_id);  // cached
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  Credentials second = chain->get();
  EXPECT_NE(second.access_key_id, first.access_key_id);  // the whole chain again
  ASSERT_EQ(chain->hops().size(), 2u);
  EXPECT_EQ(account_of_arn(chain->hops()[1].assumed_role_arn), "111111111111");
}

TEST_F(AwsMotoTest, TheSecretDoesNotExistInDev) {
  SecretsManagerClient sm(secretsmanager_endpoint("us-east-1", *endpoint_), dev_user());
  try {
    sm.get_secret_value({.secret_id = w()["secret_name"]});
    FAIL() << "DEV read PROD's secret";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.aws_code(), "ResourceNotFoundException");
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_EQ(e.step(), "read secret");
    std::string what = e.what();
    EXPECT_NE(what.find(std::string(w()["secret_name"])), std::string::npos) << what;
    // AWS answers 400, moto 404: the status is not the point.
    EXPECT_NE(what.find("(secretsmanager:GetSecretValue, HTTP "), std::string::npos) << what;
  }
}

TEST_F(AwsMotoTest, ChainIntoTheDevRoleAndWriteTheDevBucket) {
  auto chain = prod_then_dev_role();
  StsClient sts(sts_endpoint("us-east-1", *endpoint_), chain);
  CallerIdentity id = sts.get_caller_identity();
  EXPECT_EQ(id.account, "111111111111");
  EXPECT_EQ(id.arn.rfind("arn:aws:sts::111111111111:assumed-role/S3-Write-Role-", 0), 0u) << id.arn;
  auto hops = chain->hops();
  ASSERT_EQ(hops.size(), 2u);
  EXPECT_EQ(account_of_arn(hops[0].assumed_role_arn), "222222222222");
  EXPECT_EQ(account_of_arn(hops[1].assumed_role_arn), "111111111111");

  S3Client s3 = s3_as(chain);
  std::string body = "id|name\n1|a\n";
  s3.put_object(w()["bucket"], "chain/out.txt", body);
  // Read back as the DEV user, another identity of the same account.
  S3Client dev = s3_as(dev_user());
  EXPECT_EQ(dev.get_object(w()["bucket"], "chain/out.txt"), body);
}

TEST_F(AwsMotoTest, FiftyMiBMultipartUploadReadsBackIdentical) {
  S3Client s3 = s3_as(prod_then_dev_role());
  const std::string data = pseudo_random_bytes(50u << 20, 42);
  const std::string key = "big/fifty.bin";
  {
    S3MultipartWriter out(s3, w()["bucket"], key, {.part_size = 5u << 20, .parts_in_flight = 3});
    // Odd-sized writes so parts straddle write boundaries.
    for (std::size_t off = 0; off < data.size(); off += 777'777)
      out.write(std::string_view(data).substr(off, 777'777));
    UploadResult r = out.finish();
    EXPECT_EQ(r.parts, 10);
    EXPECT_EQ(r.bytes, data.size());
    // A multipart ETag is "<md5 of the part md5s>-<parts>".
    EXPECT_NE(r.etag.find("-10\""), std::string::npos) << r.etag;
  }
  Sha256 got;
  ObjectInfo info = s3.get_object(w()["bucket"], key, [&](std::string_view c) { got.update(c); });
  EXPECT_EQ(info.size, data.size());
  EXPECT_EQ(got.hex(), sha256_of(data));
  auto head = s3.head_object(w()["bucket"], key);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, data.size());
  EXPECT_TRUE(s3.list_multipart_uploads(w()["bucket"], "big/").empty());
}

TEST_F(AwsMotoTest, SmallObjectGoesAsOnePut) {
  S3Client s3 = s3_as(dev_user());
  S3MultipartWriter out(s3, w()["bucket"], "small/one.txt", {.part_size = 5u << 20});
  out.write("hello ");
  out.write("world");
  UploadResult r = out.finish();
  EXPECT_EQ(r.parts, 0);
  EXPECT_EQ(s3.get_object(w()["bucket"], "small/one.txt"), "hello world");
}

TEST_F(AwsMotoTest, EmptyObject) {
  S3Client s3 = s3_as(dev_user());
  S3MultipartWriter out(s3, w()["bucket"], "small/empty.txt");
  UploadResult r = out.finish();
  EXPECT_EQ(r.bytes, 0u);
  auto head = s3.head_object(w()["bucket"], "small/empty.txt");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, 0u);
  EXPECT_EQ(s3.get_object(w()["bucket"], "small/empty.txt"), "");
}

TEST_F(AwsMotoTest, AbandonedWriterLeavesNoUpload) {
  S3Client s3 = s3_as(dev_user());
  std::string upload_id;
  try {
    S3MultipartWriter out(s3, w()["bucket"], "aborted/x.bin", {.part_size = 5u << 20});
    out.write(pseudo_random_bytes(12u << 20, 7));  // two parts sent, one buffered
    upload_id = out.upload_id();
    EXPECT_EQ(s3.list_multipart_uploads(w()["bucket"], "aborted/").size(), 1u);
    throw std::runtime_error("the query failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(upload_id.empty());
  EXPECT_TRUE(s3.list_multipart_uploads(w()["bucket"], "aborted/").empty());
  EXPECT_FALSE(s3.head_object(w()["bucket"], "aborted/x.bin"));
}

TEST_F(AwsMotoTest, SseKmsRoundTrips) {
  S3Client s3 = s3_as(prod_then_dev_role());
  PutOptions kms{.sse = Sse::kKms, .kms_key_id = w()["kms_key"]};
  s3.put_object(w()["bucket"], "kms/small.txt", "secret rows", kms);
  auto head = s3.head_object(w()["bucket"], "kms/small.txt");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->sse, "aws:kms");
  EXPECT_EQ(head->kms_key_id, w()["kms_key"]);
  EXPECT_EQ(s3.get_object(w()["bucket"], "kms/small.txt"), "secret rows");

  S3MultipartWriter out(s3, w()["bucket"], "kms/big.bin", {.part_size = 5u << 20, .put = kms});
  const std::string data = pseudo_random_bytes(11u << 20, 3);
  out.write(data);
  out.finish();
  auto big = s3.head_object(w()["bucket"], "kms/big.bin");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->sse, "aws:kms");
  EXPECT_EQ(big->kms_key_id, w()["kms_key"]);
  EXPECT_EQ(sha256_of(s3.get_object(w()["bucket"], "kms/big.bin")), sha256_of(data));

  s3.put_object(w()["bucket"], "kms/s3.txt", "x", {.sse = Sse::kS3});
  EXPECT_EQ(s3.head_object(w()["bucket"], "kms/s3.txt")->sse, "AES256");
}

TEST_F(AwsMotoTest, IfNoneMatchRefusesAnOverwrite) {
  S3Client s3 = s3_as(dev_user());
  s3.put_object(w()["bucket"], "once.txt", "first", {.if_none_match = true});
  try {
    s3.put_object(w()["bucket"], "once.txt", "second", {.if_none_match = true});
    FAIL() << "overwrote";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.status(), 412);
    EXPECT_EQ(e.kind(), ErrorKind::kDestination);
    EXPECT_NE(std::string(e.what()).find("s3://" + std::string(w()["bucket"]) + "/once.txt"),
              std::string::npos);
  }
  EXPECT_EQ(s3.get_object(w()["bucket"], "once.txt"), "first");
}

// The commit protocol's small objects: sealed in memory within the budget (nothing in S3, not
// even an upload), sent as one conditional PutObject on complete(); beyond the budget, a
// one-part multipart upload as before.
TEST_F(AwsMotoTest, SmallSealedObjectsWaitInMemoryWithinTheBudget) {
  S3Client s3 = s3_as(dev_user());
  const std::string bucket = w()["bucket"];
  std::atomic<std::size_t> budget{10};
  MultipartWriterOptions held{.part_size = 5u << 20, .hold_budget = &budget};

  S3MultipartWriter a(s3, bucket, "held/a.txt", held);
  a.write("123456");
  EXPECT_EQ(a.seal(), 6u);
  EXPECT_EQ(budget.load(), 4u);
  S3MultipartWriter b(s3, bucket, "held/b.txt", held);
  b.write("abcdef");  // 6 bytes: beyond what is left, uploaded at seal()
  EXPECT_EQ(b.seal(), 6u);
  EXPECT_EQ(budget.load(), 4u);
  std::vector<MultipartUploadInfo> open = s3.list_multipart_uploads(bucket, "held/");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].key, "held/b.txt");
  EXPECT_TRUE(s3.list_objects(bucket, "held/").empty());

  UploadResult r = a.complete(/*if_none_match=*/true);
  EXPECT_EQ(r.parts, 0);
  EXPECT_EQ(budget.load(), 10u);
  EXPECT_EQ(s3.get_object(bucket, "held/a.txt"), "123456");
  b.complete(true);
  EXPECT_EQ(s3.get_object(bucket, "held/b.txt"), "abcdef");

  // Another writer of a published key is refused, and gives its bytes back.
  S3MultipartWriter again(s3, bucket, "held/a.txt", held);
  again.write("other");
  again.seal();
  EXPECT_EQ(budget.load(), 5u);
  try {
    again.complete(true);
    FAIL() << "replaced held/a.txt";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.status(), 412);
  }
  EXPECT_EQ(budget.load(), 10u);
  EXPECT_EQ(s3.get_object(bucket, "held/a.txt"), "123456");

  // Aborted (or destroyed): nothing in S3, the budget whole again.
  {
    S3MultipartWriter dropped(s3, bucket, "held/c.txt", held);
    dropped.write("xyz");
    dropped.seal();
    EXPECT_EQ(budget.load(), 7u);
  }
  EXPECT_EQ(budget.load(), 10u);
  EXPECT_FALSE(s3.head_object(bucket, "held/c.txt"));
  EXPECT_TRUE(s3.list_multipart_uploads(bucket, "held/").empty());
}

TEST_F(AwsMotoTest, KeysAreEncodedTheS3Way) {
  S3Client s3 = s3_as(dev_user());
  const std::vector<std::string> keys = {"odd/a b+c=d&e.txt", "odd/100%/x~y_z-.csv",
                                         "odd/ünï cödé/€.txt", "odd/semi;colon,comma'quote(1)"};
  for (const auto& k : keys) s3.put_object(w()["bucket"], k, "v:" + k);
  auto listed = s3.list_objects(w()["bucket"], "odd/");
  std::vector<std::string> names;
  for (const auto& o : listed) names.push_back(o.key);
  std::vector<std::string> want = keys;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names, want);
  for (const auto& k : keys) EXPECT_EQ(s3.get_object(w()["bucket"], k), "v:" + k);
}

TEST_F(AwsMotoTest, ListsEveryPageAndDeletesInBatches) {
  S3Client s3 = s3_as(dev_user());
  std::vector<std::string> keys;
  for (int i = 0; i < 1005; ++i) keys.push_back(fmt::format("many/{:05}.txt", i));
  for (const auto& k : keys) s3.put_object(w()["bucket"], k, "x");
  auto listed = s3.list_objects(w()["bucket"], "many/");
  ASSERT_EQ(listed.size(), 1005u);  // more than one page of 1,000
  EXPECT_EQ(listed.front().key, keys.front());
  EXPECT_EQ(listed.back().key, keys.back());
  s3.delete_objects(w()["bucket"], keys);  // two batches
  EXPECT_TRUE(s3.list_objects(w()["bucket"], "many/").empty());
}

TEST_F(AwsMotoTest, MissingObjectIsNotFound) {
  S3Client s3 = s3_as(dev_user());
  EXPECT_FALSE(s3.head_object(w()["bucket"], "no/such/key"));
  try {
    s3.get_object(w()["bucket"], "no/such/key");
    FAIL();
  } catch (const AwsError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_EQ(e.aws_code(), "NoSuchKey");
  }
}

}  // namespace
}  // namespace cu::aws
