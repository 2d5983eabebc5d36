// engine::PartitionSpool: rows of many interleaved partitions come back per partition in
// the order appended, through memory and disk alike, and nothing is left on disk.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/partition_spool.h"

namespace cu::engine {
namespace {

namespace fs = std::filesystem;

class PartitionSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spool_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all);
    fs::remove_all(dir_);
  }
  size_t entries() const {
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  fs::path dir_;
};

std::vector<std::string> replay_all(PartitionSpool& spool, size_t id) {
  std::vector<std::string> out;
  spool.replay(id, [&](std::string_view row) { out.emplace_back(row); });
  return out;
}

TEST_F(PartitionSpoolTest, ManyInterleavedPartitionsComeBackInOrder) {
  // A tiny memory budget forces many spills, so each partition is spread over chunks.
  PartitionSpool spool({.dir = dir_.string(), .memory_bytes = 4096});
  constexpr size_t kParts = 1000, kRows = 20000;
  for (size_t i = 0; i < kParts; ++i) EXPECT_EQ(spool.add_partition(), i);
  std::vector<std::vector<std::string>> want(kParts);
  for (size_t r = 0; r < kRows; ++r) {
    size_t p = (r * 7919) % kParts;
    // Rows hold newlines, NULs and bytes ≥ 0x80, and lengths cross the 1-byte varint limit.
    std::string row = "row " + std::to_string(r) + "\n" + std::string(r % 200, '\0') + "\xff";
    want[p].push_back(row);
    spool.append(p, row);
  }
  EXPECT_GT(spool.spilled_bytes(), 0u);
  EXPECT_EQ(entries(), 0u) << "the spool file has no name on disk";
  for (size_t p = 0; p < kParts; ++p) ASSERT_EQ(replay_all(spool, p), want[p]) << p;
}

TEST_F(PartitionSpoolTest, EmptyRowsAndEmptyPartitions) {
  PartitionSpool spool({.dir = dir_.string(), .memory_bytes = 1});
  size_t a = spool.add_partition(), b = spool.add_partition();
  spool.append(a, "");
  spool.append(a, "x");
  EXPECT_EQ(replay_all(spool, a), (std::vector<std::string>{"", "x"}));
  EXPECT_EQ(replay_all(spool, b), std::vector<std::string>{});
}

TEST_F(PartitionSpoolTest, SmallRunsNeverTouchTheDisk) {
  PartitionSpool spool({.dir = (dir_ / "missing").string()});
  size_t a = spool.add_partition();
  spool.append(a, "only in memory");
  EXPECT_EQ(spool.spilled_bytes(), 0u);
  EXPECT_EQ(replay_all(spool, a), std::vector<std::string>{"only in memory"});
}

TEST_F(PartitionSpoolTest, UnusableFolderIsAnErrorNamingItAndTmpdir) {
  PartitionSpool spool({.dir = (dir_ / "missing").string(), .memory_bytes = 10});
  size_t a = spool.add_partition();
  try {
    spool.append(a, "more than ten bytes");
    FAIL() << "the spool should not find its folder";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOther);
    EXPECT_NE(std::string(e.what()).find((dir_ / "missing").string()), std::string::npos)
        << e.what();
    EXPECT_NE(e.hint().find("TMPDIR"), std::string::npos) << e.hint();
  }
}

}  // namespace
}  // namespace cu::engine
