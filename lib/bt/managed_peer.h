// What every libtorrent peer the operator runs or ships has in common (the terminal, the origin
// seeder): it meets only the peers the operator's tracker hands out (no DHT, local discovery or
// peer exchange), maps no ports, speaks TCP only, and reads and writes files with plain I/O.
//
//   lt::settings_pack sp = ManagedPeerSettings({.bind = "10.0.0.2", .port = 6881});
//   sp.set_int(lt::settings_pack::connections_limit, 200);   // role-specific settings
//   lt::session session(ManagedSessionParams(std::move(sp)));
#pragma once

#include <libtorrent/alert.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/settings_pack.hpp>

#include <string>

namespace p2pims::bt {

struct PeerEndpoint {
  std::string bind = "127.0.0.1";  // address to listen on and connect from (IPv4 or IPv6)
  int port = 0;                    // listening port; 0 picks a free one
};

lt::settings_pack ManagedPeerSettings(const PeerEndpoint& endpoint);

// Session parameters with plain file I/O instead of libtorrent 2's memory-mapped files (a mapped
// file counts in the process's resident memory as it is read or written: the whole file, in
// time), each file kept open (lib/bt/kept_open_disk_io.h), and of libtorrent's default extensions
// only metadata exchange (BEP 9) and smart ban: no peer exchange (ut_pex), which would tell a
// peer about its neighbours' neighbours, other cells' peers included, past the tracker's policy.
lt::session_params ManagedSessionParams(lt::settings_pack settings);

// Puts every peer, whatever its address, in libtorrent's global peer class, so that rate limits
// (the terminal's --upload-cap, the origin's upload limit) hold for all. By default peers on
// loopback and private networks are exempt, and in an operator's network that is every peer.
void LimitEveryPeer(lt::session& session);

// What a tracker_error_alert means for the peer: a "failure reason" is the tracker refusing this
// token (access ended, revoked, ...), which retrying will not change; anything else (unreachable,
// timeout) may pass.
struct TrackerProblem {
  bool refused = false;
  std::string message;
};
// Empty (refused false, no message) when `a` is not a tracker error.
TrackerProblem TrackerProblemOf(const lt::alert* a);

}  // namespace p2pims::bt
