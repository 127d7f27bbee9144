#include "lib/net/receive_timestamp.h"

#include <cstring>

namespace p2pims::net {

std::optional<timespec> ReceiveTimestamp(const msghdr& message) {
  msghdr& m = const_cast<msghdr&>(message);  // CMSG_NXTHDR takes a non-const header
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      return ts;
    }
  }
  return std::nullopt;
}

ssize_t ReceiveStamped(int fd, void* buffer, size_t size, int flags, std::optional<timespec>* at) {
  iovec iov{buffer, size};
  char control[kReceiveTimestampControl];
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  const ssize_t n = recvmsg(fd, &m, flags);
  *at = n >= 0 ? ReceiveTimestamp(m) : std::nullopt;
  return n;
}

}  // namespace p2pims::net
