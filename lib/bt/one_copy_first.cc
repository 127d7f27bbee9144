#include "lib/bt/one_copy_first.h"

#include <libtorrent/bdecode.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_request.hpp>

#include <initializer_list>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "lib/bt/peer_wire.h"

namespace p2pims::bt {
namespace {

using wire::kExtended;
using wire::kHave;
using wire::kRejectRequest;

class OneCopyPeer;

// One torrent's state; libtorrent calls plugins on its network thread only.
struct OneCopyTorrent {
  std::shared_ptr<OneCopyStats> stats;
  int pieces = -1;  // known at the first request
  bool all_sent = false;
  uint64_t next_peer = 1;
  std::unordered_map<int, uint64_t> sent_to;  // piece -> the peer it was first sent to
  std::unordered_map<int, int> sent_at;       // piece -> the second (`now`) a block last left
  int now = 0;                                // seconds, from tick()
  std::vector<std::weak_ptr<OneCopyPeer>> peers;
  // Per piece: whether it was ever requested, and whether some peer announced it (HAVE: it is
  // in the swarm, whoever sent it). Plain seeding waits until every piece was announced: serving
  // repeats as soon as the last piece is merely requested takes the link from the last first
  // copies, which the whole swarm is waiting for.
  static constexpr uint8_t kRequested = 1, kAnnounced = 2;
  std::vector<uint8_t> state;
  int requested = 0, announced = 0;  // pieces ever requested; pieces announced
  int ticks_without_news = 0;        // seconds since the last new announcement

  void Mark(int piece, uint8_t bit) {
    if (piece < 0 || piece >= static_cast<int>(state.size()) || (state[piece] & bit) != 0) return;
    state[piece] |= bit;
    if (bit == kRequested) ++requested;
    if (bit == kAnnounced) ++announced, ticks_without_news = 0;
  }
  bool AllRequested() const { return pieces >= 0 && requested == pieces; }
  bool AllAnnounced() const { return pieces >= 0 && announced == pieces; }

  // The second round, once every piece is in the swarm, when some peers told their cell
  // (CellTag): a piece goes into each cell once. Per cell, each piece's state: whether a peer of
  // the cell announced it, and to which peer of the cell the seed sent it in this round.
  struct Cell {
    std::vector<uint8_t> has;                // announced by a peer of the cell
    std::unordered_map<int, uint64_t> sent;  // piece -> the peer of the cell it went to
  };
  bool cell_round = false;  // wanted: a second round when peers tell their cell
  bool per_cell = false;    // in the second round
  std::unordered_map<std::string, Cell> cells;

  Cell& CellOf(const std::string& name) {
    Cell& c = cells[name];
    if (c.has.empty() && pieces > 0) c.has.assign(pieces, 0);
    return c;
  }
  void CellHas(const std::string& name, int piece) {
    Cell& c = CellOf(name);
    if (piece < 0 || piece >= static_cast<int>(c.has.size()) || c.has[piece] != 0) return;
    c.has[piece] = 1;
    if (per_cell) ticks_without_news = 0;
  }
};

void ShowEverythingAgain(OneCopyTorrent& t);
void ServePlainly(OneCopyTorrent& t);
void Reoffer(OneCopyTorrent& t, int piece, uint64_t holder);

class OneCopyPeer final : public lt::peer_plugin {
 public:
  OneCopyPeer(lt::peer_connection_handle pc, std::shared_ptr<OneCopyTorrent> t)
      : pc_(std::move(pc)), t_(std::move(t)), id_(t_->next_peer++) {}

  bool on_extension_handshake(const lt::bdecode_node& h) override {
    if (lt::bdecode_node m = h.dict_find_dict("m")) {
      dont_have_id_ = static_cast<int>(m.dict_find_int_value("lt_donthave", -1));
    }
    serves_ = h.dict_find_int_value(wire::kServesKey, 1) != 0;
    const lt::string_view cell = h.dict_find_string_value(wire::kCellKey);
    if (t_->cell_round && !cell.empty() && cell.size() <= 64 && KnowPieces()) {
      cell_.assign(cell.data(), cell.size());
      if (serves_) {
        for (int piece : announced_) t_->CellHas(cell_, piece);
      }
    }
    handshake_seen_ = true;
    announced_ = {};
    return true;
  }

  bool on_bitfield(const lt::bitfield& bits) override {
    for (int i = 0; i < bits.size(); ++i) {
      if (bits.get_bit(i)) Announced(i);
    }
    return false;
  }

  bool on_have(lt::piece_index_t piece) override {
    assigned_.erase(static_cast<int>(piece));  // it arrived: the copy is in the swarm
    hidden_.erase(static_cast<int>(piece));    // it has it: nothing to show again
    Announced(static_cast<int>(piece));
    return false;
  }

  void on_disconnect(const lt::error_code& ec) override {
    // Pieces it never announced go back to the unsent ones, unless it leaves because it became
    // a seed (a peer that completes drops its seeds without announcing its last pieces to them):
    // then it has them all.
    if (t_->all_sent) return;
    if (ec == lt::errors::upload_upload_connection) {
      for (int piece : std::vector<int>(assigned_.begin(), assigned_.end())) Announced(piece);
      assigned_.clear();
      return;
    }
    for (int piece : assigned_) Free(piece);
    assigned_.clear();
  }

  // The seed dropped the peer's request unserved (it choked the peer: libtorrent rejects what the
  // peer still asked), or the peer cancelled it: a piece first sent to it is free again. Kept,
  // it would stay refused to everyone while this peer waits to be unchoked, and the swarm with it.
  void sent_reject_request(const lt::peer_request& r) override {
    if (assigned_.erase(static_cast<int>(r.piece)) > 0) Free(static_cast<int>(r.piece));
  }
  // A block of a first copy leaves: the copy is moving (a large piece to a busy seed's peer
  // may take minutes, a block at a time).
  void sent_piece(const lt::peer_request& r) override {
    const int piece = static_cast<int>(r.piece);
    if (t_->all_sent || t_->per_cell) return;
    const auto it = t_->sent_to.find(piece);
    if (it != t_->sent_to.end() && it->second == id_) t_->sent_at[piece] = t_->now;
  }
  bool on_cancel(const lt::peer_request& r) override {
    if (assigned_.erase(static_cast<int>(r.piece)) > 0) Free(static_cast<int>(r.piece));
    return false;
  }

  bool on_request(const lt::peer_request& r) override {
    if (t_->all_sent || dont_have_id_ < 0 || dont_have_id_ > 255 || !KnowPieces()) return false;
    const int piece = static_cast<int>(r.piece);
    if (t_->per_cell) {
      if (cell_.empty()) return false;  // a peer that did not say its cell: served plainly
      OneCopyTorrent::Cell& cell = t_->CellOf(cell_);
      if (cell.has[piece] == 0 && !serves_) {
        if (!cell.sent.contains(piece)) return false;  // served; not the cell's copy (below)
      } else if (cell.has[piece] == 0) {
        auto [it, first] = cell.sent.emplace(piece, id_);
        if (first || it->second == id_) {  // not in its cell yet, or the rest of its own copy
          if (first) t_->ticks_without_news = 0;
          assigned_.insert(piece);
          return false;
        }
      }
      Refuse(r);
      return true;
    }
    if (!serves_) {
      // A peer that serves nobody (p2pims-ue --metered without an upload cap) would keep a first
      // copy from the swarm: it gets a piece not sent yet, and the piece stays unsent.
      if (!t_->sent_to.contains(piece)) return false;
      Refuse(r);
      return true;
    }
    auto [it, first] = t_->sent_to.emplace(piece, id_);
    if (first || it->second == id_) {  // a piece not sent yet, or the rest of this peer's one
      assigned_.insert(piece);
      t_->Mark(piece, OneCopyTorrent::kRequested);
      return false;
    }
    Refuse(r);
    return true;  // handled: libtorrent does not serve it
  }

 private:
  // A request for a piece that is to come from a peer: refused (BEP 6), and the piece withdrawn
  // from the peer's view (BEP 54) so that it asks the seed for another.
  void Refuse(const lt::peer_request& r) {
    ++t_->stats->repeats_refused;
    const auto piece = static_cast<uint32_t>(static_cast<int>(r.piece));
    if (hidden_.insert(static_cast<int>(piece)).second) Send(kExtended, {piece}, dont_have_id_);
    Send(kRejectRequest, {piece, static_cast<uint32_t>(r.start), static_cast<uint32_t>(r.length)});
  }

  // A piece this peer has: in the swarm (first round), and in its cell.
  void Announced(int piece) {
    if (t_->all_sent || !serves_ || !KnowPieces()) return;  // from it, nobody gets the piece
    if (!cell_.empty()) {
      t_->CellHas(cell_, piece);
    } else if (t_->cell_round && !handshake_seen_) {
      announced_.push_back(piece);  // its cell may come with its extension handshake
    }
    if (t_->per_cell) return;
    t_->Mark(piece, OneCopyTorrent::kAnnounced);
    if (t_->AllAnnounced()) ShowEverythingAgain(*t_);
  }

  // `piece`, first sent to this peer, is not (or no longer) on its way there: the next peer that
  // asks gets it, and the peers refused it are shown it again, since they may be the only ones
  // still missing it.
  void Free(int piece) {
    if (t_->all_sent) return;
    auto& sent = t_->per_cell ? t_->CellOf(cell_).sent : t_->sent_to;
    auto it = sent.find(piece);
    if (it == sent.end() || it->second != id_) return;
    sent.erase(it);
    t_->sent_at.erase(piece);
    Reoffer(*t_, piece, id_);
  }

  void Send(char id, std::initializer_list<uint32_t> ints, int extended = -1) {
    wire::Send(pc_, id, ints, extended);
  }

  friend void ShowHidden(OneCopyTorrent& t, bool new_round);
  friend void Reoffer(OneCopyTorrent& t, int piece, uint64_t holder);

  // The torrent's piece count, once: false while libtorrent does not know it yet.
  bool KnowPieces() {
    if (t_->pieces >= 0) return true;
    t_->pieces = wire::PieceCount(pc_);
    if (t_->pieces < 0) return false;
    t_->state.assign(t_->pieces, 0);
    return true;
  }

  lt::peer_connection_handle pc_;
  std::shared_ptr<OneCopyTorrent> t_;
  const uint64_t id_;
  int dont_have_id_ = -1;
  std::unordered_set<int> assigned_;  // pieces first sent to it, not announced by it yet
  std::unordered_set<int> hidden_;    // pieces withdrawn from its view
  std::string cell_;                  // its cell, as it said in its extension handshake
  std::vector<int> announced_;        // pieces it announced before its extension handshake
  bool handshake_seen_ = false;
  bool serves_ = true;  // false: it said it uploads to nobody (wire::kServesKey)
};

// `piece` is shown again (HAVE) to every peer but `holder` it was withdrawn from: they may ask
// for it now.
void Reoffer(OneCopyTorrent& t, int piece, uint64_t holder) {
  for (const std::weak_ptr<OneCopyPeer>& w : t.peers) {
    std::shared_ptr<OneCopyPeer> p = w.lock();
    if (p == nullptr || p->id_ == holder || p->pc_.is_disconnecting()) continue;
    if (p->hidden_.erase(piece) > 0) p->Send(kHave, {static_cast<uint32_t>(piece)});
  }
}

// First copies not announced kFirstCopyWait seconds after their last block left go to the next
// peer that asks: the link to that peer may have stalled (TCP backing off after losses, when
// every terminal downloads at once), and every peer of the swarm may be waiting for just these
// pieces. The first receiver may still complete its copy: then the piece left twice.
void ReofferLateFirstCopies(OneCopyTorrent& t) {
  constexpr int kFirstCopyWait = 5;
  for (auto it = t.sent_to.begin(); it != t.sent_to.end();) {
    const int piece = it->first;
    const auto at = t.sent_at.find(piece);
    const bool late = (t.state[piece] & OneCopyTorrent::kAnnounced) == 0 && at != t.sent_at.end() &&
                      t.now - at->second >= kFirstCopyWait;
    if (!late) {
      ++it;
      continue;
    }
    const uint64_t holder = it->second;
    it = t.sent_to.erase(it);
    t.sent_at.erase(at);
    ++t.stats->first_copies_reoffered;
    Reoffer(t, piece, holder);
  }
}

// Every peer is shown the pieces withdrawn from it again (HAVE); `new_round` forgets what was
// sent to whom too.
void ShowHidden(OneCopyTorrent& t, bool new_round) {
  for (const std::weak_ptr<OneCopyPeer>& w : t.peers) {
    std::shared_ptr<OneCopyPeer> p = w.lock();
    if (p == nullptr || p->pc_.is_disconnecting()) continue;
    for (int piece : p->hidden_) p->Send(kHave, {static_cast<uint32_t>(piece)});
    p->hidden_.clear();
    if (new_round) p->assigned_.clear();
  }
}

// The end of the first round: every peer is shown every piece again; then each cell gets each
// piece it lacks once (when some peer said its cell), or plain seeding.
void ShowEverythingAgain(OneCopyTorrent& t) {
  ++t.stats->first_copies;
  ShowHidden(t, /*new_round=*/true);
  t.sent_to.clear();
  t.sent_at.clear();
  t.state = {};
  if (!t.cell_round || t.cells.empty()) {
    ServePlainly(t);
  } else {
    t.per_cell = true;
    t.ticks_without_news = 0;
  }
}

void ServePlainly(OneCopyTorrent& t) {
  t.all_sent = true;
  ShowHidden(t, /*new_round=*/false);
  t.peers.clear();  // plain seeding from now on: nothing more to remember
  t.cells.clear();
}

class OneCopyPlugin final : public lt::torrent_plugin {
 public:
  OneCopyPlugin(std::shared_ptr<OneCopyStats> stats, bool per_cell)
      : t_(std::make_shared<OneCopyTorrent>()) {
    t_->stats = std::move(stats);
    t_->cell_round = per_cell;
  }
  std::shared_ptr<lt::peer_plugin> new_connection(const lt::peer_connection_handle& pc) override {
    if (t_->all_sent) return nullptr;
    auto peer = std::make_shared<OneCopyPeer>(pc, t_);
    // Forget peers gone since (their weak pointers expired) before adding one.
    std::erase_if(t_->peers, [](const std::weak_ptr<OneCopyPeer>& w) { return w.expired(); });
    t_->peers.push_back(peer);
    return peer;
  }

  // About once a second. A first receiver that stays connected but never completes its piece
  // would keep the others refused for good: once every piece was requested, kPatience seconds
  // without a new announcement start plain seeding anyway.
  void tick() override {
    constexpr int kPatience = 10;
    if (t_->all_sent) return;
    if (t_->per_cell) {
      // The second round ends when no cell has taken a new piece for as long.
      if (++t_->ticks_without_news >= kPatience) ServePlainly(*t_);
      return;
    }
    ++t_->now;
    if (t_->pieces > 0) ReofferLateFirstCopies(*t_);
    if (!t_->AllRequested()) return;
    if (++t_->ticks_without_news >= kPatience) {
      ++t_->stats->rounds_out_of_patience;
      ShowEverythingAgain(*t_);
    }
  }

 private:
  std::shared_ptr<OneCopyTorrent> t_;
};

}  // namespace

TorrentExtension OneCopyFirst(std::shared_ptr<OneCopyStats> stats, bool per_cell) {
  return [stats, per_cell](const lt::torrent_handle&,
                           lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
    return std::make_shared<OneCopyPlugin>(stats, per_cell);
  };
}

}  // namespace p2pims::bt
