// A seed that sends every piece once before it sends any piece twice: the operator's origin.
// A plain seed serves whatever its peers ask for, and peers that have not yet heard of each
// other's pieces ask it for the same ones, so it sends one and a half to two copies of the file
// while its link is what the whole swarm waits for. With this extension a request for a piece the
// seed already sent to another peer is refused (BEP 6 reject) and the piece is withdrawn from
// that peer's view (BEP 54 lt_donthave), so the peer takes it from the peer that has it and asks
// the seed for a piece nobody has yet. Once some peer has announced every piece (HAVE), the seed
// shows every peer all its pieces again. (Not as soon as the last piece is asked for: repeats
// would then share the link with the last first copies, which everyone waits for.) Once every
// piece was asked for, ten seconds without a new announcement end this first round anyway, so a
// peer that never finishes its piece holds nobody up. A piece sent to a peer that leaves before
// it announced the piece goes back to the unsent ones, and is shown again to the peers it was
// withdrawn from.
//
// Then, when asked for (`per_cell`) and peers told their cell (lib/bt/cell_tag.h, the terminals'
// half), a second round: a cell whose peers hold few links to other cells must take from the seed
// what the first round sent elsewhere, and a plain seed would send it to every peer of the cell
// that asks. Now a request for a piece that a peer of the asker's cell announced, or that the seed
// already sent into the cell, is refused and withdrawn as above; each cell gets each piece once.
// Ten seconds in which no cell took a new piece end the round, and the seed serves plainly from
// then on: a piece whose only copy left the swarm stays obtainable. Without cells the seed serves
// plainly as soon as the first round ends.
//
// Only peers that support lt_donthave (libtorrent-based: the operator's terminals) are treated
// so; others are served as by a plain seed. A peer that says it serves nobody (CellTag's
// `serves`: p2pims_serves 0 in its extension handshake) gets a piece nobody was sent yet, but
// that copy does not count: the piece stays unsent for the others, and its announcements end
// no round.
//
//   auto stats = std::make_shared<bt::OneCopyStats>();
//   lt::add_torrent_params p = ...;       // a seed: the complete file
//   p.extensions.push_back(bt::OneCopyFirst(stats));
#pragma once

#include <libtorrent/extensions.hpp>
#include <libtorrent/torrent_handle.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace p2pims::bt {

// Counters over the torrents given the same stats; written on libtorrent's network thread.
struct OneCopyStats {
  std::atomic<int64_t> repeats_refused{0};  // requests for a piece already sent elsewhere
  std::atomic<int64_t> first_copies{0};     // torrents whose first round ended
  // First rounds ended by waiting: every piece was asked for, but some first receiver announced
  // nothing for the patience's 10 s.
  std::atomic<int64_t> rounds_out_of_patience{0};
  // First copies offered to other peers again, not announced 5 s after their last block left.
  std::atomic<int64_t> first_copies_reoffered{0};
};

using TorrentExtension =
    std::function<std::shared_ptr<lt::torrent_plugin>(const lt::torrent_handle&, lt::client_data_t)>;

// `per_cell`: the second round (each cell each piece once) when peers tell their cell; false:
// plain seeding as soon as the first round ends.
TorrentExtension OneCopyFirst(std::shared_ptr<OneCopyStats> stats, bool per_cell = false);

}  // namespace p2pims::bt
