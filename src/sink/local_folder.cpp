#include "sink/local_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/error.h"
#include "base/log.h"

namespace cu::sink {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kTempMark = ".crossunload-";

[[noreturn]] void fail(const std::string& path, std::string what, int err) {
  throw Error(ErrorKind::kDestination, "write", path, what + ": " + std::strerror(err))
      .with_hint("check that the folder exists or can be created and is writable");
}

}  // namespace

std::pair<std::string, std::string> split_prefix(std::string_view prefix) {
  auto slash = prefix.rfind('/');
  if (slash == std::string_view::npos) return {".", std::string(prefix)};
  std::string dir(prefix.substr(0, slash));
  if (dir.empty()) dir = "/";
  return {dir, std::string(prefix.substr(slash + 1))};
}

LocalFile::LocalFile(std::string final_path, std::string temp_path)
    : final_path_(std::move(final_path)), temp_path_(std::move(temp_path)) {
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(final_path_, "cannot create a file", errno);
}

LocalFile::~LocalFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!renamed_) ::unlink(temp_path_.c_str());
}

void LocalFile::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(final_path_, "cannot write", errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    bytes_ += static_cast<uint64_t>(n);
  }
}

void LocalFile::close() {
  if (fd_ < 0) return;
  // Flushed before the rename, so a crash never leaves a final name with missing bytes.
  if (::fdatasync(fd_) != 0) fail(final_path_, "cannot flush", errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(final_path_, "cannot close", errno);
}

void LocalFile::rename_to_final() {
  close();
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    fail(final_path_, "cannot rename the finished file into place", errno);
  }
  renamed_ = true;
}

LocalFolder::LocalFolder(std::string prefix) : prefix_(std::move(prefix)) {
  if (prefix_.empty()) {
    throw Error(ErrorKind::kUsage, "parse destination", "--to", "the path prefix is empty");
  }
}

LocalFolder::~LocalFolder() {
  if (published_) return;
  files_.clear();  // removes temporary files
  for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it) {
    std::error_code ec;
    fs::remove(*it, ec);  // only succeeds when empty: never removes anything else
  }
}

std::vector<std::string> LocalFolder::existing() const {
  auto [dir, name] = split_prefix(prefix_);
  std::vector<std::string> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return found;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    throw Error(ErrorKind::kDestination, "check destination", dir,
                "cannot list the folder: " + ec.message());
  }
  for (const auto& entry : it) {
    std::string file = entry.path().filename().string();
    if (file.starts_with(name) && !file.starts_with(kTempMark)) {
      found.push_back(entry.path().string());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

void LocalFolder::check_empty(bool allow_overwrite) const {
  if (allow_overwrite) return;
  auto found = existing();
  if (found.empty()) return;
  // Redshift's message (spec §1.6), with the folder in place of S3.
  throw Error(ErrorKind::kDestination, "check destination", prefix_,
              "Specified unload destination is not empty (" + std::to_string(found.size()) +
                  (found.size() == 1 ? " file starts" : " files start") +
                  " with this prefix, e.g. " + found.front() +
                  "). Consider using a different prefix, manually removing the target files, "
                  "or using the ALLOWOVERWRITE option.")
      .with_hint("pass --allow-overwrite to replace same-named files");
}

void LocalFolder::make_folders(const std::string& dir) {
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
      fail(it->string(), "cannot create the folder", errno);
    }
    created_dirs_.push_back(it->string());
  }
  if (!fs::is_directory(dir, ec)) fail(dir, "not a folder", ENOTDIR);
}

LocalFile& LocalFolder::create(const std::string& path) {
  auto [dir, name] = split_prefix(path);
  make_folders(dir);
  std::string temp = (dir == "/" ? "" : dir) + "/" + std::string(kTempMark) +
                     std::to_string(::getpid()) + "-" + name;
  files_.push_back(std::make_unique<LocalFile>(path, temp));
  cu::log::debug("writing {} (as {})", path, temp);
  return *files_.back();
}

void LocalFolder::publish() {
  for (auto& f : files_) f->close();
  for (auto& f : files_) f->rename_to_final();
  published_ = true;
}

}  // namespace cu::sink
