// Opening server sockets from "host:port" addresses, the form every listen flag takes:
// "127.0.0.1:9101", "[::1]:6969", "[::]:6969" (IPv6 and IPv4, dual stack), ":9101" (every
// interface); port 0 lets the kernel pick.
//
//   absl::StatusOr<BoundSocket> s = OpenServerSocket("127.0.0.1:6969", SOCK_DGRAM, {});
//   // s->fd is bound (and listening, for SOCK_STREAM); s->port is the port it got
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace p2pims::net {

struct SocketOptions {
  // SO_REUSEPORT: several sockets (one per worker thread) share the port and the kernel spreads
  // connections or datagrams over them.
  bool reuse_port = false;
  bool nonblocking = false;
};

struct BoundSocket {
  int fd = -1;
  int port = 0;
};

// Splits "host:port", "[v6]:port" or ":port" (empty host: every interface). InvalidArgument for
// anything else or a port outside 0..65535.
absl::Status SplitHostPort(const std::string& address, std::string& host, std::string& port);

// "host:port", bracketing an IPv6 host: the inverse of SplitHostPort.
std::string JoinHostPort(const std::string& host, int port);

// A socket of `type` (SOCK_STREAM: bound and listening; SOCK_DGRAM: bound) on the first address
// `address` resolves to that can be bound. An IPv6 wildcard also takes IPv4 (dual stack).
// InvalidArgument for a malformed or unresolvable address, Unavailable when it cannot be bound.
absl::StatusOr<BoundSocket> OpenServerSocket(const std::string& address, int type,
                                             SocketOptions options);

// `count` sockets on the same address and port (SO_REUSEPORT is set), one per worker thread;
// for port 0 the first socket's port is used by the others. Their fds, and the port.
absl::StatusOr<std::pair<std::vector<int>, int>> OpenServerSockets(const std::string& address,
                                                                  int type, int count,
                                                                  SocketOptions options);

// The text of an errno value.
std::string ErrnoText(int error);

}  // namespace p2pims::net
