// A small blocking HTTP/1.1 server for operator endpoints (/metrics, /healthz, /readyz), not for
// subscriber traffic: one accept thread, one thread per connection up to a cap (connections
// beyond it get 503), one request per connection ("Connection: close").
//
//   http::Server server;
//   server.Handle("/healthz", [](const http::Request&) { return http::Response{.body = "ok\n"}; });
//   absl::Status started = server.Start("127.0.0.1:9102");   // "host:0" picks a free port
//   ...
//   server.Stop();
#pragma once

#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/http/message.h"

namespace p2pims::http {

struct ServerOptions {
  // Connections served at once; a connection beyond this is answered 503 and closed.
  int max_connections = 16;
  // Time allowed for the whole request head to arrive (else 408).
  absl::Duration read_timeout = absl::Seconds(5);
  // Time a single send may block on a client that does not read.
  absl::Duration write_timeout = absl::Seconds(10);
  // Largest request head (request line and headers) accepted (else 431).
  size_t max_head_bytes = 8 * 1024;
};

class Server {
 public:
  Server() : Server(ServerOptions()) {}
  explicit Server(ServerOptions options);
  // Stops the server.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves `path` (exact match on the path without the query) with `handler` for GET and HEAD;
  // other methods get 405, unknown paths 404. Call before Start.
  void Handle(std::string path, Handler handler);

  // Listens on "host:port" ("127.0.0.1:9101", "[::1]:0", ":9101" for every interface; port 0
  // picks a free port) and starts serving. InvalidArgument for a malformed address,
  // Unavailable when the address cannot be bound, FailedPrecondition when already started.
  absl::Status Start(const std::string& address);

  // The port listened on, once Start succeeded; 0 before.
  int port() const { return port_; }

  // Stops accepting, interrupts connections waiting for or draining a client, waits for
  // running handlers to return and joins every thread. Idempotent; a stopped server cannot be
  // started again.
  void Stop();

 private:
  struct Connection {
    int fd = -1;  // closed and set to -1 by the connection's thread, under mu_
    bool done = false;
    std::thread thread;
  };

  void AcceptLoop();
  void Serve(Connection* connection);
  Response Dispatch(const Request& request) const;
  // Joins and forgets connections whose thread has finished. Requires mu_.
  void ReapLocked();

  const ServerOptions options_;
  std::map<std::string, Handler> handlers_;  // written only before Start
  int listen_fd_ = -1;
  int port_ = 0;
  bool started_ = false;
  std::thread accept_thread_;
  std::mutex stop_mu_;  // serialises Start and Stop

  std::mutex mu_;
  bool stopping_ = false;              // guarded by mu_
  int active_ = 0;                     // connections being served, guarded by mu_
  std::list<Connection> connections_;  // guarded by mu_ (elements' fd and done too)
};
// Thread-safe after Start: handlers run concurrently on connection threads, so they must be
// thread-safe themselves. Handle must not be called once started. Stop may be called from any
// thread but not from a handler.

}  // namespace p2pims::http
