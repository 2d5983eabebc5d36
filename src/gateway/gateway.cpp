#include "gateway/gateway.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/log.h"
#include "base/redact.h"
#include "gateway/connection_threads.h"
#include "gateway/session.h"
#include "pg/wire_protocol.h"

namespace cu::gateway {

struct Gateway::State {
  GatewayOptions options;
  Fd listener;
  Fd wake_read, wake_write;  // self-pipe: stop() writes a byte, serve() wakes up
  std::unique_ptr<TlsContext> tls;
  std::unique_ptr<TlsContext> upstream_tls;
  std::unique_ptr<PasswordFile> passwords;
  SessionContext context;

  ConnectionThreads sessions;

  // Connections over --max-connections, refused the way PostgreSQL refuses them: the
  // client's first packet is read (an SSLRequest or GSSENCRequest is declined with 'N', so
  // that libpq goes on in plain text), then FATAL 53300 is sent and our side shut down; what
  // the client still sends is dropped until it closes (closing with unread data would reset
  // the connection and could destroy the error before the client reads it). Non-blocking,
  // in serve()'s thread: a refused client costs no session thread.
  struct Refused {
    Fd fd;
    std::chrono::steady_clock::time_point until;
    std::string in;  // bytes of the client's first packets, until answered
    bool answered = false;
  };
  std::vector<Refused> refused;
  std::chrono::steady_clock::time_point last_refusal_log;

  static void answer_too_many(Refused& r) {
    std::string e = pg::wire::error_response("FATAL", "53300", "sorry, too many clients already");
    [[maybe_unused]] auto n = ::send(r.fd.get(), e.data(), e.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(r.fd.get(), SHUT_WR);
    r.answered = true;
    r.in.clear();
  }

  void refuse_too_many(int cfd) {
    Refused r{Fd(cfd), std::chrono::steady_clock::now() + kRefusedLinger, {}, false};
    if (refused.size() >= kMaxRefused) {
      answer_too_many(r);  // and closed now: under a flood the error may be lost
      return;
    }
    ::fcntl(r.fd.get(), F_SETFL, ::fcntl(r.fd.get(), F_GETFL) | O_NONBLOCK);
    refused.push_back(std::move(r));
  }

  // Reads what refused clients sent and answers them; closes those that closed or took
  // too long.
  void drain_refused(const std::vector<pollfd>& fds, size_t first) {
    auto now = std::chrono::steady_clock::now();
    std::vector<Refused> keep;
    for (size_t i = 0; i < refused.size(); ++i) {
      Refused& r = refused[i];
      bool done = now >= r.until;
      if (!done && fds[first + i].revents != 0) {
        char buf[4096];
        ssize_t n = ::recv(r.fd.get(), buf, sizeof buf, 0);
        done = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
        if (n > 0 && !r.answered) {
          r.in.append(buf, static_cast<size_t>(n));
        }
      }
      while (!done && !r.answered && r.in.size() >= 8) {
        auto be32 = [&](size_t at) {
          uint32_t v = 0;
          for (size_t k = at; k < at + 4; ++k) {
            v = (v << 8) | static_cast<unsigned char>(r.in[k]);
          }
          return v;
        };
        uint32_t code = be32(4);
        if (be32(0) == 8 &&
            (code == pg::wire::kSslRequestCode || code == pg::wire::kGssEncRequestCode)) {
          [[maybe_unused]] auto w = ::send(r.fd.get(), "N", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
          r.in.erase(0, 8);
          continue;
        }
        answer_too_many(r);
      }
      if (done && !r.answered) {
        answer_too_many(r);
      }
      if (!done) {
        keep.push_back(std::move(r));
      }
    }
    refused.swap(keep);
  }

  static constexpr size_t kMaxRefused = 64;
  static constexpr std::chrono::seconds kRefusedLinger{5};
};

Gateway::Gateway(GatewayOptions options) : state_(std::make_unique<State>()) {
  auto& s = *state_;
  s.options = std::move(options);
  if (s.options.tls_cert.empty() != s.options.tls_key.empty()) {
    throw Error(ErrorKind::kUsage, "gateway", "--tls-cert/--tls-key",
                "TLS needs both a certificate and its key");
  }
  if (!s.options.tls_cert.empty()) {
    s.tls = std::make_unique<TlsContext>(s.options.tls_cert, s.options.tls_key);
  }
  if (!s.options.password_file.empty()) {
    s.passwords = std::make_unique<PasswordFile>(PasswordFile::load(s.options.password_file));
  }
  s.context.upstream = s.options.upstream;
  s.context.tls = s.tls.get();
  if (s.options.upstream.sslmode != Upstream::SslMode::kDisable) {
    s.upstream_tls = std::make_unique<TlsContext>(s.options.upstream);
  }
  s.context.upstream_tls = s.upstream_tls.get();
  s.context.passwords = s.passwords.get();
  s.context.auth_timeout = s.options.auth_timeout;
  s.context.executors = s.options.executors;
  s.listener = listen_on(s.options.listen_host, s.options.listen_port);
  if (!listens_on_loopback_only(s.listener)) {
    log::warn(
        "WARNING: the gateway listens on {}:{}, which other machines can reach. Every client "
        "that reaches it can run statements and UNLOAD through the upstream as the user it "
        "logs in as{}{}. Listen on 127.0.0.1 unless other machines must connect.",
        s.options.listen_host, bound_port(s.listener),
        s.passwords ? "" : "; passwords are checked by the upstream only (--password-file)",
        s.tls ? "" : "; the connection is not encrypted (--tls-cert/--tls-key)");
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw Error(ErrorKind::kOther, "gateway", "pipe", std::strerror(errno));
  }
  s.wake_read = Fd(p[0]);
  s.wake_write = Fd(p[1]);
}

Gateway::~Gateway() = default;

uint16_t Gateway::port() const { return bound_port(state_->listener); }

int Gateway::active_sessions() const { return state_->sessions.active(); }

void Gateway::stop() {
  char c = 1;
  [[maybe_unused]] auto n = ::write(state_->wake_write.get(), &c, 1);
}

void Gateway::serve() {
  auto& s = *state_;
  std::vector<pollfd> fds;
  for (;;) {
    fds.assign({{s.listener.get(), POLLIN, 0}, {s.wake_read.get(), POLLIN, 0}});
    for (const auto& r : s.refused) {
      fds.push_back({r.fd.get(), POLLIN, 0});
    }
    s.sessions.reap();
    if (::poll(fds.data(), fds.size(), s.refused.empty() ? 1000 : 200) < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw Error(ErrorKind::kOther, "gateway", "poll", std::strerror(errno));
    }
    if (fds[1].revents != 0) {
      break;
    }
    s.drain_refused(fds, 2);
    if (fds[0].revents == 0) {
      continue;
    }
    int cfd = accept_connection(s.listener, "gateway");
    if (cfd < 0) {
      continue;
    }
    if (int active = s.sessions.active();
        s.options.max_connections > 0 && active >= s.options.max_connections) {
      auto now = std::chrono::steady_clock::now();
      if (now - s.last_refusal_log >= std::chrono::seconds(1)) {  // one line a second at most
        s.last_refusal_log = now;
        log::warn("gateway refused a connection from {}: {} sessions already (--max-connections)",
                  peer_address(cfd), active);
      }
      s.refuse_too_many(cfd);
      continue;
    }
    // Replies go out in several writes (the gateway's own answer, then the upstream's
    // ReadyForQuery): without TCP_NODELAY the second waits for the client's delayed ACK,
    // ~40 ms a statement.
    int one = 1;
    ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s.sessions.start(cfd, [&s](Fd fd) {
      SecretScope session_secrets;  // what the session registers ends with it
      run_session(std::move(fd), s.context);
    });
  }
  s.sessions.shutdown_and_join();
}

}  // namespace cu::gateway
