// The terminals' side of cells. A terminal started with its cell tells every peer a tag of it in
// the extension handshake (BEP 10, key "p2pims_cell"): a OneCopyFirst origin then sends each cell
// a piece once in its second round (lib/bt/one_copy_first.h).
//
// With `guard`, a terminal also takes from a peer of another cell only what its own cell lacks.
// The operator's policy gives a terminal a few links to other cells so that pieces enter its
// cell; left alone, libtorrent asks such a peer for whatever is rarest among the terminal's own
// neighbours, including pieces a neighbour in its cell already holds, and the few links between
// cells carry pieces both sides already have. So a guarding terminal tells each guarding peer of
// another cell which pieces its cell holds (what its connected peers of the same cell announced)
// and, as they change, which it gained and lost. That peer withdraws those pieces from its view
// (BEP 54 lt_donthave) and refuses requests for them (BEP 6 reject); a piece no peer of the cell
// holds any more is shown again (HAVE). A guarding terminal also sends a piece into another cell
// once while it is on its way: a peer of that cell asking for a piece it is sending to a cell
// mate of the asker (or sent within 5 s) is refused it the same way, and takes it from that
// cell mate. A terminal that serves nobody says so in its handshake (`p2pims_serves`: 0), and its
// cell mates count neither what it holds nor its claims as the cell's. Peers that are not
// guarding terminals see no difference.
//
//   p.extensions.push_back(bt::CellTag(tag, {.guard = true}));
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "lib/bt/one_copy_first.h"

namespace p2pims::bt {

// Counters over the torrents given the same stats; written on libtorrent's network thread.
struct CellGuardStats {
  std::atomic<int64_t> refused{0};   // requests from another cell for a piece its cell holds
  std::atomic<int64_t> withdrawn{0};  // pieces withdrawn from a peer of another cell (lt_donthave)
  // Requests from another cell for a piece a cell mate of the asker is taking from us.
  std::atomic<int64_t> refused_on_its_way{0};
  // Payload a guarding terminal sent to peers of other cells (by their tag), and of it what went
  // out when that peer's cell already held the piece, as the peer had told it (asked for before
  // its cell had it, served after): a piece that crossed into a cell twice.
  std::atomic<int64_t> sent_across{0};
  std::atomic<int64_t> sent_across_held{0};
};

struct CellTagOptions {
  bool guard = false;
  // false: this terminal uploads nothing (p2pims-ue --metered without --upload-cap). It says so in
  // its handshake, and its cell mates then neither count what it holds as the cell's nor heed
  // its claims: the other cells would withhold pieces from them that it never passes on.
  bool serves = true;
  std::shared_ptr<CellGuardStats> stats;  // may be null
};

// `cell` is compared, never read: terminals send a hash of it (p2pims-ue: SHA-1 of the content's
// info-hash and the cell id).
TorrentExtension CellTag(std::string cell, CellTagOptions options = {});

}  // namespace p2pims::bt
