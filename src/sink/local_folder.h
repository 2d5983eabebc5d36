#pragma once
// A local folder as an UNLOAD destination: the same layout Redshift writes to S3, with a
// path prefix in place of `s3://bucket/prefix`. Files are written under hidden temporary
// names and only renamed to their real names by publish(), after the whole unload has
// succeeded, so a failure (or an exception anywhere) leaves no partial file behind — and
// the folders this sink created are removed again.
//
//   sink::LocalFolder folder("/data/out/sales_");
//   folder.check_empty(allow_overwrite);          // Redshift's "not empty" rule (kDestination)
//   sink::LocalFile& f = folder.create("/data/out/sales_000");
//   f.write(bytes);
//   folder.publish();                              // all files appear, or none
//
// Errors are cu::Error(kDestination, "write", <path>, …).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cu::sink {

// One file being written: a temporary, hidden name next to its final path.
class LocalFile {
 public:
  LocalFile(std::string final_path, std::string temp_path);
  ~LocalFile();  // removes the temporary file unless renamed
  LocalFile(const LocalFile&) = delete;
  LocalFile& operator=(const LocalFile&) = delete;

  void write(std::string_view bytes);
  // Flushes to disk and closes; the file keeps its temporary name until publish().
  void close();

  const std::string& path() const { return final_path_; }
  uint64_t bytes() const { return bytes_; }

 private:
  friend class LocalFolder;
  void rename_to_final();

  std::string final_path_, temp_path_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  bool renamed_ = false;
};

class LocalFolder {
 public:
  // `prefix` is TO as given: "out/sales_" (files out/sales_000…) or "out/" (out/000…).
  explicit LocalFolder(std::string prefix);
  ~LocalFolder();  // without publish(): temporary files and created folders are removed
  LocalFolder(const LocalFolder&) = delete;
  LocalFolder& operator=(const LocalFolder&) = delete;

  // Entries of the prefix's folder whose names start with the prefix's last part (all of
  // them when it ends in '/'), sorted; our own temporary files are not counted.
  std::vector<std::string> existing() const;

  // Refuses, like Redshift (spec §1.6), when existing() is not empty, unless allowed.
  void check_empty(bool allow_overwrite) const;

  // Creates the folders on the way (remembering which) and a temporary file for `path`.
  LocalFile& create(const std::string& path);

  // Renames every file created to its final name (replacing same-named files).
  void publish();

  const std::string& prefix() const { return prefix_; }

 private:
  void make_folders(const std::string& dir);

  std::string prefix_;
  std::vector<std::unique_ptr<LocalFile>> files_;
  std::vector<std::string> created_dirs_;  // deepest last
  bool published_ = false;
};

// The folder part and the name part of a path prefix: "a/b/x_" -> {"a/b", "x_"},
// "a/b/" -> {"a/b", ""}, "x_" -> {".", "x_"}, "/x" -> {"/", "x"}.
std::pair<std::string, std::string> split_prefix(std::string_view prefix);

}  // namespace cu::sink
