#include "gateway/local_root.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/error.h"

namespace cu::gateway {
namespace {

std::string join(const std::vector<std::string_view>& segs, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += '/';
    out += segs[i];
  }
  return out.empty() ? "/" : out;
}

// realpath(3) into a std::string; false (errno set) when it fails.
bool real_path(const std::string& p, std::string& out) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr) {
    return false;
  }
  out = buf;
  return true;
}

}  // namespace

LocalRoot::LocalRoot(const std::string& dir) {
  if (dir.empty()) {
    throw Error(ErrorKind::kUsage, "gateway", "--local-root", "the folder name is empty");
  }
  if (!real_path(dir, path_)) {
    throw Error(ErrorKind::kUsage, "gateway --local-root", dir, std::strerror(errno))
        .with_hint("--local-root names an existing folder the gateway may write UNLOAD files into");
  }
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Error(ErrorKind::kUsage, "gateway --local-root", dir, "not a folder");
  }
}

bool LocalRoot::contains(const std::string& canonical) const {
  if (path_ == "/") {
    return true;
  }
  return canonical == path_ ||
         (canonical.size() > path_.size() && canonical.compare(0, path_.size(), path_) == 0 &&
          canonical[path_.size()] == '/');
}

std::string LocalRoot::confine(std::string_view to) const {
  auto refuse = [&](const std::string& why) -> Error {
    return Error(ErrorKind::kAccess, "local root", std::string(to), why)
        .with_hint(fmt::format(
            "this gateway writes local files only under its --local-root {} (a relative TO "
            "is taken from there); Redshift itself unloads only to s3://",
            path_));
  };
  if (to.empty()) {
    throw refuse("the path is empty");
  }
  std::string full = to.front() == '/' ? std::string(to) : path_ + "/" + std::string(to);
  bool trailing_slash = full.back() == '/';
  std::vector<std::string_view> segs;
  std::string_view rest(full);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (seg.empty() || seg == ".") {
      continue;
    }
    if (seg == "..") {
      throw refuse("a path with '..' is refused");
    }
    segs.push_back(seg);
  }
  std::string normal = join(segs, segs.size());
  if (trailing_slash && !segs.empty()) {
    normal += '/';
  }

  // The folder the files go into: the whole path when it ends in '/', else its parent. Its
  // longest existing part is resolved through symlinks; the rest does not exist yet (the
  // folder store creates it), so holds no symlink.
  size_t folder = trailing_slash ? segs.size() : (segs.empty() ? 0 : segs.size() - 1);
  std::string canonical;
  for (size_t k = folder + 1; k-- > 0;) {
    std::string candidate = join(segs, k);
    if (real_path(candidate, canonical)) {
      struct stat st {};
      if (::stat(canonical.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw refuse(fmt::format("{}: not a folder", candidate));
      }
      for (size_t i = k; i < folder; ++i) {
        if (canonical != "/") {
          canonical += '/';
        }
        canonical += segs[i];
      }
      break;
    }
    int err = errno;
    struct stat st {};
    if (err != ENOENT || ::lstat(candidate.c_str(), &st) == 0) {
      // Not a folder, unreadable, a symlink loop, or a symlink that leads nowhere (yet).
      throw refuse(fmt::format("{}: {}", candidate,
                               err == ENOENT ? "a symlink to nothing" : std::strerror(err)));
    }
  }
  if (canonical.empty() || !contains(canonical)) {
    throw refuse(fmt::format("the path is outside the gateway's local root {}", path_));
  }
  return normal;
}

namespace {

class ConfinedFolderStore : public sink::ObjectStore {
 public:
  explicit ConfinedFolderStore(const LocalRoot& root)
      : root_(root), inner_(sink::make_folder_store()) {}

  std::vector<sink::StoredObject> list(const std::string& prefix) override {
    root_.confine(prefix);
    return inner_->list(prefix);
  }
  std::unique_ptr<sink::ObjectWriter> open(const std::string& key,
                                           const sink::WriteOptions& options) override {
    root_.confine(key);
    return inner_->open(key, options);
  }
  void remove(const std::vector<std::string>& keys) override {
    for (const std::string& k : keys) {
      root_.confine(k);
    }
    inner_->remove(keys);
  }
  std::string url(const std::string& key) const override { return inner_->url(key); }
  uint64_t writer_memory() const override { return inner_->writer_memory(); }

 private:
  const LocalRoot& root_;
  std::unique_ptr<sink::ObjectStore> inner_;
};

}  // namespace

std::unique_ptr<sink::ObjectStore> make_confined_folder_store(const LocalRoot& root) {
  return std::make_unique<ConfinedFolderStore>(root);
}

void refuse_local_unload(std::string_view to) {
  throw Error(ErrorKind::kAccess, "unload", std::string(to),
              "UNLOAD to a local path is not enabled on this gateway: Redshift unloads only to "
              "Amazon S3")
      .with_hint(
          "use TO 's3://bucket/prefix', or start the gateway with --local-root DIR to allow "
          "UNLOAD into files under DIR");
}

}  // namespace cu::gateway
