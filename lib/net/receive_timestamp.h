// The kernel's receive timestamp of a datagram read with SO_TIMESTAMPNS on: when it was queued
// on the socket, on the realtime clock. Shared by the tracker's UDP listener (how long a datagram
// waited) and its load generator (when an answer arrived, whatever the reader's own backlog).
//
//   int on = 1;
//   setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
//   char control[kReceiveTimestampControl];   // msg.msg_control, msg.msg_controllen
//   recvmsg(fd, &msg, 0);
//   std::optional<timespec> at = ReceiveTimestamp(msg);
#pragma once

#include <sys/socket.h>
#include <time.h>

#include <optional>

namespace p2pims::net {

// Room for the one control message per datagram.
inline constexpr size_t kReceiveTimestampControl = CMSG_SPACE(sizeof(timespec));

// nullopt when the message carries no SCM_TIMESTAMPNS. Until the kernel has turned timestamps
// on (deferred work after the first socket asks) a datagram is stamped when read.
std::optional<timespec> ReceiveTimestamp(const msghdr& message);

// recv(2) that also gives the timestamp of what it read (of a TCP read, its last segment's),
// into *at (nullopt when the kernel gave none). Returns what recv would.
ssize_t ReceiveStamped(int fd, void* buffer, size_t size, int flags, std::optional<timespec>* at);

}  // namespace p2pims::net
