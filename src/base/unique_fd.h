#pragma once
// UniqueFd — owns a POSIX file descriptor and closes it when destroyed, on every path.
//
//   cu::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
//   if (!fd) …                         // -1: the call failed (errno says why)
//   ::write(fd.get(), …);
//   int keep = fd.release();           // hand it on; no longer closed here

#include <unistd.h>

#include <utility>

namespace cu {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset(o.release());
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

  // Gives up ownership: returns the descriptor, which the caller now closes.
  int release() { return std::exchange(fd_, -1); }

  // Closes the descriptor held (if any) and holds `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }

  // Closes now and returns close()'s result (0, or -1 with errno set): for files whose
  // last write errors only close reports. The descriptor is released either way.
  int close() {
    int fd = release();
    return fd >= 0 ? ::close(fd) : 0;
  }

 private:
  int fd_ = -1;
};

}  // namespace cu
