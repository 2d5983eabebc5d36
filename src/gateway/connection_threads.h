#pragma once
// The servers' connections (the gateway's sessions, the Data API's HTTP connections): one
// thread per accepted socket, joined rather than detached, so that a thread's own clean-up
// (thread-local state of OpenSSL, the C++ runtime) has finished before the server returns.
//
//   ConnectionThreads conns;
//   for (;;) {                                  // the server's accept loop
//     conns.reap();                             // joins the threads that have ended
//     int cfd = accept_connection(listener, "gateway");
//     if (cfd >= 0) conns.start(cfd, [&](Fd fd) { run_session(std::move(fd), ctx); });
//   }
//   conns.shutdown_and_join();                  // on stop: every socket shut down, joined

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

#include "gateway/net.h"

namespace cu::gateway {

// accept4 (close-on-exec) on `listener`: the new socket, or -1 after a failure that leaves
// the listener usable (interrupted, the client gone, or out of descriptors or memory: then
// logged as `who`'s, after a 100 ms pause).
int accept_connection(const Fd& listener, std::string_view who);

class ConnectionThreads {
 public:
  ConnectionThreads() = default;
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;
  ~ConnectionThreads() { shutdown_and_join(); }

  // Takes `cfd` and runs `serve` on a new thread with a duplicate of it. `cfd` itself stays
  // open (so that its number cannot be reused by another socket) until the thread has ended,
  // for shutdown_and_join() to reach the connection.
  void start(int cfd, std::function<void(Fd)> serve);
  // Connections whose thread is still running.
  int active() const;
  // Joins the threads that have ended.
  void reap();
  // Shuts every running connection's socket down (its thread sees end of stream) and joins
  // every thread.
  void shutdown_and_join();

 private:
  mutable std::mutex mu_;
  std::set<int> fds_;  // of running connections
  std::map<std::uint64_t, std::thread> threads_;
  std::vector<std::uint64_t> finished_;
  std::uint64_t next_id_ = 0;
};

}  // namespace cu::gateway
