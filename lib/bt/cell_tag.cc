#include "lib/bt/cell_tag.h"

#include <libtorrent/bdecode.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_request.hpp>

#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "lib/bt/peer_wire.h"

namespace p2pims::bt {
namespace {

// The guard's extended message: its name in the handshake's "m" and the id it is sent to us
// with. Body: a kind byte, then for kReplace a bitfield of the sender's cell's pieces (BEP 3
// layout), for the others 32-bit big-endian piece indices. kReplace, kGained and kLost go to
// peers of other cells; kClaimed to peers of the same cell: pieces the sender has begun to take
// from another cell, which they then count as held by the cell for kClaimSeconds or until the
// sender announces them, so that a piece crosses into a cell about once. The sender says it
// again every kClaimSeconds - 2 while its request is still out (queued behind others at a slow
// uploader), and no more once the request was refused or the connection closed.
constexpr char kGuardName[] = "p2pims_cell_has";
constexpr int kGuardId = 61;  // ours; not one libtorrent's own extensions use
constexpr char kReplace = 0, kGained = 1, kLost = 2, kClaimed = 3;
constexpr int kClaimSeconds = 5;
constexpr int kAskedSeconds = 30;

class GuardPeer;

// One torrent's state; libtorrent calls plugins on its network thread only.
struct GuardTorrent {
  std::string cell;
  bool guard = false;
  bool serves = true;
  std::shared_ptr<CellGuardStats> stats;
  int pieces = -1;
  // Per piece: connected peers of this cell that announced it or claimed it (kClaimed).
  std::vector<uint16_t> in_cell;
  std::vector<uint8_t> own;  // per piece: checked here since the start (on_piece_pass)
  // Per piece: the second (`now`) this terminal claimed it from its cell, -1: not claimed.
  std::vector<int> claimed_at;
  int now = 0;  // seconds, from tick()
  std::vector<uint32_t> claims;  // claimed, not yet told to the peers of this cell
  std::vector<std::weak_ptr<GuardPeer>> peers;
  // Changes of in_cell from 0 and to 0 not yet told to the peers of other cells.
  std::vector<uint32_t> gained, lost;
  // Per cell tag of a peer of another cell, per piece: which of its peers is taking the piece
  // from us. While it is, and kClaimSeconds after its last block left, its cell mates are
  // refused the piece: they are to get it from that peer, who may not have announced it yet
  // (their claims reach each other late on busy, lossy links; we know at once).
  struct Into {
    uint64_t by = 0;     // a GuardPeer's id; 0: nobody
    int at = 0;          // second of its request, then of its last block
    bool asked = false;  // blocks of it still to send
  };
  std::unordered_map<std::string, std::vector<Into>> into;
  uint64_t next_peer_id = 1;

  Into& IntoOf(const std::string& cell, int piece) {
    std::vector<Into>& v = into[cell];
    v.resize(pieces);
    return v[piece];
  }
  bool Taking(const Into& in, uint64_t other_than) const {
    // A request libtorrent never answers (it drops some silently) holds the piece no longer
    // than kAskedSeconds.
    return in.by != 0 && in.by != other_than &&
           now - in.at < (in.asked ? kAskedSeconds : kClaimSeconds);
  }

  bool Know(const lt::peer_connection_handle& pc) {
    if (pieces >= 0) return true;
    pieces = wire::PieceCount(pc);
    if (pieces < 0) return false;
    in_cell.assign(pieces, 0);
    own.assign(pieces, 0);
    claimed_at.assign(pieces, -1);
    return true;
  }
  void Gain(int piece) {
    if (in_cell[piece]++ == 0) gained.push_back(static_cast<uint32_t>(piece));
  }
  void Lose(int piece) {
    if (in_cell[piece] > 0 && --in_cell[piece] == 0) lost.push_back(static_cast<uint32_t>(piece));
  }
  void Tell();  // gained and lost to every guarding peer of another cell; claims to this cell's
};

class GuardPeer final : public lt::peer_plugin {
 public:
  GuardPeer(lt::peer_connection_handle pc, std::shared_ptr<GuardTorrent> t)
      : pc_(std::move(pc)), t_(std::move(t)), id_(t_->next_peer_id++) {}

  void add_handshake(lt::entry& h) override {
    h[wire::kCellKey] = t_->cell;
    if (!t_->serves) h[wire::kServesKey] = 0;
    if (t_->guard) h["m"][kGuardName] = kGuardId;
  }

  bool on_extension_handshake(const lt::bdecode_node& h) override {
    if (!t_->guard) return true;
    if (lt::bdecode_node m = h.dict_find_dict("m")) {
      dont_have_id_ = IdOf(m, "lt_donthave");
      guard_id_ = IdOf(m, kGuardName);
    }
    const lt::string_view cell = h.dict_find_string_value(wire::kCellKey);
    // A repeated handshake (BEP 10 allows updates) changes nothing: its pieces are counted.
    if (same_cell_ || other_cell_ || cell.empty() || !t_->Know(pc_)) return true;
    if (std::string_view(cell.data(), cell.size()) == t_->cell) {
      same_cell_ = true;
      counts_ = h.dict_find_int_value(wire::kServesKey, 1) != 0;
      if (!counts_) return true;
      for (int piece = 0; piece < static_cast<int>(has_.size()); ++piece) {
        if (has_[piece] != 0) t_->Gain(piece);
      }
      t_->Tell();
    } else {
      other_cell_ = true;
      peer_cell_.assign(cell.data(), cell.size());
      if (guard_id_ > 0) SendCell();
    }
    return true;
  }

  bool on_bitfield(const lt::bitfield& bits) override {
    if (!Ready()) return false;
    for (int i = 0; i < bits.size() && i < t_->pieces; ++i) {
      if (bits.get_bit(i)) Has(i);
    }
    t_->Tell();
    return false;
  }
  bool on_have_all() override {
    if (!Ready()) return false;
    for (int i = 0; i < t_->pieces; ++i) Has(i);
    t_->Tell();
    return false;
  }
  bool on_have(lt::piece_index_t piece) override {
    if (!Ready() || !Valid(static_cast<int>(piece))) return false;
    Has(static_cast<int>(piece));
    Unclaim(static_cast<int>(piece));  // held now: the claim has done its work
    t_->Tell();
    return false;
  }
  bool on_dont_have(lt::piece_index_t piece) override {
    const int p = static_cast<int>(piece);
    if (!Ready() || !Valid(p) || has_[p] == 0) return false;
    has_[p] = 0;
    if (same_cell_ && counts_) t_->Lose(p), t_->Tell();
    return false;
  }

  void on_disconnect(const lt::error_code&) override {
    asked_.clear();
    for (const auto& [piece, blocks] : taking_) Taken(piece);
    taking_.clear();
    if (!same_cell_ || !counts_) return;
    for (int piece = 0; piece < static_cast<int>(has_.size()); ++piece) {
      if (has_[piece] != 0) t_->Lose(piece);
    }
    for (const auto& [piece, at] : claims_) t_->Lose(piece);
    claims_.clear();
    same_cell_ = false;
    t_->Tell();
  }

  // A request to a peer of another cell: the piece is claimed, and the peers of this cell told.
  void sent_request(const lt::peer_request& r) override {
    const int piece = static_cast<int>(r.piece);
    if (!other_cell_ || !Valid(piece)) return;
    asked_.insert(piece);
    Claim(piece, kClaimSeconds);
    t_->Tell();
  }
  bool on_reject(const lt::peer_request& r) override {
    asked_.erase(static_cast<int>(r.piece));
    return false;
  }
  // Pieces still asked of this peer are claimed again before their claims lapse.
  void RenewClaims() {
    for (int piece : asked_) Claim(piece, kClaimSeconds - 2);
  }
  void Received(int piece) { asked_.erase(piece); }

  // A block asked of us was sent, cancelled or refused (choked): once none of the piece is left
  // to send, its cell mates' wait runs out kClaimSeconds later (time to announce it to them).
  void Answered(int piece) {
    auto it = taking_.find(piece);
    if (it == taking_.end() || --it->second > 0) return;
    taking_.erase(it);
    Taken(piece);
  }
  void Taken(int piece) {
    GuardTorrent::Into& into = t_->IntoOf(peer_cell_, piece);
    if (into.by == id_) into = {.by = id_, .at = t_->now, .asked = false};
  }
  bool on_cancel(const lt::peer_request& r) override {
    if (other_cell_) Answered(static_cast<int>(r.piece));
    return false;
  }
  void sent_reject_request(const lt::peer_request& r) override {
    if (other_cell_) Answered(static_cast<int>(r.piece));
  }

  // Pieces refused because a cell mate was taking them: shown again once it no longer is, unless
  // the cell holds them by now (then they show again when it no longer does, as any withheld).
  void ShowWhatIsNoLongerOnItsWay() {
    for (auto it = on_its_way_.begin(); it != on_its_way_.end();) {
      const int piece = *it;
      if (t_->Taking(t_->IntoOf(peer_cell_, piece), id_)) {
        ++it;
        continue;
      }
      if (!Withheld(piece)) Show(piece);
      it = on_its_way_.erase(it);
    }
  }

  // Claims older than kClaimSeconds lapse: the piece did not arrive, another may take it.
  void ExpireClaims() {
    for (auto it = claims_.begin(); it != claims_.end();) {
      if (t_->now - it->second < kClaimSeconds) {
        ++it;
        continue;
      }
      t_->Lose(it->first);
      it = claims_.erase(it);
    }
  }

  // From a guarding peer of another cell: the pieces its cell holds, or what changed.
  bool on_extended(int length, int msg, lt::span<const char> body) override {
    if (msg != kGuardId) return false;
    if (body.size() < length) return true;  // the rest is still coming
    if (body.empty() || !Ready()) return true;
    const char kind = body[0];
    const lt::span<const char> rest = body.subspan(1);
    std::vector<int> pieces;
    if (kind != kReplace && rest.size() % 4 == 0) {
      for (long i = 0; i + 4 <= rest.size(); i += 4) {
        uint32_t piece = 0;
        for (long b = 0; b < 4; ++b) piece = piece << 8 | static_cast<uint8_t>(rest[i + b]);
        if (piece < static_cast<uint32_t>(t_->pieces)) pieces.push_back(static_cast<int>(piece));
      }
    }
    if (same_cell_ && kind == kClaimed) {
      if (!counts_) return true;  // it would not pass the piece on
      for (int piece : pieces) {
        if (has_[piece] != 0) continue;
        auto [it, first] = claims_.emplace(piece, t_->now);
        it->second = t_->now;  // a renewed claim lasts from now
        if (first) t_->Gain(piece);
      }
      t_->Tell();
      return true;
    }
    if (!other_cell_) return true;
    withheld_.resize(t_->pieces, 0);
    if (kind == kReplace && rest.size() == (t_->pieces + 7) / 8) {
      for (int piece = 0; piece < t_->pieces; ++piece) {
        Withhold(piece, ((rest[piece / 8] >> (7 - piece % 8)) & 1) != 0);
      }
    } else if (kind == kGained || kind == kLost) {
      for (int piece : pieces) Withhold(piece, kind == kGained);
    }
    return true;
  }

  bool on_request(const lt::peer_request& r) override {
    const int piece = static_cast<int>(r.piece);
    if (!other_cell_ || !Valid(piece)) return false;
    GuardTorrent::Into& into = t_->IntoOf(peer_cell_, piece);
    const bool held = Withheld(piece);
    if (!held && !t_->Taking(into, id_)) {
      into = {.by = id_, .at = t_->now, .asked = true};
      ++taking_[piece];
      return false;
    }
    if (held) {
      if (t_->stats != nullptr) ++t_->stats->refused;
    } else {
      if (t_->stats != nullptr) ++t_->stats->refused_on_its_way;
      on_its_way_.insert(piece);
    }
    Withdraw(piece);
    wire::Send(pc_, wire::kRejectRequest,
               {static_cast<uint32_t>(piece), static_cast<uint32_t>(r.start),
                static_cast<uint32_t>(r.length)});
    return true;  // handled: libtorrent does not serve it
  }

  void sent_piece(const lt::peer_request& r) override {
    if (!other_cell_) return;
    Answered(static_cast<int>(r.piece));
    if (t_->stats == nullptr) return;
    t_->stats->sent_across += r.length;
    if (Withheld(static_cast<int>(r.piece))) t_->stats->sent_across_held += r.length;
  }

  // libtorrent announced a piece it just checked; withdrawn at once if the peer's cell holds it.
  void sent_have(lt::piece_index_t piece) override {
    if (Withheld(static_cast<int>(piece))) Withdraw(static_cast<int>(piece));
  }

 private:
  friend struct GuardTorrent;

  static int IdOf(const lt::bdecode_node& m, const char* name) {
    const int64_t id = m.dict_find_int_value(name, -1);
    return id > 0 && id <= 255 ? static_cast<int>(id) : -1;
  }
  bool Ready() {
    if (!t_->guard || !t_->Know(pc_)) return false;
    has_.resize(t_->pieces, 0);
    return true;
  }
  bool Valid(int piece) const { return piece >= 0 && piece < t_->pieces; }
  bool Withheld(int piece) const {
    return piece >= 0 && piece < static_cast<int>(withheld_.size()) && withheld_[piece] != 0;
  }

  void Has(int piece) {
    if (has_[piece] != 0) return;
    has_[piece] = 1;
    if (same_cell_ && counts_) t_->Gain(piece);
  }
  void Unclaim(int piece) {
    if (claims_.erase(piece) > 0) t_->Lose(piece);
  }
  // Tells this cell that `piece` is being taken from another cell, unless it was told within
  // `every` seconds.
  void Claim(int piece, int every) {
    int& at = t_->claimed_at[piece];
    if (at >= 0 && t_->now - at < every) return;
    at = t_->now;
    t_->claims.push_back(static_cast<uint32_t>(piece));
  }

  // The peer's cell holds `piece` (or no longer does): hide it from the peer (or show it again).
  void Withhold(int piece, bool hold) {
    withheld_[piece] = hold ? 1 : 0;
    if (hold && t_->own[piece] != 0) {
      Withdraw(piece);
    } else if (!hold) {
      Show(piece);
    }
  }
  void Show(int piece) {
    if (hidden_.size() <= static_cast<size_t>(piece) || hidden_[piece] == 0) return;
    hidden_[piece] = 0;
    wire::Send(pc_, wire::kHave, {static_cast<uint32_t>(piece)});
  }
  void Withdraw(int piece) {
    if (dont_have_id_ < 0) return;
    hidden_.resize(t_->pieces, 0);
    if (hidden_[piece] != 0) return;
    hidden_[piece] = 1;
    if (t_->stats != nullptr) ++t_->stats->withdrawn;
    wire::Send(pc_, wire::kExtended, {static_cast<uint32_t>(piece)}, dont_have_id_);
  }

  // What this terminal's cell holds, whole (kReplace).
  void SendCell() {
    std::string body(1 + (t_->pieces + 7) / 8, '\0');
    body[0] = kReplace;
    for (int piece = 0; piece < t_->pieces; ++piece) {
      if (t_->in_cell[piece] > 0) body[1 + piece / 8] |= static_cast<char>(0x80 >> (piece % 8));
    }
    wire::SendExtended(pc_, guard_id_, body);
  }
  void SendChanges(char kind, const std::vector<uint32_t>& pieces) {
    std::string body(1, kind);
    for (uint32_t piece : pieces) {
      for (int shift = 24; shift >= 0; shift -= 8) body.push_back(static_cast<char>(piece >> shift));
    }
    wire::SendExtended(pc_, guard_id_, body);
  }

  lt::peer_connection_handle pc_;
  std::shared_ptr<GuardTorrent> t_;
  int dont_have_id_ = -1, guard_id_ = -1;
  bool same_cell_ = false, other_cell_ = false;
  bool counts_ = true;  // same cell: what it holds and claims counts as the cell's (it serves)
  std::vector<uint8_t> has_;       // pieces it announced
  std::vector<uint8_t> withheld_;  // pieces its cell holds, as it told us
  std::vector<uint8_t> hidden_;    // pieces withdrawn from its view
  std::unordered_map<int, int> claims_;  // same cell: pieces it claimed -> second of the claim
  std::unordered_set<int> asked_;        // other cell: pieces requested of it, still out
  std::string peer_cell_;                // other cell: its tag
  std::unordered_set<int> on_its_way_;   // other cell: refused as a cell mate of it took them
  std::unordered_map<int, int> taking_;  // other cell: its pieces in `into`, blocks still to send
  uint64_t id_;
};

void GuardTorrent::Tell() {
  if (gained.empty() && lost.empty() && claims.empty()) return;
  for (const std::weak_ptr<GuardPeer>& w : peers) {
    std::shared_ptr<GuardPeer> p = w.lock();
    if (p == nullptr || p->guard_id_ < 0 || p->pc_.is_disconnecting()) continue;
    if (p->other_cell_) {
      if (!gained.empty()) p->SendChanges(kGained, gained);
      if (!lost.empty()) p->SendChanges(kLost, lost);
    } else if (p->same_cell_ && !claims.empty()) {
      p->SendChanges(kClaimed, claims);
    }
  }
  gained.clear();
  lost.clear();
  claims.clear();
}

class CellTagPlugin final : public lt::torrent_plugin {
 public:
  explicit CellTagPlugin(std::shared_ptr<GuardTorrent> t) : t_(std::move(t)) {}

  std::shared_ptr<lt::peer_plugin> new_connection(const lt::peer_connection_handle& pc) override {
    auto peer = std::make_shared<GuardPeer>(pc, t_);
    if (t_->guard) {
      // Forget peers gone since (their weak pointers expired) before adding one.
      std::erase_if(t_->peers, [](const std::weak_ptr<GuardPeer>& w) { return w.expired(); });
      t_->peers.push_back(peer);
    }
    return peer;
  }
  void on_piece_pass(lt::piece_index_t piece) override {
    const int p = static_cast<int>(piece);
    if (p < 0 || p >= static_cast<int>(t_->own.size())) return;
    t_->own[p] = 1;
    for (const std::weak_ptr<GuardPeer>& w : t_->peers) {
      if (std::shared_ptr<GuardPeer> peer = w.lock()) peer->Received(p);
    }
  }
  void tick() override {
    ++t_->now;
    for (const std::weak_ptr<GuardPeer>& w : t_->peers) {
      if (std::shared_ptr<GuardPeer> p = w.lock()) {
        p->ExpireClaims();
        p->RenewClaims();
        p->ShowWhatIsNoLongerOnItsWay();
      }
    }
    t_->Tell();
  }

 private:
  std::shared_ptr<GuardTorrent> t_;
};

}  // namespace

TorrentExtension CellTag(std::string cell, CellTagOptions options) {
  auto shared = std::make_shared<const std::string>(std::move(cell));
  return [shared, options](const lt::torrent_handle&,
                           lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
    auto t = std::make_shared<GuardTorrent>();
    t->cell = *shared;
    t->guard = options.guard;
    t->serves = options.serves;
    t->stats = options.stats;
    return std::make_shared<CellTagPlugin>(std::move(t));
  };
}

}  // namespace p2pims::bt
