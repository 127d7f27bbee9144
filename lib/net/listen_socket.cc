#include "lib/net/listen_socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace p2pims::net {

std::string ErrnoText(int error) { return strerror(error); }

absl::Status SplitHostPort(const std::string& address, std::string& host, std::string& port) {
  size_t colon;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("malformed address \"", address, "\""));
    }
    host = address.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = address.rfind(':');
    if (colon == std::string::npos || address.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\" is not host:port (IPv6 needs [addr]:port)"));
    }
    host = address.substr(0, colon);
  }
  port = address.substr(colon + 1);
  int number;
  if (!absl::SimpleAtoi(port, &number) || number < 0 || number > 65535 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in address \"", address, "\""));
  }
  return absl::OkStatus();
}

std::string JoinHostPort(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                             : absl::StrCat(host, ":", port);
}

absl::StatusOr<BoundSocket> OpenServerSocket(const std::string& address, int type,
                                             SocketOptions options) {
  std::string host;
  std::string port;
  if (absl::Status status = SplitHostPort(address, host, port); !status.ok()) return status;
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = type;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const int gai =
      getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &results);
  if (gai != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve \"", address, "\": ", gai_strerror(gai)));
  }
  std::string error = "no usable address";
  int fd = -1;
  const int flags = SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0);
  for (addrinfo* ai = results; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | flags, ai->ai_protocol);
    if (fd < 0) {
      error = ErrnoText(errno);
      continue;
    }
    const int on = 1;
    const int off = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (options.reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
    if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        (type == SOCK_STREAM && listen(fd, SOMAXCONN) != 0)) {
      error = ErrnoText(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(results);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", error));
  }
  sockaddr_storage bound = {};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  const int bound_port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return BoundSocket{.fd = fd, .port = bound_port};
}

absl::StatusOr<std::pair<std::vector<int>, int>> OpenServerSockets(const std::string& address,
                                                                  int type, int count,
                                                                  SocketOptions options) {
  options.reuse_port = true;
  auto first = OpenServerSocket(address, type, options);
  if (!first.ok()) return first.status();
  std::string host, ignored;
  (void)SplitHostPort(address, host, ignored);
  const std::string same = JoinHostPort(host, first->port);
  std::vector<int> fds = {first->fd};
  for (int i = 1; i < count; ++i) {
    auto more = OpenServerSocket(same, type, options);
    if (!more.ok()) {
      for (int fd : fds) close(fd);
      return more.status();
    }
    fds.push_back(more->fd);
  }
  return std::make_pair(std::move(fds), first->port);
}

}  // namespace p2pims::net
