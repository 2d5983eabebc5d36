// sink::LocalFolder: all files or none, Redshift's "not empty" rule, folders cleaned up.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "sink/local_folder.h"

namespace cu::sink {
namespace {
namespace fs = std::filesystem;

class LocalFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("cu-sink-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

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

  fs::path root_;
};

TEST(SplitPrefix, FolderAndName) {
  EXPECT_EQ(split_prefix("a/b/x_"), (std::pair<std::string, std::string>{"a/b", "x_"}));
  EXPECT_EQ(split_prefix("a/b/"), (std::pair<std::string, std::string>{"a/b", ""}));
  EXPECT_EQ(split_prefix("x_"), (std::pair<std::string, std::string>{".", "x_"}));
  EXPECT_EQ(split_prefix("/x"), (std::pair<std::string, std::string>{"/", "x"}));
}

TEST_F(LocalFolderTest, PublishMakesAllFilesAppearAtOnce) {
  std::string prefix = (root_ / "new/deeper/sales_").string();
  LocalFolder folder(prefix);
  folder.check_empty(false);
  LocalFile& a = folder.create(prefix + "000");
  a.write("one\n");
  LocalFile& b = folder.create(prefix + "001");
  b.write("two\n");
  EXPECT_FALSE(fs::exists(prefix + "000")) << "visible before publish";
  folder.publish();
  EXPECT_EQ(read(prefix + "000"), "one\n");
  EXPECT_EQ(read(prefix + "001"), "two\n");
  EXPECT_EQ(a.bytes(), 4u);
  EXPECT_EQ(tree(), (std::vector<std::string>{"new", "new/deeper", "new/deeper/sales_000",
                                              "new/deeper/sales_001"}));
}

TEST_F(LocalFolderTest, WithoutPublishNothingIsLeft) {
  std::string prefix = (root_ / "made/here/x_").string();
  {
    LocalFolder folder(prefix);
    folder.create(prefix + "000").write(std::string(3 << 20, 'z'));
    EXPECT_FALSE(tree().empty());
  }
  EXPECT_TRUE(tree().empty()) << "left: " << ::testing::PrintToString(tree());
}

TEST_F(LocalFolderTest, ExistingFolderIsKeptOnFailure) {
  fs::create_directories(root_ / "keep");
  {
    LocalFolder folder((root_ / "keep/x_").string());
    folder.create((root_ / "keep/x_000").string()).write("partial");
  }
  EXPECT_EQ(tree(), std::vector<std::string>{"keep"});
}

TEST_F(LocalFolderTest, NotEmptyWhenANameStartsWithThePrefix) {
  std::ofstream(root_ / "venue_000") << "old";
  std::ofstream(root_ / "other") << "x";
  std::ofstream(root_ / ".crossunload-1-venue_000") << "temp of a crashed run";
  LocalFolder venue((root_ / "venue_").string());
  EXPECT_EQ(venue.existing(), std::vector<std::string>{(root_ / "venue_000").string()});
  try {
    venue.check_empty(false);
    FAIL() << "accepted a prefix with files";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 5);
    EXPECT_NE(std::string(e.what()).find("Specified unload destination is not empty"),
              std::string::npos);
    EXPECT_NE(std::string(e.what()).find("ALLOWOVERWRITE"), std::string::npos);
  }
  venue.check_empty(true);
  LocalFolder users((root_ / "users_").string());
  users.check_empty(false);
  LocalFolder whole((root_.string() + "/"));
  EXPECT_EQ(whole.existing().size(), 2u);  // venue_000 and other, not the temporary file
  LocalFolder missing((root_ / "no/such/folder/x_").string());
  EXPECT_TRUE(missing.existing().empty());
}

TEST_F(LocalFolderTest, AllowOverwriteReplacesSameNamedFiles) {
  std::ofstream(root_ / "v_000") << "old";
  std::ofstream(root_ / "v_001") << "old too";
  LocalFolder folder((root_ / "v_").string());
  folder.create((root_ / "v_000").string()).write("new");
  folder.publish();
  EXPECT_EQ(read(root_ / "v_000"), "new");
  EXPECT_EQ(read(root_ / "v_001"), "old too");  // spec §4.6: not rewritten, stays
}

TEST_F(LocalFolderTest, UnwritablePathIsADestinationErrorNamingIt) {
  std::ofstream(root_ / "file") << "x";
  LocalFolder folder((root_ / "file/sub/x_").string());
  try {
    folder.create((root_ / "file/sub/x_000").string());
    FAIL() << "created a folder under a file";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 5);
    EXPECT_EQ(e.step(), "write");
    EXPECT_NE(e.resource().find((root_ / "file").string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cu::sink
