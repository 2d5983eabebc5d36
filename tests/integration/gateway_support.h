#pragma once
// Helpers for the gateway integration tests: the stack's environment (failing, never
// skipping, when it is missing), `crossunload gateway` as a child process, libpq
// connections through it or straight to PostgreSQL, psql runs, and /proc readings of the
// gateway process.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace gwtest {

namespace fs = std::filesystem;

struct StackEnv {
  std::string host, port, user, password, database, bin;
  std::string missing;  // names of missing variables; empty when all are set
};

inline StackEnv stack_env() {
  StackEnv e;
  auto get = [&](const char* name, std::string& out) {
    const char* v = std::getenv(name);
    if (v && *v) {
      out = v;
    } else {
      e.missing += std::string(e.missing.empty() ? "" : " ") + name;
    }
  };
  get("CU_PG_HOST", e.host);
  get("CU_PG_PORT", e.port);
  get("CU_PG_USER", e.user);
  get("CU_PG_PASSWORD", e.password);
  get("CU_PG_DATABASE", e.database);
  get("CU_PG_BIN", e.bin);
  return e;
}

inline std::string missing_env_message(const StackEnv& e) {
  return "the local stack is not running (missing " + e.missing +
         "); run this test through scripts/test, or scripts/with-stack ctest --test-dir "
         "<build> -R gateway";
}

inline std::string crossunload_path() {
  if (const char* p = std::getenv("CROSSUNLOAD"); p && *p) return p;
  return std::string(CU_BINARY_DIR) + "/crossunload";
}

using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

inline Result exec(PGconn* c, const std::string& sql) {
  return Result(PQexec(c, sql.c_str()), PQclear);
}

inline std::string sqlstate(const PGresult* r) {
  const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return s ? s : "";
}

inline std::string one_value(PGconn* c, const std::string& sql) {
  auto r = exec(c, sql);
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) < 1) {
    throw std::runtime_error("query failed: " + sql + ": " + PQerrorMessage(c));
  }
  return PQgetvalue(r.get(), 0, 0);
}

// The COPY TO STDOUT output of `sql` on `c`, as bytes.
inline std::string copy_out(PGconn* c, const std::string& sql) {
  auto r = exec(c, sql);
  if (PQresultStatus(r.get()) != PGRES_COPY_OUT) {
    throw std::runtime_error("COPY failed: " + std::string(PQerrorMessage(c)));
  }
  std::string out;
  char* buf = nullptr;
  int n;
  while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
    out.append(buf, static_cast<size_t>(n));
    PQfreemem(buf);
  }
  Result end(PQgetResult(c), PQclear);
  if (PQresultStatus(end.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error("COPY failed: " + std::string(PQerrorMessage(c)));
  }
  while (PGresult* extra = PQgetResult(c)) PQclear(extra);
  return out;
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `crossunload gateway` in a child process; stopped with SIGTERM by the destructor.
class GatewayProcess {
 public:
  // asan_options, when not empty, is appended to the inherited ASAN_OPTIONS of the child (a
  // build without AddressSanitizer ignores it).
  GatewayProcess(const StackEnv& env, std::vector<std::string> extra_args, fs::path log_file,
                 const std::string& asan_options = "")
      : log_(std::move(log_file)) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    std::vector<std::string> args = {crossunload_path(), "gateway",
                                     "--listen",         "127.0.0.1:0",
                                     "--upstream",       "host=" + env.host + " port=" + env.port};
    for (auto& a : extra_args) args.push_back(a);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      int err = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(err, 2);
      ::close(out[0]);
      if (!asan_options.empty()) {
        const char* inherited = std::getenv("ASAN_OPTIONS");
        std::string all = inherited && *inherited ? std::string(inherited) + ":" : "";
        ::setenv("ASAN_OPTIONS", (all + asan_options).c_str(), 1);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    // First line on stdout: "crossunload gateway listening on 127.0.0.1:PORT, …".
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (line.find('\n') == std::string::npos) {
      pollfd p{out[0], POLLIN, 0};
      if (std::chrono::steady_clock::now() > deadline || ::poll(&p, 1, 1000) < 0) break;
      if (!p.revents) continue;
      char buf[256];
      ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    auto at = line.find("127.0.0.1:");
    if (at == std::string::npos) {
      throw std::runtime_error("gateway did not start: " + line + read_file(log_));
    }
    port_ = std::stoi(line.substr(at + 10));
  }
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;
  ~GatewayProcess() {
    if (pid_ > 0) stop();
  }

  // SIGTERM, then the exit status (-1 if it had to be killed).
  int stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_file(log_); }

  int fd_count() const {
    int n = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator("/proc/" + std::to_string(pid_) + "/fd"))
      ++n;
    return n;
  }
  long rss_kb() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
  }
  // Waits until the open descriptors drop to `target` (sessions end asynchronously).
  int wait_fd_count(int target, int seconds = 10) const {
    int n = fd_count();
    for (int i = 0; i < seconds * 20 && n > target; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      n = fd_count();
    }
    return n;
  }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

inline Conn connect(const StackEnv& env, int port, const std::string& extra = "sslmode=disable") {
  std::string ci = "host=127.0.0.1 port=" + std::to_string(port) + " dbname=" + env.database +
                   " user=" + env.user + " password=" + env.password + " connect_timeout=10 " +
                   extra;
  Conn c(PQconnectdb(ci.c_str()), PQfinish);
  // Quiet by default (16 clients' INFO notices would flood the output); tests that check
  // notices install their own receiver.
  PQsetNoticeReceiver(
      c.get(), [](void*, const PGresult*) {}, nullptr);
  return c;
}

inline Conn connect_direct(const StackEnv& env) { return connect(env, std::stoi(env.port)); }

struct Run {
  int rc = -1;
  std::string out, err;
};

// psql through `port`, the password from a 0600 passfile (never on the command line).
inline Run psql(const StackEnv& env, int port, const std::vector<std::string>& extra,
                const std::string& stdin_text, const fs::path& workdir) {
  fs::path pass = workdir / "pgpass";
  {
    std::ofstream p(pass);
    p << "127.0.0.1:" << port << ":*:" << env.user << ":" << env.password << "\n";
  }
  ::chmod(pass.c_str(), 0600);
  fs::path in = workdir / "psql.in", out = workdir / "psql.out", err = workdir / "psql.err";
  {
    std::ofstream i(in);
    i << stdin_text;
  }
  std::vector<std::string> args = {env.bin + "/psql",    "-X", "-h",     "127.0.0.1", "-p",
                                   std::to_string(port), "-U", env.user, "-d",        env.database};
  for (auto& a : extra) args.push_back(a);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(::open(in.c_str(), O_RDONLY), 0);
    ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
    ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
    ::setenv("PGPASSFILE", pass.c_str(), 1);
    ::setenv("PGSSLMODE", "prefer", 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Run r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

}  // namespace gwtest
