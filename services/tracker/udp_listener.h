// The UDP front of the BitTorrent tracker (BEP 15): one thread per worker, each with its own
// SO_REUSEPORT socket, reading datagrams in batches (recvmmsg) and sending the replies in one
// call (sendmmsg). No state is shared between workers.
//
//   UdpListener udp(handler, {.threads = 2});
//   absl::Status s = udp.Start("[::]:6969");
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/tracker/announce_request.h"
#include "services/tracker/rng.h"

namespace p2pims::tracker {

struct UdpListenerOptions {
  int threads = 2;
  int batch = 64;             // datagrams per recvmmsg
  size_t max_datagram = 2048; // longer ones are truncated (and so refused by the parser)
};

class UdpListener {
 public:
  // Replaces `reply` with the answer to one datagram from `remote`; empty means no answer.
  // Called on the worker threads, concurrently; `rng` is the calling worker's own.
  using Handler = std::function<void(std::span<const uint8_t> datagram, const PeerEndpoint& remote,
                                     absl::Time now, Rng& rng, std::string* reply)>;

  UdpListener(Handler handler, UdpListenerOptions options);
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Binds "host:port" ("[::]:6969" takes IPv4 and IPv6) and starts the workers.
  absl::Status Start(const std::string& address);
  // Joins the workers. Idempotent.
  void Stop();
  int port() const { return port_; }

 private:
  class Worker;

  const Handler handler_;
  const UdpListenerOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  int port_ = 0;
};

}  // namespace p2pims::tracker
