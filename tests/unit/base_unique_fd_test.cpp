#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>

#include "base/unique_fd.h"

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

TEST(UniqueFd, ClosesOnDestructionAndReset) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    cu::UniqueFd r(fds[0]);
    cu::UniqueFd w(fds[1]);
    EXPECT_TRUE(r);
    EXPECT_EQ(r.get(), fds[0]);
    w.reset();
    EXPECT_FALSE(w);
    EXPECT_FALSE(is_open(fds[1]));
    EXPECT_TRUE(is_open(fds[0]));
  }
  EXPECT_FALSE(is_open(fds[0]));
}

TEST(UniqueFd, MovesOwnershipAndReleases) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  cu::UniqueFd a(fds[0]);
  cu::UniqueFd b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): a moved-from UniqueFd is empty
  EXPECT_EQ(b.get(), fds[0]);
  cu::UniqueFd c(fds[1]);
  c = std::move(b);  // closes c's pipe end, takes b's
  EXPECT_FALSE(is_open(fds[1]));
  EXPECT_EQ(c.get(), fds[0]);
  int raw = c.release();
  EXPECT_FALSE(c);
  EXPECT_TRUE(is_open(raw));
  cu::UniqueFd d(raw);
  EXPECT_EQ(d.close(), 0);
  EXPECT_FALSE(d);
  EXPECT_FALSE(is_open(raw));
  EXPECT_EQ(d.close(), 0);  // nothing held: nothing to close
}

}  // namespace
