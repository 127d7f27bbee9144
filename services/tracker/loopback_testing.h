// For the tracker's tests only: a TCP connection to a listener on 127.0.0.1, how many whole
// HTTP responses a byte stream holds, and a wait for the kernel's receive timestamps.
//
//   const int fd = ConnectLoopback(listener.port());   // reads time out after 5 s
//   ... while (CompleteHttpResponses(in) < 2) read more ...
//   ASSERT_TRUE(KernelTimestampsActive());   // while a socket asking for them is open
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/net/receive_timestamp.h"

namespace p2pims::tracker {

// A connected socket (reads give up after 5 s, so a test cannot hang), or -1.
inline int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Responses in `in` whose head and Content-Length body have arrived whole.
inline int CompleteHttpResponses(const std::string& in) {
  int complete = 0;
  for (size_t at = 0; (at = in.find("\r\n\r\n", at)) != std::string::npos; at += 4) {
    const size_t cl = in.rfind("Content-Length: ", at);
    if (cl != std::string::npos && in.size() >= at + 4 + std::stoul(in.substr(cl + 16))) ++complete;
  }
  return complete;
}

// The kernel turns receive timestamps on for the whole system some time after the first socket
// asks (deferred work); until then a datagram is stamped when read, so it never looks late.
// Waits until a datagram that sat in a socket comes back stamped at its arrival. Call it while
// the socket under test (which asked for timestamps) is open: the last one to close turns them
// off again.
inline bool KernelTimestampsActive() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  bool active = false;
  for (int attempt = 0; attempt < 200 && !active; ++attempt) {
    (void)!send(fd, "t", 1, 0);
    absl::SleepFor(absl::Milliseconds(5));
    char data[8];
    std::optional<timespec> stamped;
    if (net::ReceiveStamped(fd, data, sizeof data, 0, &stamped) <= 0) break;
    active = stamped && absl::Now() - absl::TimeFromTimespec(*stamped) > absl::Milliseconds(2);
  }
  close(fd);
  return active;
}

}  // namespace p2pims::tracker
