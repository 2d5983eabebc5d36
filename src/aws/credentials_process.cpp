// credential_process: an external command prints temporary credentials as JSON. Run
// without a shell, like the AWS CLI (the line is split into words, not interpreted).

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "aws/credentials_providers.h"
#include "base/error.h"
#include "base/unique_fd.h"

extern char** environ;  // NOLINT: POSIX

namespace cu::aws {

namespace {

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw cu::Error(cu::ErrorKind::kOther, "run credential_process", "", std::strerror(errno));
  }
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

struct ProcessResult {
  int status = 0;
  std::string out, err;
};

// Spawns argv with stdout and stderr captured (stdin inherited, so a tool may prompt on the
// terminal for an MFA code) and waits for it.
ProcessResult run(const std::vector<std::string>& argv, const std::string& description) {
  Pipe out = make_pipe(), err = make_pipe();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
  std::vector<char*> args;
  args.reserve(argv.size());
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw cu::Error(cu::ErrorKind::kAccess, "run credential_process", description,
                    fmt::format("cannot start {}: {}", argv[0], std::strerror(rc)))
        .with_hint("check the credential_process line of the profile");
  }
  out.write.reset();
  err.write.reset();

  ProcessResult r;
  constexpr size_t kMaxErr = 4096;  // only for the message
  pollfd fds[2] = {{out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}};
  int open_fds = 2;
  char buf[8192];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      if (i == 0) {
        r.out.append(buf, static_cast<size_t>(n));
      } else if (r.err.size() < kMaxErr) {
        r.err.append(buf, std::min(static_cast<size_t>(n), kMaxErr - r.err.size()));
      }
    }
  }
  while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
  }
  return r;
}

class ProcessProvider : public CredentialsProvider {
 public:
  ProcessProvider(std::string command, std::string description)
      : command_(std::move(command)), description_(std::move(description)) {}

  Credentials get() override {
    std::vector<std::string> argv = split_command(command_);
    if (argv.empty()) {
      throw cu::Error(cu::ErrorKind::kUsage, "run credential_process", description_,
                      "credential_process is empty");
    }
    ProcessResult r = run(argv, description_);
    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
      std::string why = WIFEXITED(r.status)
                            ? fmt::format("exited with status {}", WEXITSTATUS(r.status))
                            : fmt::format("killed by signal {}", WTERMSIG(r.status));
      while (!r.err.empty() && (r.err.back() == '\n' || r.err.back() == ' ')) {
        r.err.pop_back();
      }
      if (!r.err.empty()) {
        why += ": " + r.err;
      }
      throw cu::Error(cu::ErrorKind::kAccess, "run credential_process", description_,
                      fmt::format("{} {}", argv[0], why));
    }
    nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
    if (!doc.is_object()) {
      throw cu::Error(cu::ErrorKind::kAccess, "run credential_process", description_,
                      fmt::format("{} did not print a JSON object", argv[0]));
    }
    auto version = doc.find("Version");
    if (version == doc.end() || !version->is_number_integer() || version->get<int>() != 1) {
      throw cu::Error(
          cu::ErrorKind::kAccess, "run credential_process", description_,
          fmt::format("{} printed no \"Version\": 1 (the only version defined)", argv[0]));
    }
    Credentials c = parse_credentials_json(r.out, description_);
    return c;
  }
  std::string describe() const override { return description_; }

 private:
  std::string command_;
  std::string description_;
};

}  // namespace

std::vector<std::string> split_command(std::string_view command) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        cur += c;
      }
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < command.size() &&
                 std::strchr("\"\\$`\n", command[i + 1]) != nullptr) {
        cur += command[++i];
      } else {
        cur += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < command.size()) {
      cur += command[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) {
        words.push_back(std::move(cur));
      }
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote != 0) {
    throw cu::Error(cu::ErrorKind::kUsage, "run credential_process", "",
                    "unbalanced quote in credential_process");
  }
  if (in_word) {
    words.push_back(std::move(cur));
  }
  return words;
}

CredentialsProviderPtr process_credentials(std::string command, std::string description) {
  return std::make_shared<ProcessProvider>(std::move(command), std::move(description));
}

}  // namespace cu::aws
