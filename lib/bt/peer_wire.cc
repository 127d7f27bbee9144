#include "lib/bt/peer_wire.h"

#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>

#include <string>

namespace p2pims::bt::wire {
namespace {

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

}  // namespace

void Send(lt::peer_connection_handle& pc, char id, std::initializer_list<uint32_t> ints,
          int extended) {
  std::string m;
  PutU32(m, static_cast<uint32_t>(1 + (extended >= 0 ? 1 : 0) + 4 * ints.size()));
  m.push_back(id);
  if (extended >= 0) m.push_back(static_cast<char>(extended));
  for (uint32_t v : ints) PutU32(m, v);
  pc.send_buffer(m.data(), static_cast<int>(m.size()));
}

void SendExtended(lt::peer_connection_handle& pc, int extended, std::string_view body) {
  std::string m;
  m.reserve(6 + body.size());
  PutU32(m, static_cast<uint32_t>(2 + body.size()));
  m.push_back(kExtended);
  m.push_back(static_cast<char>(extended));
  m.append(body);
  pc.send_buffer(m.data(), static_cast<int>(m.size()));
}

int PieceCount(const lt::peer_connection_handle& pc) {
  // Called on libtorrent's network thread, where the handle's call runs in place.
  auto info = pc.associated_torrent().torrent_file();
  return info == nullptr || !info->is_valid() ? -1 : info->num_pieces();
}

}  // namespace p2pims::bt::wire
