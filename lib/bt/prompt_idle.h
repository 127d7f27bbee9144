// Keeps a downloader asking peers that have what it lacks. libtorrent picks the blocks to ask a
// peer for only when something happens on that connection: the peer unchokes us, sends a block,
// refuses a request, or becomes interesting. At a pick where every piece the peer holds that we
// lack is already asked of someone else (libtorrent's per-peer end game), the connection then
// asks for nothing until one of those happens or its 5-second end-game retry, however many
// pieces the peer announces meanwhile (a HAVE from a peer we are already interested in picks
// nothing) and whatever is freed elsewhere (a refused or withdrawn request re-picks only at the
// peer that refused it). Swarms fed by a OneCopyFirst origin meet this all the time: early on
// each piece exists once, most of what a cell mate holds is on its way to us from someone else,
// and the origin's and the guards' refusals free blocks one connection at a time. Seen as
// terminals idle for 1.6 - 3.4 s beside unchoked cell mates holding pieces they lacked
// (docs/results.md, finding 12).
//
// With this extension such a connection is prompted: when the peer announces a piece, and once
// a second, if it has unchoked us, we are interested and nothing is asked of it, we say
// INTERESTED again. libtorrent answers a redundant INTERESTED from a peer it has unchoked with
// UNCHOKE, and an UNCHOKE makes our side pick at once. Both messages repeat a state both sides
// already have (as that UNCHOKE of libtorrent's does); a peer that ignores the repeat loses
// nothing.
//
// Told the terminal's cell (the tag CellTag sends), it leaves peers of other cells to libtorrent.
// A new piece in one cell is announced to every terminal of the other cell with a link to it at
// once; prompted, several of them asked for it together before their claims (CellTag) reached
// each other, and more pieces crossed between the cells twice (finding 12).
//
//   p.extensions.push_back(bt::PromptIdlePeers(stats));
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "lib/bt/one_copy_first.h"

namespace p2pims::bt {

// Written on libtorrent's network thread.
struct PromptStats {
  std::atomic<int64_t> prompts{0};  // INTERESTED sent again to an idle connection
};

// `cell`: the terminal's cell tag as CellTag tells it; peers that tell another one are not
// prompted (empty: every peer is).
TorrentExtension PromptIdlePeers(std::shared_ptr<PromptStats> stats, std::string cell = "");

}  // namespace p2pims::bt
