// LocalRoot: which local UNLOAD paths a gateway started with --local-root accepts, on a real
// temporary folder tree with symlinks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/error.h"
#include "gateway/local_root.h"

namespace {

namespace fs = std::filesystem;
using cu::Error;
using cu::ErrorKind;
using cu::gateway::LocalRoot;

class LocalRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("cu_local_root_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "root" / "sub");
    fs::create_directories(base_ / "outside");
    base_ = fs::canonical(base_);
    root_ = (base_ / "root").string();
    fs::create_directory_symlink(base_ / "outside", base_ / "root" / "out_link");
    fs::create_directory_symlink(base_ / "root" / "sub", base_ / "root" / "in_link");
    fs::create_directory_symlink(base_ / "root", base_ / "alias");
    fs::create_directory_symlink(base_ / "nowhere", base_ / "root" / "dangling");
    std::ofstream(base_ / "root" / "file") << "x";
  }
  void TearDown() override { fs::remove_all(base_); }

  // The refusal's message, or "" when `to` was accepted.
  std::string refusal(const LocalRoot& r, const std::string& to) {
    try {
      r.confine(to);
      return "";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kAccess) << e.what();
      return e.message();
    }
  }

  fs::path base_;
  std::string root_;
};

TEST_F(LocalRootTest, PathsInsideTheRootAreAcceptedAndNormalised) {
  LocalRoot r(root_);
  EXPECT_EQ(r.path(), root_);
  EXPECT_EQ(r.confine(root_ + "/x_"), root_ + "/x_");
  EXPECT_EQ(r.confine(root_ + "/sub/x_"), root_ + "/sub/x_");
  EXPECT_EQ(r.confine(root_ + "/new/deeper/x_"), root_ + "/new/deeper/x_");
  EXPECT_EQ(r.confine(root_ + "//sub/./x_"), root_ + "/sub/x_");
  EXPECT_EQ(r.confine(root_ + "/sub/"), root_ + "/sub/");
  EXPECT_EQ(r.confine(root_ + "/"), root_ + "/");
  // Relative paths are taken from the root.
  EXPECT_EQ(r.confine("x_"), root_ + "/x_");
  EXPECT_EQ(r.confine("./a/b/"), root_ + "/a/b/");
  // A symlink that stays inside, and the root reached through an alias, are fine.
  EXPECT_EQ(r.confine(root_ + "/in_link/x_"), root_ + "/in_link/x_");
  EXPECT_EQ(r.confine((base_ / "alias" / "x_").string()), (base_ / "alias" / "x_").string());
}

TEST_F(LocalRootTest, PathsLeavingTheRootAreRefused) {
  LocalRoot r(root_);
  std::string outside = (base_ / "outside").string();
  EXPECT_NE(refusal(r, outside + "/x_").find("outside the gateway's local root"),
            std::string::npos);
  EXPECT_NE(refusal(r, "/etc/cron.d/x_").find("outside"), std::string::npos);
  EXPECT_NE(refusal(r, "/x_").find("outside"), std::string::npos);
  EXPECT_NE(refusal(r, root_ + "/../outside/x_").find("'..'"), std::string::npos);
  EXPECT_NE(refusal(r, "sub/../../outside/x_").find("'..'"), std::string::npos);
  EXPECT_NE(refusal(r, "sub/../x_").find("'..'"), std::string::npos);  // even if inside
  EXPECT_NE(refusal(r, "out_link/x_").find("outside"), std::string::npos);
  EXPECT_NE(refusal(r, "out_link/new/deeper/").find("outside"), std::string::npos);
  EXPECT_NE(refusal(r, "dangling/x_").find("symlink to nothing"), std::string::npos);
  EXPECT_NE(refusal(r, "file/x_").find("not a folder"), std::string::npos);
  EXPECT_FALSE(refusal(r, "").empty());
  // The root itself as a prefix names files beside it, in its parent.
  EXPECT_NE(refusal(r, root_).find("outside"), std::string::npos);
  EXPECT_NE(refusal(r, root_ + "suffix_").find("outside"), std::string::npos);
  // The leaf is a name prefix, not followed: the store renames over it.
  EXPECT_EQ(refusal(r, "out_link"), "");
}

TEST_F(LocalRootTest, TheRootMustBeAnExistingFolder) {
  for (std::string bad :
       {(base_ / "missing").string(), (base_ / "root" / "file").string(), std::string()}) {
    try {
      LocalRoot r(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage) << e.what();
    }
  }
  // Given through a symlink, the root is its real folder.
  EXPECT_EQ(LocalRoot((base_ / "alias").string()).path(), root_);
}

TEST_F(LocalRootTest, TheConfinedStoreChecksEveryKey) {
  LocalRoot r(root_);
  auto store = cu::gateway::make_confined_folder_store(r);
  auto w = store->open(root_ + "/sub/a_000", {});
  w->write("inside");
  w->commit();
  EXPECT_EQ(store->list(root_ + "/sub/a_").size(), 1u);
  EXPECT_THROW(store->open((base_ / "outside" / "b_000").string(), {}), Error);
  EXPECT_THROW(store->open(root_ + "/out_link/b_000", {}), Error);
  EXPECT_THROW(store->list(root_ + "/out_link/"), Error);
  std::ofstream(base_ / "outside" / "keep") << "precious";
  EXPECT_THROW(store->remove({(base_ / "outside" / "keep").string()}), Error);
  EXPECT_THROW(store->remove({root_ + "/out_link/keep"}), Error);
  EXPECT_TRUE(fs::exists(base_ / "outside" / "keep"));
  EXPECT_FALSE(fs::exists(base_ / "outside" / "b_000"));
  store->remove({root_ + "/sub/a_000"});
  EXPECT_FALSE(fs::exists(base_ / "root" / "sub" / "a_000"));
}

}  // namespace
