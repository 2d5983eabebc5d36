// engine::run_unload into S3 (moto): multipart objects, SSE-KMS on every object including
// the manifest, rows read back by DuckDB equal PostgreSQL's, and a failure mid-stream that
// leaves no object and no multipart upload.
//
// Needs the local stack (scripts/test): CU_PG_CONNINFO, CU_PG_BIN, CU_DUCKDB,
// CU_MOTO_ENDPOINT.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "aws/s3.h"
#include "aws_moto_fixture.h"
#include "base/error.h"
#include "engine/unload.h"
#include "pg/connection.h"
#include "pg/copy_source.h"
#include "sink/object_store.h"
#include "stack_helpers.h"

namespace cu {
namespace {

namespace fs = std::filesystem;
using namespace cu::aws::testing;

using test::env;
using test::q;
using test::sh;

class EngineS3 : public ::testing::Test {
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
    s3_ = std::make_unique<aws::S3Client>(
        aws::S3Options{.region = "us-east-1", .endpoint_url = *endpoint_},
        aws::fixed_credentials(dev_user_credentials(*world_), "DEV user"));
    conn_ = std::make_unique<pg::Connection>(pg::parse_target(env("CU_PG_CONNINFO")));
    source_ = std::make_unique<pg::PgCopySource>(*conn_);
    dir_ = fs::temp_directory_path() / ("engine_s3_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string bucket() const { return (*world_)["bucket"]; }

  static std::string* endpoint_;
  static nlohmann::json* world_;
  std::unique_ptr<aws::S3Client> s3_;
  std::unique_ptr<pg::Connection> conn_;
  std::unique_ptr<pg::PgCopySource> source_;
  fs::path dir_;
};
std::string* EngineS3::endpoint_ = nullptr;
nlohmann::json* EngineS3::world_ = nullptr;

TEST_F(EngineS3, MultipartKmsEveryObjectAndManifest) {
  unload::UnloadSpec s;
  s.select = "select * from sales";
  s.destination = "s3://" + bucket() + "/kms/sales_";
  s.parallel = false;
  s.manifest = unload::Manifest::kPlain;
  s.encrypted = unload::Encryption::kOn;
  s.kms_key_id = std::string((*world_)["kms_key"]);
  auto store = sink::make_s3_store(*s3_, bucket(), {.part_size = 5u << 20, .parts_in_flight = 2});
  engine::UnloadResult r = engine::run_unload(s, *source_, *store);
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(r.files[0].url, "s3://" + bucket() + "/kms/sales_000");
  EXPECT_GT(r.files[0].bytes, 10u << 20) << "large enough for several parts";
  EXPECT_EQ(r.manifest_url, "s3://" + bucket() + "/kms/sales_manifest");

  auto objects = s3_->list_objects(bucket(), "kms/");
  ASSERT_EQ(objects.size(), 2u);
  for (const auto& o : objects) {
    auto head = s3_->head_object(bucket(), o.key);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->sse, "aws:kms") << o.key;
    EXPECT_EQ(head->kms_key_id, (*world_)["kms_key"]) << o.key;
  }
  auto m = nlohmann::json::parse(s3_->get_object(bucket(), "kms/sales_manifest"));
  EXPECT_EQ(m, nlohmann::json::parse(R"({"entries":[{"url":")" + r.files[0].url +
                                     R"(","meta":{"content_length":)" +
                                     std::to_string(objects[0].size) + "}}]}"));

  std::string local = (dir_ / "sales_000").string();
  {
    std::ofstream f(local, std::ios::binary);
    f << s3_->get_object(bucket(), "kms/sales_000");
  }
  std::string got = sh(env("CU_DUCKDB") + " rows --sort --format text --empty-as-null " + q(local));
  std::string want = test::pg_rows("select * from sales", "--empty-as-null");
  EXPECT_TRUE(got == want);
}

TEST_F(EngineS3, FailureMidStreamLeavesNoObjectsAndNoUploads) {
  unload::UnloadSpec s;
  s.select =
      "select x, repeat(md5(x::text), 8) as pad, 1 / (120000 - x) as boom "
      "from generate_series(1, 200000) x";
  s.destination = "s3://" + bucket() + "/fail/t_";
  s.manifest = unload::Manifest::kPlain;
  s.max_file_size = 5ull << 20;
  auto store = sink::make_s3_store(*s3_, bucket(), {.part_size = 5u << 20, .parts_in_flight = 2});
  try {
    engine::run_unload(s, *source_, *store, {.parallelism = 2, .block_bytes = 256 << 10});
    FAIL() << "the query should fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kSource) << e.what();
    EXPECT_NE(e.hint().find("nothing of this run was published"), std::string::npos) << e.hint();
  }
  EXPECT_TRUE(s3_->list_objects(bucket(), "fail/").empty());
  EXPECT_TRUE(s3_->list_multipart_uploads(bucket(), "fail/").empty());
}

TEST_F(EngineS3, NotEmptyPrefixIsRefusedWithRedshiftsMessage) {
  s3_->put_object(bucket(), "busy/v_000", "x");
  unload::UnloadSpec s;
  s.select = "select * from venue";
  s.destination = "s3://" + bucket() + "/busy/v_";
  auto store = sink::make_s3_store(*s3_, bucket());
  try {
    engine::run_unload(s, *source_, *store);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kDestination);
    EXPECT_NE(std::string(e.what()).find("Specified unload destination on S3 is not empty. "
                                         "Consider using a different bucket / prefix, manually "
                                         "removing the target files in S3, or using the "
                                         "ALLOWOVERWRITE option."),
              std::string::npos)
        << e.what();
  }
}

// More partitions than S3 keeps uploads open for (7 with 8 MB parts), rows interleaved:
// still one object per partition, with every row, and nothing left of the spool.
TEST_F(EngineS3, InterleavedPartitionsBeyondTheOpenBoundAreOneObjectEach) {
  unload::UnloadSpec s;
  s.select = "select g, g % 40 as p, md5(g::text) as h from generate_series(1, 4000) g";
  s.destination = "s3://" + bucket() + "/parts/t";
  s.format = unload::Format::kCsv;
  s.compression = unload::Compression::kGzip;
  s.partition_by = unload::PartitionBy{{"p"}, true};
  auto store = sink::make_s3_store(*s3_, bucket());
  engine::UnloadResult r = engine::run_unload(s, *source_, *store);
  auto objects = s3_->list_objects(bucket(), "parts/t/");
  ASSERT_EQ(objects.size(), 40u);
  for (const auto& o : objects) {
    EXPECT_TRUE(o.key.ends_with("/0000_part_00.gz")) << o.key;
  }
  EXPECT_EQ(objects.front().key, "parts/t/p=0/0000_part_00.gz");
  std::string cmd = env("CU_DUCKDB") + " rows --sort --format csv";
  int n = 0;
  for (const auto& o : objects) {
    fs::path local = dir_ / (std::to_string(n++) + ".csv.gz");
    std::ofstream(local, std::ios::binary) << s3_->get_object(bucket(), o.key);
    cmd += " " + q(local.string());
  }
  EXPECT_EQ(sh(cmd), test::pg_rows(s.select));
  EXPECT_EQ(r.rows, 4000u);
}

}  // namespace
}  // namespace cu
