// The logger's status line (the progress bar): drawn with "\r" and erase-to-end, erased
// before a log line and drawn again after it, left in place (newline) or erased at its end;
// write_line writes a line as it is, redacted.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "base/log.h"
#include "base/redact.h"
#include "temp_dir.h"

namespace {

// What `fn` writes to stderr.
template <typename Fn>
std::string stderr_of(Fn&& fn) {
  cu_test::TempDir dir;
  std::string path = (dir.path() / "stderr").string();
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  std::FILE* f = std::fopen(path.c_str(), "w");
  ::dup2(::fileno(f), STDERR_FILENO);
  fn();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::fclose(f);
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(LogStatus, TheBarIsRedrawnBelowEachLogLineAndKeptAtTheEnd) {
  std::string out = stderr_of([] {
    cu::log::set_status("bar 1");
    cu::log::set_status("bar 2");
    cu::log::info("a log line");
    cu::log::set_status("bar 3");
    cu::log::end_status(true);
    cu::log::info("after the bar");
  });
  EXPECT_EQ(out,
            "\r\x1b[Kbar 1"
            "\r\x1b[Kbar 2"
            "\r\x1b[Kcrossunload: a log line\nbar 2"
            "\r\x1b[Kbar 3\n"
            "crossunload: after the bar\n");
}

TEST(LogStatus, ErasedWhenNotKeptAndNothingWithoutOne) {
  std::string out = stderr_of([] {
    cu::log::end_status(true);  // no status line: nothing
    cu::log::set_status("bar");
    cu::log::end_status(false);
    cu::log::end_status(false);
  });
  EXPECT_EQ(out, "\r\x1b[Kbar\r\x1b[K");
}

TEST(LogStatus, WriteLineIsOneRedactedLine) {
  cu::register_secret("progress-test-secret-value");
  std::string out = stderr_of(
      [] { cu::log::write_line(R"({"event":"progress","note":"progress-test-secret-value"})"); });
  EXPECT_EQ(out.find("progress-test-secret-value"), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  EXPECT_EQ(out.rfind("{\"event\":\"progress\"", 0), 0u) << out;
}

}  // namespace
