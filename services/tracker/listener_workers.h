// What the HTTP and UDP listeners share: one worker per SO_REUSEPORT socket, started all or
// none and stopped together.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/net/listen_socket.h"

namespace p2pims::tracker {

template <typename Worker>
void StopWorkers(std::vector<std::unique_ptr<Worker>>& workers) {
  for (auto& w : workers) w->Stop();
  workers.clear();
}

// Opens `threads` sockets of `type` on `address` and starts a worker on each, made by
// `make(fd)` (Worker has absl::Status Start() and void Stop()); sets `*port`. On failure the
// workers started are stopped and `workers` is left empty.
template <typename Worker, typename Make>
absl::Status StartWorkers(const std::string& address, int type, int threads, Make make,
                          std::vector<std::unique_ptr<Worker>>& workers, int* port) {
  if (!workers.empty()) return absl::FailedPreconditionError("listener already started");
  auto sockets = net::OpenServerSockets(address, type, std::max(1, threads), {.nonblocking = true});
  if (!sockets.ok()) return sockets.status();
  *port = sockets->second;
  for (int fd : sockets->first) workers.push_back(make(fd));
  for (auto& w : workers) {
    if (absl::Status s = w->Start(); !s.ok()) {
      StopWorkers(workers);
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace p2pims::tracker
