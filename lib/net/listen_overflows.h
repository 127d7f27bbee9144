// Connections the kernel refused because a listening socket's accept queue was full: the
// counter TcpExt ListenOverflows of /proc/net/netstat. It covers every listener of the network
// namespace (in a Kubernetes pod: the pod's own), not one socket: Linux keeps no per-socket
// count. A server reports its increase since it started.
//
//   std::optional<uint64_t> n = net::ListenOverflows();
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace p2pims::net {

// nullopt when the file cannot be read or has no such counter.
std::optional<uint64_t> ListenOverflows();

// The same from the text of /proc/net/netstat (a line of names, then a line of values, per
// group); for tests.
std::optional<uint64_t> ListenOverflowsIn(std::string_view netstat);

}  // namespace p2pims::net
