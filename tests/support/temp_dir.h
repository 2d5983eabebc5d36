#pragma once
// A fresh folder for one test, removed with everything in it when it goes out of scope:
//
//   cu_test::TempDir home("cu-creds");                       // $TMPDIR/cu-creds-XXXXXX
//   home.write(".aws/credentials", "[default]\n…");          // parents created
//   std::string tool = home.script("creds.sh", "echo '{…}'\n"); // an executable sh script
//   Environment env{{{"HOME", home.str()}}};
//
// Under scripts/test TMPDIR lies inside the stack's folder, so even a crashed test leaves
// nothing behind.

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace cu_test {

class TempDir {
 public:
  explicit TempDir(std::string_view tag = "cu-test") {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / (std::string(tag) + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + tmpl);
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

  // Writes `text` to `rel` (inside the folder), creating parent folders; returns its path.
  std::filesystem::path write(const std::string& rel, const std::string& text) const {
    std::filesystem::path p = path_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + p.string());
    return p;
  }

  // An executable /bin/sh script `name` with `body`; returns its path.
  std::string script(const std::string& name, const std::string& body) const {
    std::filesystem::path p = write(name, "#!/bin/sh\n" + body);
    ::chmod(p.c_str(), 0755);
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace cu_test
