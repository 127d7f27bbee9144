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

}  // namespace p2pims::net
