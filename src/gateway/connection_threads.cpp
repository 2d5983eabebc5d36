#include "gateway/connection_threads.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/log.h"

namespace cu::gateway {

int accept_connection(const Fd& listener, std::string_view who) {
  int cfd = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (cfd >= 0) {
    return cfd;
  }
  if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) {
    // Out of descriptors or memory: say so, back off briefly, keep serving.
    log::warn("{} accept: {}", who, std::strerror(errno));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

void ConnectionThreads::start(int cfd, std::function<void(Fd)> serve) {
  std::lock_guard lock(mu_);
  fds_.insert(cfd);
  std::uint64_t id = next_id_++;
  threads_[id] = std::thread([this, cfd, id, serve = std::move(serve)] {
    Fd registered(cfd);
    Fd conn_fd(::dup(cfd));
    if (conn_fd) {
      serve(std::move(conn_fd));
    }
    std::lock_guard guard(mu_);
    fds_.erase(cfd);
    finished_.push_back(id);
  });
}

int ConnectionThreads::active() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(fds_.size());
}

void ConnectionThreads::reap() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(mu_);
    for (auto id : finished_) {
      if (auto it = threads_.find(id); it != threads_.end()) {
        done.push_back(std::move(it->second));
        threads_.erase(it);
      }
    }
    finished_.clear();
  }
  for (auto& t : done) {
    t.join();
  }
}

void ConnectionThreads::shutdown_and_join() {
  std::map<std::uint64_t, std::thread> running;
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) {
      ::shutdown(fd, SHUT_RDWR);
    }
    running.swap(threads_);
    finished_.clear();
  }
  for (auto& [id, t] : running) {
    t.join();
  }
}

}  // namespace cu::gateway
