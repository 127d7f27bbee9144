#include "services/tracker/socket_peer.h"

#include <netinet/in.h>

#include <cstring>

namespace p2pims::tracker {

PeerEndpoint PeerOf(const sockaddr_storage& address) {
  PeerEndpoint peer;
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    std::array<uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &in.sin_addr, 4);
    peer.address = PeerAddress::V4(bytes);
    peer.port = ntohs(in.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &in6.sin6_addr, 16);
    peer.address = PeerAddress::V6(bytes);
    peer.port = ntohs(in6.sin6_port);
  }
  return peer;
}

}  // namespace p2pims::tracker
