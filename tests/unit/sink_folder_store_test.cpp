// sink::make_folder_store: an object appears whole on commit and not before, an aborted or
// dropped one leaves nothing (nor the folders it created), listing is spelled like the
// prefix and skips other writers' temporary files, and errors name the path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "sink/object_store.h"
#include "temp_dir.h"

namespace cu::sink {
namespace {
namespace fs = std::filesystem;

class FolderStoreTest : public ::testing::Test {
 protected:
  std::vector<std::string> tree() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root_)) {
      out.push_back(fs::relative(e.path(), root_).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  cu_test::TempDir tmp_{"cu-sink-test"};  // a fresh folder per test, removed after it
  fs::path root_ = tmp_.path();
  std::unique_ptr<ObjectStore> store_ = make_folder_store();
};

TEST(SplitPrefix, FolderAndName) {
  EXPECT_EQ(split_prefix("a/b/x_"), (std::pair<std::string, std::string>{"a/b", "x_"}));
  EXPECT_EQ(split_prefix("a/b/"), (std::pair<std::string, std::string>{"a/b", ""}));
  EXPECT_EQ(split_prefix("x_"), (std::pair<std::string, std::string>{".", "x_"}));
  EXPECT_EQ(split_prefix("/x"), (std::pair<std::string, std::string>{"/", "x"}));
}

TEST_F(FolderStoreTest, CommitMakesTheFileAppearWhole) {
  std::string key = (root_ / "new/deeper/sales_000").string();
  auto w = store_->open(key, {});
  w->write("one\n");
  w->write("two\n");
  EXPECT_FALSE(fs::exists(key)) << "visible before commit";
  EXPECT_EQ(w->bytes_written(), 8u);
  EXPECT_EQ(w->commit(), 8u);
  EXPECT_EQ(read(key), "one\ntwo\n");
  EXPECT_EQ(tree(), (std::vector<std::string>{"new", "new/deeper", "new/deeper/sales_000"}));
  EXPECT_EQ(store_->url(key), key);
}

TEST_F(FolderStoreTest, AbortedOrDroppedLeavesNothingNotEvenItsFolders) {
  {
    auto w = store_->open((root_ / "made/here/x_000").string(), {});
    w->write(std::string(3 << 20, 'z'));
    EXPECT_FALSE(tree().empty());
    w->abort();
  }
  EXPECT_TRUE(tree().empty()) << "left: " << ::testing::PrintToString(tree());
  {
    auto w = store_->open((root_ / "dropped/x_000").string(), {});
    w->write("partial");
  }  // destroyed without commit
  EXPECT_TRUE(tree().empty()) << "left: " << ::testing::PrintToString(tree());
  fs::create_directories(root_ / "keep");
  store_->open((root_ / "keep/x_000").string(), {})->write("partial");
  EXPECT_EQ(tree(), std::vector<std::string>{"keep"}) << "a folder that existed stays";
}

TEST_F(FolderStoreTest, ListIsSpelledLikeThePrefixAndSkipsTemporaryFiles) {
  std::ofstream(root_ / "venue_000") << "old";
  std::ofstream(root_ / "other") << "x";
  std::ofstream(root_ / ".crossunload-1-2-venue_001") << "temp of another writer";
  fs::create_directories(root_ / "venue_p" / "k=1");
  std::ofstream(root_ / "venue_p" / "k=1" / "0000_part_00") << "12345";
  std::vector<StoredObject> got = store_->list((root_ / "venue_").string());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].key, (root_ / "venue_000").string());
  EXPECT_EQ(got[0].size, 3u);
  EXPECT_EQ(got[1].key, (root_ / "venue_p/k=1/0000_part_00").string());
  EXPECT_EQ(store_->list(root_.string() + "/").size(), 3u);  // not the temporary file
  EXPECT_TRUE(store_->list((root_ / "no/such/folder/x_").string()).empty());
}

TEST_F(FolderStoreTest, CommitReplacesASameNamedFileAndRemoveToleratesMissing) {
  std::ofstream(root_ / "v_000") << "old";
  auto w = store_->open((root_ / "v_000").string(), {});
  w->write("new");
  w->commit();
  EXPECT_EQ(read(root_ / "v_000"), "new");
  store_->remove({(root_ / "v_000").string(), (root_ / "never_there").string()});
  EXPECT_TRUE(tree().empty());
}

TEST_F(FolderStoreTest, UnwritablePathIsADestinationErrorNamingIt) {
  std::ofstream(root_ / "file") << "x";
  try {
    store_->open((root_ / "file/sub/x_000").string(), {});
    FAIL() << "created a folder under a file";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 5);
    EXPECT_EQ(e.step(), "write");
    EXPECT_NE(e.resource().find((root_ / "file").string()), std::string::npos) << e.what();
  }
}

TEST_F(FolderStoreTest, TooLongANameSaysSoOnceAndNothingIsLeft) {
  const std::string value(300, 'v');  // a partition value longer than a name may be (255)
  const std::string path = (root_ / ("p=" + value) / "0000_part_00").string();
  try {
    store_->open(path, {});
    FAIL() << "a 302-byte folder name was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 5);
    EXPECT_EQ(e.resource(), path);
    EXPECT_EQ(std::string(e.what()).find(value), std::string(e.what()).rfind(value))
        << "the long name appears more than once: " << e.what();
    EXPECT_NE(e.hint().find("PARTITION BY"), std::string::npos) << e.hint();
  }
  EXPECT_EQ(tree(), std::vector<std::string>{});
}

}  // namespace
}  // namespace cu::sink
