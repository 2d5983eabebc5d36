// The folder face of sink::ObjectStore: an object is a file written under a hidden
// temporary name in its final folder and renamed into place on publish — without replacing
// (renameat2 RENAME_NOREPLACE, or link + unlink where the file system lacks it) unless
// asked to — so a reader never sees a partial file and an aborted object leaves nothing.
#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc ≥ 2.28)
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <system_error>
#include <vector>

#include "base/error.h"
#include "sink/object_store.h"

namespace cu::sink {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kTempMark = ".crossunload-";

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  if (err == ENAMETOOLONG) {
    // The path is the resource already; repeating a long one in the message helps nobody.
    throw Error(ErrorKind::kDestination, "write", path, std::strerror(err))
        .with_hint(
            "a folder or file name is longer than the file system allows (255 bytes per "
            "name here); with PARTITION BY each value becomes a folder name — partition by a "
            "shorter column or an expression of it");
  }
  throw Error(ErrorKind::kDestination, "write", path, what + ": " + std::strerror(err))
      .with_hint("check that the folder exists or can be created and is writable");
}

std::atomic<uint64_t> g_counter{0};

// Folders the store's writers brought into being. When the store goes away, those left
// empty (a failed or zero-file run) are removed; rmdir never removes a folder with files.
struct CreatedFolders {
  std::mutex mu;
  std::vector<std::string> dirs;
  std::atomic<std::size_t> abort_failures{0};  // temporary files abort() could not remove
  ~CreatedFolders() {
    std::sort(dirs.begin(), dirs.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const std::string& d : dirs) {
      ::rmdir(d.c_str());
    }
  }
};

class FolderWriter final : public ObjectWriter {
 public:
  FolderWriter(std::string path, std::shared_ptr<CreatedFolders> folders)
      : path_(std::move(path)), folders_(std::move(folders)) {
    auto [dir, name] = split_prefix(path_);
    std::error_code ec;
    // Remember the folders this writer brings into being, so an aborted write leaves no
    // empty folder behind either (removed only while empty: another writer's files stay).
    for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
      created_dirs_.push_back(p.string());
      if (p == p.parent_path()) {
        break;
      }
    }
    {
      std::lock_guard lock(folders_->mu);
      folders_->dirs.insert(folders_->dirs.end(), created_dirs_.begin(), created_dirs_.end());
    }
    fs::create_directories(dir, ec);
    if (ec) {
      fail(path_, "cannot create the folder " + dir, ec.value());
    }
    temp_ = (dir == "/" ? "" : dir) + "/" + std::string(kTempMark) + std::to_string(::getpid()) +
            "-" + std::to_string(g_counter++) + "-" + name;
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      fail(path_, "cannot create a file", errno);
    }
  }
  ~FolderWriter() override { abort(); }

  void write(std::string_view bytes) override {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        fail(path_, "cannot write", errno);
      }
      bytes.remove_prefix(static_cast<size_t>(n));
      bytes_ += static_cast<uint64_t>(n);
    }
  }

  uint64_t seal() override {
    if (fd_ >= 0) {
      int fd = fd_;
      fd_ = -1;
      if (::close(fd) != 0) {
        fail(path_, "cannot close", errno);
      }
    }
    return bytes_;
  }

  void publish(bool replace) override {
    seal();
    int err = replace ? rename_replacing() : rename_no_replace();
    if (err != 0) {
      ::unlink(temp_.c_str());
      committed_ = true;  // nothing left to do
      if (err == EEXIST) {
        throw Error(ErrorKind::kDestination, "commit", path_,
                    "another run published a file of this name while this one ran")
            .with_hint(
                "without ALLOWOVERWRITE a run never replaces a file; this run's files were not "
                "published");
      }
      fail(path_, "cannot rename the finished file into place", err);
    }
    committed_ = true;
  }

  uint64_t commit() override {
    publish(/*replace=*/true);
    return bytes_;
  }

  void abort() noexcept override {
    if (committed_) {
      return;
    }
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = -1;
    if (::unlink(temp_.c_str()) != 0 && errno != ENOENT) {
      ++folders_->abort_failures;
    }
    for (const std::string& d : created_dirs_) {
      ::rmdir(d.c_str());  // deepest first
    }
    committed_ = true;  // nothing left to do
  }

  uint64_t bytes_written() const override { return bytes_; }
  const std::string& key() const override { return path_; }

 private:
  int rename_replacing() const { return ::rename(temp_.c_str(), path_.c_str()) == 0 ? 0 : errno; }
  int rename_no_replace() const {
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) == 0) {
      return 0;
    }
    if (errno != EINVAL && errno != ENOSYS) {
      return errno;
    }
    // A file system without RENAME_NOREPLACE: link() never replaces either.
    if (::link(temp_.c_str(), path_.c_str()) != 0) {
      return errno;
    }
    ::unlink(temp_.c_str());
    return 0;
  }

  std::string path_, temp_;
  std::vector<std::string> created_dirs_;  // deepest first
  std::shared_ptr<CreatedFolders> folders_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  bool committed_ = false;
};

class FolderStore : public ObjectStore {
 public:
  std::vector<StoredObject> list(const std::string& prefix) override {
    std::vector<StoredObject> out;
    auto [dir, name] = split_prefix(prefix);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return out;
    }
    // Keys are spelled like the prefix: "dir/…" with the folder as the prefix gave it.
    std::string base = prefix.substr(0, prefix.size() - name.size());
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      // Lexical, and every per-entry error ignored: other writers' temporary files may be
      // renamed or deleted between reading the folder and looking at an entry.
      std::string rel = it->path().lexically_relative(dir).generic_string();
      std::error_code entry_ec;
      if (rel.rfind(name, 0) != 0) {
        if (it->is_directory(entry_ec) && name.rfind(rel, 0) != 0) {
          it.disable_recursion_pending();
        }
        continue;
      }
      std::string leaf = it->path().filename().string();
      if (leaf.rfind(kTempMark, 0) == 0) {
        continue;
      }
      if (!it->is_regular_file(entry_ec)) {
        continue;
      }
      uint64_t size = it->file_size(entry_ec);
      if (entry_ec) {
        continue;
      }
      out.push_back({base + rel, size});
    }
    if (ec) {
      fail(prefix, "cannot list the folder " + dir, ec.value());
    }
    std::sort(out.begin(), out.end(),
              [](const StoredObject& a, const StoredObject& b) { return a.key < b.key; });
    return out;
  }

  std::unique_ptr<ObjectWriter> open(const std::string& key, const WriteOptions&) override {
    return std::make_unique<FolderWriter>(key, folders_);
  }

  void remove(const std::vector<std::string>& keys) override {
    for (const auto& k : keys) {
      if (::unlink(k.c_str()) != 0 && errno != ENOENT) {
        fail(k, "cannot delete", errno);
      }
    }
  }

  // Absolute, so that a manifest read from another working directory still points at the
  // files.
  std::string url(const std::string& key) const override {
    std::error_code ec;
    fs::path p = fs::absolute(key, ec);
    return ec ? key : p.lexically_normal().string();
  }
  uint64_t writer_memory() const override { return 0; }
  std::size_t abort_failures() const override { return folders_->abort_failures.load(); }

 private:
  std::shared_ptr<CreatedFolders> folders_ = std::make_shared<CreatedFolders>();
};

}  // namespace

std::pair<std::string, std::string> split_prefix(std::string_view prefix) {
  auto slash = prefix.rfind('/');
  if (slash == std::string_view::npos) {
    return {".", std::string(prefix)};
  }
  std::string dir(prefix.substr(0, slash));
  if (dir.empty()) {
    dir = "/";
  }
  return {dir, std::string(prefix.substr(slash + 1))};
}

std::unique_ptr<ObjectStore> make_folder_store() { return std::make_unique<FolderStore>(); }

unload::Destination parse_destination(std::string_view to) { return unload::parse_destination(to); }

}  // namespace cu::sink
