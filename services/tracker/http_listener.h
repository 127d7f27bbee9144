// The HTTP front of the BitTorrent tracker (BEP 3): many keep-alive connections from peers, each
// asking a small GET and getting a small bencoded body. One epoll loop per worker thread, each
// with its own SO_REUSEPORT listening socket, so the kernel spreads connections over the cores
// and no lock is shared between workers. HTTP/1.0 and 1.1, keep-alive and pipelining; request
// heads are bounded; idle connections are closed. With an HttpsContext the same loop serves
// HTTPS: the handshake, reads and writes are non-blocking OpenSSL calls driven by the same
// epoll events, and a plain listener pays nothing for it but a null-pointer check per read and
// write.
//
// Overload: new connections queue in the kernel (the listen backlog); with `max_wait`, a plain
// HTTP request read more than that after it arrived (the kernel's receive timestamp) is not
// served but gets the busy handler's answer ("tracker busy", cheap), so that the queue drains
// and the requests served keep their latency bound. A worker takes at most a batch of new
// connections per wake-up, so the ones it keeps open are served between batches.
//
//   HttpListener http(handler, busy_handler, {.threads = 2}, &connections_gauge);
//   absl::Status s = http.Start("[::]:6969");
//   ...
//   http.Stop();
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/gauge.h"
#include "services/tracker/announce_request.h"
#include "services/tracker/https_context.h"
#include "services/tracker/rng.h"

namespace p2pims::tracker {

struct HttpListenerOptions {
  int threads = 2;
  // Open connections at most (all workers); one beyond gets a `failure reason` ("tracker busy")
  // with BEP 31's `retry in` and is closed at once.
  int max_connections = 50'000;
  // A connection with nothing to do for this long (mid-request or between requests) is closed.
  absl::Duration idle_timeout = absl::Seconds(30);
  // Largest request head (request line and headers); a longer one is refused and closed.
  size_t max_head_bytes = 8 * 1024;
  // Serve HTTPS with this certificate (not owned; it outlives the listener). A handshake must
  // finish within idle_timeout. Over the cap an HTTPS connection is closed without a reply:
  // answering would take the handshake the cap is there to save. The process must ignore
  // SIGPIPE (ServiceRuntime does): OpenSSL writes with write(2).
  HttpsContext* https = nullptr;
  // The count of open connections max_connections applies to, when several listeners share
  // one cap (the plain and the HTTPS listener); null: this listener's own.
  std::atomic<int>* shared_open = nullptr;
  // A plain HTTP request read this long after it arrived goes to the busy handler (zero: none
  // does). An HTTPS connection whose first bytes waited this long is closed before its
  // handshake (a busy answer would cost the handshake first).
  absl::Duration max_wait = absl::ZeroDuration();
  // Connections each worker's socket queues before the kernel drops new ones (their clients
  // retry, as TCP does). Under overload, what a worker answers within max_wait is all it can
  // serve in time: a longer queue only ages, and answering its stale connections "busy" costs
  // nearly what serving them would (the TCP work), so goodput collapses. 0: with max_wait,
  // half of what the worker answers in max_wait at its measured rate (re-measured each
  // second, at least 16); without, the system's maximum (net.core.somaxconn).
  int listen_backlog = 0;
  // HTTPS with max_wait: TLS handshakes a worker keeps in progress at most. Beyond, it accepts
  // nothing more until one ends, so that new connections wait in the listen queue (where a hello
  // that waited beyond max_wait is closed unread) rather than share the worker with every
  // handshake taken before them, which made the answered ones wait twice the bound. A handshake
  // holds its place for a second at most (a client that stalls mid-handshake, on purpose or
  // not, does not stop the accepts). 0: the worker's listen queue length (listen_backlog, or
  // the adaptive one: what it answers in half of max_wait), at least 16.
  int max_handshakes = 0;
};

class HttpListener {
 public:
  // Replaces `body` with the bencoded answer to one request line from `remote`. Called on the
  // worker threads, concurrently; `rng` is the calling worker's own.
  using Handler = std::function<void(std::string_view request_line, const PeerAddress& remote,
                                     absl::Time now, Rng& rng, std::string* body)>;

  // `busy_handler` (same signature) answers the requests that waited beyond options.max_wait.
  // `connections`, when given, follows the number of open connections; `busy` counts the
  // connections refused over the cap.
  HttpListener(Handler handler, Handler busy_handler, HttpListenerOptions options,
               metrics::Gauge* connections, metrics::Counter* busy = nullptr);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Listens on "host:port" (see lib/net/listen_socket.h; "[::]:6969" takes IPv4 and IPv6) and
  // starts the workers. InvalidArgument or Unavailable when the address is bad or taken.
  absl::Status Start(const std::string& address);
  // Closes every connection and joins the workers. Idempotent.
  void Stop();
  int port() const { return port_; }
  // Connections waiting in the kernel to be accepted, all workers (TCP_INFO of the listening
  // sockets). From any thread while started.
  int Queued() const;

 private:
  class Worker;

  const Handler handler_;
  const Handler busy_handler_;
  const HttpListenerOptions options_;
  metrics::Gauge* const connections_;
  metrics::Counter* const busy_;
  const std::string busy_reply_;  // the whole HTTP response over the cap, made once
  const std::string plain_on_https_reply_;  // to a plain HTTP request on the HTTPS port
  std::atomic<int> own_open_{0};
  std::atomic<int>& open_;
  std::vector<std::unique_ptr<Worker>> workers_;
  int port_ = 0;
};

}  // namespace p2pims::tracker
