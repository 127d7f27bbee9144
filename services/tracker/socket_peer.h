// The peer behind a socket address, as the tracker protocols record it.
#pragma once

#include <sys/socket.h>

#include "services/tracker/announce_request.h"

namespace p2pims::tracker {

// IPv4, IPv6 (IPv4-mapped addresses become IPv4); port 0 and an unspecified address for any
// other family.
PeerEndpoint PeerOf(const sockaddr_storage& address);

}  // namespace p2pims::tracker
