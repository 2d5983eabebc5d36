#include "gateway/folder_executor.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/error.h"
#include "unload/naming.h"
#include "unload/parse.h"
#include "unload/validate.h"

namespace cu::gateway {
namespace {

[[noreturn]] void unsupported(std::string_view option) {
  throw Error(ErrorKind::kUsage, "unload", std::string(option),
              fmt::format("{} is not supported by the gateway's built-in folder executor", option))
      .with_hint("the folder executor writes text or CSV to a local path prefix only");
}

// A file opened for writing; closed (and removed if unfinished) by the destructor.
class OutputFile {
 public:
  OutputFile(std::string path, bool overwrite) : path_(std::move(path)) {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
    fd_ = ::open(path_.c_str(), flags, 0644);
    if (fd_ < 0) {
      int e = errno;
      auto err = Error(ErrorKind::kDestination, "unload", path_, std::strerror(e));
      if (e == EEXIST) {
        err = Error(ErrorKind::kDestination, "unload", path_,
                    "Specified unload destination is not empty")
                  .with_hint("use ALLOWOVERWRITE, or unload to an empty prefix");
      }
      throw err;
    }
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {
    if (fd_ >= 0) {
      ::close(fd_);
      if (!committed_) ::unlink(path_.c_str());
    }
  }

  // COPY sends one CopyData per row: gather them so a write(2) carries ~1 MiB, not a row.
  void write(std::string_view bytes) {
    buf_.append(bytes);
    if (buf_.size() >= kBufferSize) flush();
  }

  void commit() {
    flush();
    if (::close(fd_) != 0) {
      fd_ = -1;
      ::unlink(path_.c_str());
      throw Error(ErrorKind::kDestination, "unload", path_, std::strerror(errno));
    }
    fd_ = -1;
    committed_ = true;
  }

 private:
  static constexpr size_t kBufferSize = 1 << 20;

  void flush() {
    std::string_view bytes = buf_;
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(ErrorKind::kDestination, "unload", path_, std::strerror(errno));
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    buf_.clear();
  }

  std::string path_;
  std::string buf_;
  int fd_ = -1;
  bool committed_ = false;
};

// A one-character COPY option literal in PostgreSQL syntax (E'' so a TAB or backslash
// delimiter survives whatever standard_conforming_strings says).
std::string copy_literal(std::string_view s) {
  std::string out = "E'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out.push_back(c);
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

}  // namespace

std::uint64_t FolderUnloadExecutor::execute(std::string_view statement, const SessionInfo&,
                                            UpstreamSession& upstream) {
  unload::UnloadSpec spec = unload::parse(statement);
  unload::validate(spec, {.for_redshift = false});
  auto dest = unload::parse_destination(spec.destination);
  if (dest.s3) unsupported("an s3:// destination");
  if (spec.format == unload::Format::kJson) unsupported("FORMAT JSON");
  if (spec.format == unload::Format::kParquet) unsupported("FORMAT PARQUET");
  if (spec.compression != unload::Compression::kNone) unsupported("compression");
  if (spec.partition_by) unsupported("PARTITION BY");
  if (spec.manifest != unload::Manifest::kNone) unsupported("MANIFEST");
  if (spec.fixedwidth) unsupported("FIXEDWIDTH");

  std::string options;
  if (spec.format == unload::Format::kCsv) {
    options = "FORMAT csv";
    if (spec.delimiter) options += ", DELIMITER " + copy_literal(*spec.delimiter);
    if (spec.header) options += ", HEADER";
  } else {
    options = "FORMAT text, DELIMITER " + copy_literal(spec.delimiter.value_or("|"));
    if (spec.header) unsupported("HEADER with text format");
  }
  if (spec.null_as) options += ", NULL " + copy_literal(*spec.null_as);

  auto name = unload::object_name(dest.prefix, 0, 0, unload::ObjectNaming::of(spec));
  auto parent = std::filesystem::path(name).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw Error(ErrorKind::kDestination, "unload", parent.string(), ec.message());
  }
  OutputFile out(name, spec.allow_overwrite || spec.clean_path);
  std::uint64_t rows =
      upstream.copy_out(fmt::format("COPY ({}) TO STDOUT WITH ({})", spec.select, options),
                        [&](std::string_view chunk) { out.write(chunk); });
  out.commit();
  return rows;
}

}  // namespace cu::gateway
