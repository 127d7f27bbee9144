// BitTorrent messages a plugin writes itself (lib/bt's extensions), length-prefixed. libtorrent
// encrypts them with the rest of the stream on a connection that negotiated RC4 (MSE), so they
// need no settings of their own (bt_cell_tag_test forces RC4).
#pragma once

#include <libtorrent/peer_connection_handle.hpp>

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace p2pims::bt::wire {

// Message ids (BEP 3, BEP 6, BEP 10).
inline constexpr char kInterested = 2;
inline constexpr char kHave = 4;
inline constexpr char kRejectRequest = 16;
inline constexpr char kExtended = 20;

// The extension handshake's key a terminal tells its cell with (CellTag).
inline constexpr char kCellKey[] = "p2pims_cell";
// Its key, 0, when the terminal serves nobody (metered, no upload cap): its cell mates do not
// count what it holds as their cell's.
inline constexpr char kServesKey[] = "p2pims_serves";

// A message: id, then the extended message id when given, then 32-bit big-endian integers.
void Send(lt::peer_connection_handle& pc, char id, std::initializer_list<uint32_t> ints,
          int extended = -1);

// An extended message (BEP 10) with the peer's id for it and a body of bytes.
void SendExtended(lt::peer_connection_handle& pc, int extended, std::string_view body);

// The torrent's piece count; -1 while libtorrent does not know it (no metadata yet). Network
// thread only.
int PieceCount(const lt::peer_connection_handle& pc);

}  // namespace p2pims::bt::wire
