// The UDP front of the BitTorrent tracker (BEP 15): one thread per worker, each with its own
// SO_REUSEPORT socket, reading datagrams in batches (recvmmsg) and sending the replies in one
// call (sendmmsg). No state is shared between workers.
//
// Overload: what the kernel cannot queue it drops; with `max_wait`, a datagram that waited in
// the socket longer than that is not served: the first few of each batch go to the busy handler
// (a cheap refusal, one reply group), the others are dropped unread past their header. Answered
// announces so keep a latency bound whatever the socket's receive buffer holds, and refusing
// costs little: a worker answering "busy" to everything stale would spend its time on the
// backlog's refusals and serve nothing once the backlog is older than the bound (measured:
// docs/results.md). TakeDrops counts both kinds of drop.
//
//   UdpListener udp(handler, busy_handler, {.threads = 2, .max_wait = absl::Milliseconds(50)});
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
  // A datagram received this long after it arrived (SO_TIMESTAMPNS) goes to the busy handler;
  // zero: every datagram goes to the handler, and no timestamps are asked for.
  absl::Duration max_wait = absl::ZeroDuration();
  // SO_RCVBUF of each socket, bytes (SO_RCVBUFFORCE when allowed, past net.core.rmem_max);
  // 0: the system's default (net.core.rmem_default).
  int receive_buffer = 0;
};

class UdpListener {
 public:
  // Replaces `reply` with the answer to one datagram from `remote`; empty means no answer.
  // Called on the worker threads, concurrently; `rng` is the calling worker's own.
  using Handler = std::function<void(std::span<const uint8_t> datagram, const PeerEndpoint& remote,
                                     absl::Time now, Rng& rng, std::string* reply)>;

  // `busy` (same signature) answers the datagrams that waited beyond options.max_wait.
  UdpListener(Handler handler, Handler busy, UdpListenerOptions options);
  ~UdpListener();
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Binds "host:port" ("[::]:6969" takes IPv4 and IPv6) and starts the workers.
  absl::Status Start(const std::string& address);
  // Joins the workers. Idempotent.
  void Stop();
  int port() const { return port_; }
  struct Drops {
    uint64_t buffer_full = 0;  // the kernel's, on the workers' sockets
    uint64_t too_late = 0;     // waited beyond max_wait, not answered
  };
  // Datagrams dropped since the last call (the first counts from Start). For one thread at a
  // time (housekeeping).
  Drops TakeDrops();

 private:
  class Worker;

  const Handler handler_;
  const Handler busy_;
  const UdpListenerOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  int port_ = 0;
};

}  // namespace p2pims::tracker
