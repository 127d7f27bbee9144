// For the tracker's tests only: a TCP connection to a listener on 127.0.0.1, and how many whole
// HTTP responses a byte stream holds.
//
//   const int fd = ConnectLoopback(listener.port());   // reads time out after 5 s
//   ... while (CompleteHttpResponses(in) < 2) read more ...
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

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

}  // namespace p2pims::tracker
