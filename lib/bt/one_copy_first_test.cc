// Real libtorrent sessions on loopback: a rate-limited seed with OneCopyFirst and leechers that
// know each other. Every upload the seed makes is recorded (block_uploaded_alert): every piece
// leaves the seed once before any piece leaves it twice; everyone completes, also when the peer
// a piece first went to never finishes it; what goes to a peer that serves nobody does not count
// as the piece's copy.
#include "lib/bt/one_copy_first.h"

#include <gtest/gtest.h>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/extensions.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/torrent_status.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lib/bt/cell_tag.h"
#include "lib/bt/testing/loopback_torrent.h"

namespace p2pims::bt {
namespace {

constexpr int kPiece = 16 * 1024;  // one block a piece
constexpr int kPieces = 64;
constexpr int kLeechers = 3;

struct Upload {
  int piece;
  std::string to;
  std::set<std::string> gone;  // peers that had disconnected from the seed before this upload
};

std::string Endpoint(const lt::tcp::endpoint& e) {
  return e.address().to_string() + ":" + std::to_string(e.port());
}

// A leecher that stays connected to the seed while every piece it lacks is withdrawn, as the
// operator's terminal does (libtorrent would drop an upload-only peer it wants nothing from, and
// not dial it again for a minute).
void KeepUploadOnlyPeers(lt::session& s) {
  lt::settings_pack keep;
  keep.set_bool(lt::settings_pack::close_redundant_connections, false);
  s.apply_settings(keep);
}

class OneCopyFirstTest : public ::testing::Test {
 protected:
  static std::unique_ptr<lt::session> Session(int upload_limit, bool rc4) {
    return testing::LoopbackTorrent::Session(upload_limit, rc4);
  }
  static int Port(const lt::session& s) { return testing::LoopbackTorrent::Port(s); }

  lt::torrent_handle Add(lt::session& s, const std::string& dir, bool seed,
                         std::shared_ptr<OneCopyStats> stats = nullptr, std::string cell = "",
                         bool per_cell = false) {
    std::vector<TorrentExtension> extensions;
    if (stats != nullptr) extensions.push_back(OneCopyFirst(stats, per_cell));
    if (!cell.empty()) extensions.push_back(CellTag(std::move(cell)));
    return torrent_.Add(s, dir, seed, extensions);
  }

  // Pops the seed's alerts until every leecher is a seed or 120 s have passed, and says whether
  // they all completed. `upload` sees each block the seed uploads (its piece, to whom, and who
  // had disconnected from the seed by then); `batch` runs after each batch of alerts.
  using UploadSeen =
      std::function<void(int piece, const std::string& to, const std::set<std::string>& gone)>;
  static bool WatchSeed(
      lt::session& seed, const std::vector<lt::torrent_handle>& leechers, const UploadSeen& upload,
      const std::function<void()>& batch = [] {}) {
    std::set<std::string> gone;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    auto complete = [&] {
      return std::all_of(leechers.begin(), leechers.end(),
                         [](const lt::torrent_handle& l) { return l.status().is_seeding; });
    };
    while (!complete() && std::chrono::steady_clock::now() < deadline) {
      seed.wait_for_alert(std::chrono::milliseconds(100));
      std::vector<lt::alert*> alerts;
      seed.pop_alerts(&alerts);
      for (lt::alert* a : alerts) {
        if (auto* b = lt::alert_cast<lt::block_uploaded_alert>(a)) {
          upload(static_cast<int>(b->piece_index), Endpoint(b->endpoint), gone);
        } else if (auto* d = lt::alert_cast<lt::peer_disconnected_alert>(a)) {
          gone.insert(Endpoint(d->endpoint));
        }
      }
      batch();
    }
    return complete();
  }

  testing::LoopbackTorrent torrent_{"one-copy", kPieces, kPiece};
};

TEST_F(OneCopyFirstTest, EveryPieceLeavesTheSeedOnceBeforeAnyLeavesTwice) {
  auto stats = std::make_shared<OneCopyStats>();
  // RC4 on every connection to the seed: its own messages (reject, lt_donthave, HAVE) pass
  // through libtorrent's encryption.
  auto seed_session = Session(8 * kPiece, /*rc4=*/true);  // 8 s for one copy
  lt::torrent_handle seed = Add(*seed_session, "seed", true, stats);
  std::vector<std::unique_ptr<lt::session>> sessions;
  std::vector<lt::torrent_handle> leechers;
  for (int i = 0; i < kLeechers; ++i) {
    sessions.push_back(Session(0, false));
    leechers.push_back(Add(*sessions.back(), "leech" + std::to_string(i), false));
  }
  const int seed_port = Port(*seed_session);
  ASSERT_NE(seed_port, 0);
  for (int i = 0; i < kLeechers; ++i) {
    leechers[i].connect_peer({lt::make_address_v4("127.0.0.1"), static_cast<uint16_t>(seed_port)});
    for (int j = 0; j < i; ++j) {
      leechers[i].connect_peer(
          {lt::make_address_v4("127.0.0.1"), static_cast<uint16_t>(Port(*sessions[j]))});
    }
  }

  std::vector<Upload> uploads;
  // Uploads made while the seed still held back repeats: those popped before a look at the stats
  // that found the first copy not yet out (the seed counts it before it serves any repeat).
  size_t held_back = 0;
  const bool complete = WatchSeed(
      *seed_session, leechers,
      [&](int piece, const std::string& to, const std::set<std::string>& gone) {
        uploads.push_back({piece, to, gone});
      },
      [&] {
        if (stats->first_copies.load() == 0) held_back = uploads.size();
      });
  ASSERT_TRUE(complete) << "not every leecher completed within 120 s";

  // While repeats were held back, each piece went to one peer only, or again after that peer
  // had left (a leecher whose every missing piece is withdrawn drops the seed, and may take
  // a piece's announcement with it).
  std::map<int, std::string> first_to;
  for (size_t i = 0; i < held_back; ++i) {
    auto [it, first] = first_to.emplace(uploads[i].piece, uploads[i].to);
    if (first || it->second == uploads[i].to) continue;
    EXPECT_TRUE(uploads[i].gone.contains(it->second))
        << "piece " << uploads[i].piece << " went to " << uploads[i].to << " after " << it->second
        << ", with " << first_to.size() << " of " << kPieces << " pieces out";
    it->second = uploads[i].to;
  }
  // All of them: the seed serves repeats only once every piece is in the swarm (announced), so
  // the last first copies do not share its link with repeats.
  EXPECT_EQ(first_to.size(), kPieces) << "repeats were served before every piece had left once";
  // The last leecher's last announcements may reach the seed after it completed.
  EXPECT_TRUE(
      testing::WaitFor([&] { return stats->first_copies.load() == 1; }, std::chrono::seconds(20)))
      << "every piece left the seed (it was the only source), but the first round never ended";
  EXPECT_GT(stats->repeats_refused.load(), 0) << "no request for a piece already sent: untested";
  EXPECT_GE(seed.status().total_payload_upload, int64_t{kPieces} * kPiece);
}

TEST_F(OneCopyFirstTest, APieceWhoseReceiverStallsIsServedAgainAfterAWhile) {
  auto stats = std::make_shared<OneCopyStats>();
  auto seed_session = Session(16 * kPiece, /*rc4=*/false);
  Add(*seed_session, "seed", true, stats);
  // The stalled one takes 100 bytes a second: each piece it is sent first stays unfinished for
  // minutes, and nobody else may take it from the seed until the seed stops waiting.
  auto stalled_session = Session(0, false);
  lt::settings_pack slow;
  slow.set_int(lt::settings_pack::download_rate_limit, 100);
  // No MSE handshake either: at 100 bytes/s its key exchange alone would take the test's time.
  slow.set_int(lt::settings_pack::out_enc_policy, lt::settings_pack::pe_disabled);
  slow.set_int(lt::settings_pack::in_enc_policy, lt::settings_pack::pe_disabled);
  stalled_session->apply_settings(slow);
  lt::torrent_handle stalled = Add(*stalled_session, "stalled", false);
  auto fast_session = Session(0, false);
  KeepUploadOnlyPeers(*fast_session);
  lt::torrent_handle fast = Add(*fast_session, "fast", false);
  const int seed_port = Port(*seed_session);
  ASSERT_NE(seed_port, 0);
  stalled.connect_peer({lt::make_address_v4("127.0.0.1"), static_cast<uint16_t>(seed_port)});
  // The stalled peer first, so that it holds pieces (requested, unfinished) the fast one must
  // wait for.
  for (int i = 0; i < 1000 && stalled.get_download_queue().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(stalled.get_download_queue().empty()) << "the stalled leecher requested nothing";
  fast.connect_peer({lt::make_address_v4("127.0.0.1"), static_cast<uint16_t>(seed_port)});

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fast.status().is_seeding && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(fast.status().is_seeding) << "the fast leecher waited on the stalled one's pieces";
  EXPECT_FALSE(stalled.status().is_seeding) << "the stalled leecher was not slow: untested";
  // The seed hears the fast one's last announcements after it completed.
  EXPECT_TRUE(
      testing::WaitFor([&] { return stats->first_copies.load() == 1; }, std::chrono::seconds(20)))
      << "the seed never went back to plain seeding";
  EXPECT_GT(stats->repeats_refused.load(), 0) << "nothing was held back: untested";
  // The stalled one's first copies were offered again 5 s after their last block left, so the
  // round did not have to wait 10 s without news.
  EXPECT_GT(stats->first_copies_reoffered.load(), 0) << "no late first copy was offered again";
  EXPECT_EQ(stats->rounds_out_of_patience.load(), 0) << "the round waited on the stalled peer";
}

// The seed has one upload slot and passes it round every second. When it chokes the first
// leecher, libtorrent drops (rejects) what that one still asked; the first leecher then stops
// downloading (and so is never unchoked again). The pieces it had asked for go to the next
// leecher at once. Kept for the first one, they were refused to everyone until the seed ran out
// of patience (10 s without news): the origin choked its peers in turn in the swarm benchmark,
// and the swarm waited seconds for pieces nobody was sent.
TEST_F(OneCopyFirstTest, PiecesAskedByAChokedPeerGoToTheNextAtOnce) {
  auto stats = std::make_shared<OneCopyStats>();
  auto seed_session = Session(8 * kPiece, /*rc4=*/false);
  lt::settings_pack turns;
  turns.set_int(lt::settings_pack::unchoke_slots_limit, 1);
  turns.set_int(lt::settings_pack::seed_choking_algorithm, lt::settings_pack::round_robin);
  turns.set_int(lt::settings_pack::unchoke_interval, 1);
  turns.set_int(lt::settings_pack::optimistic_unchoke_interval, 1);
  turns.set_int(lt::settings_pack::allowed_fast_set_size, 0);  // nothing asked while choked
  seed_session->apply_settings(turns);
  Add(*seed_session, "seed", true, stats);
  auto first_session = Session(0, false);
  KeepUploadOnlyPeers(*first_session);
  lt::torrent_handle first = Add(*first_session, "first", false);
  auto next_session = Session(0, false);
  KeepUploadOnlyPeers(*next_session);
  lt::torrent_handle next = Add(*next_session, "next", false);
  const int seed_port = Port(*seed_session);
  ASSERT_NE(seed_port, 0);
  first.connect_peer(testing::LoopbackTorrent::Loopback(seed_port));
  ASSERT_TRUE(
      testing::WaitFor([&] { return first.status().num_pieces >= 2; }, std::chrono::seconds(10)))
      << "the first leecher got nothing";
  next.connect_peer(testing::LoopbackTorrent::Loopback(seed_port));
  auto choked = [&] {
    std::vector<lt::peer_info> peers;
    first.get_peer_info(peers);
    return !peers.empty() && (peers[0].flags & lt::peer_info::choked);
  };
  ASSERT_TRUE(testing::WaitFor(choked, std::chrono::seconds(20))) << "the seed never choked it";
  first.set_flags(lt::torrent_flags::upload_mode);  // it asks for nothing more
  ASSERT_TRUE(testing::WaitFor([&] { return next.status().is_seeding; }, std::chrono::seconds(60)))
      << "the next leecher never completed";
  EXPECT_FALSE(first.status().is_seeding) << "the first leecher completed: untested";
  EXPECT_TRUE(
      testing::WaitFor([&] { return stats->first_copies.load() == 1; }, std::chrono::seconds(20)))
      << "the first round never ended";
  EXPECT_EQ(stats->rounds_out_of_patience.load(), 0)
      << "the seed waited for pieces the choked leecher could no longer take";
}

// Counts the refusals (BEP 6 reject) a leecher gets from its peers.
class CountRejects final : public lt::torrent_plugin {
 public:
  explicit CountRejects(std::shared_ptr<std::atomic<int>> n) : n_(std::move(n)) {}
  std::shared_ptr<lt::peer_plugin> new_connection(const lt::peer_connection_handle&) override {
    struct Peer final : lt::peer_plugin {
      explicit Peer(std::shared_ptr<std::atomic<int>> n) : n(std::move(n)) {}
      bool on_reject(const lt::peer_request&) override {
        ++*n;
        return false;
      }
      std::shared_ptr<std::atomic<int>> n;
    };
    return std::make_shared<Peer>(n_);
  }

 private:
  std::shared_ptr<std::atomic<int>> n_;
};

// A leecher that serves nobody (a metered terminal without an upload cap: CellTag with `serves`
// false, no unchoke slots, no allowed-fast pieces) beside one that serves, both asking the seed
// from the start. What the seed sends the first is not counted as the piece's copy in the swarm:
// the second is never refused a piece, since it could not take it from the first.
TEST_F(OneCopyFirstTest, APieceSentToAPeerThatServesNobodyIsStillUnsent) {
  auto stats = std::make_shared<OneCopyStats>();
  auto seed_session = Session(8 * kPiece, /*rc4=*/false);
  Add(*seed_session, "seed", true, stats);
  auto mute_session = Session(0, false);
  lt::settings_pack mute;
  mute.set_int(lt::settings_pack::unchoke_slots_limit, 0);
  mute.set_int(lt::settings_pack::allowed_fast_set_size, 0);
  mute.set_bool(lt::settings_pack::close_redundant_connections, false);
  mute_session->apply_settings(mute);
  const lt::torrent_handle mute_leecher =
      torrent_.Add(*mute_session, "mute", false, {CellTag("cell", {.serves = false})});
  auto rejects = std::make_shared<std::atomic<int>>(0);
  auto serving_session = Session(0, false);
  KeepUploadOnlyPeers(*serving_session);
  const lt::torrent_handle serving =
      torrent_.Add(*serving_session, "serving", false,
                   {CellTag("cell"), [rejects](const lt::torrent_handle&, lt::client_data_t) {
                      return std::make_shared<CountRejects>(rejects);
                    }});
  const int seed_port = Port(*seed_session);
  ASSERT_NE(seed_port, 0);
  mute_leecher.connect_peer(testing::LoopbackTorrent::Loopback(seed_port));
  serving.connect_peer(testing::LoopbackTorrent::Loopback(seed_port));
  serving.connect_peer(testing::LoopbackTorrent::Loopback(Port(*mute_session)));
  ASSERT_TRUE(testing::WaitFor(
      [&] { return serving.status().is_seeding && mute_leecher.status().is_seeding; },
      std::chrono::seconds(60)))
      << "the leechers did not complete";
  EXPECT_GT(mute_leecher.status().total_payload_download, 0);
  EXPECT_EQ(mute_leecher.status().total_payload_upload, 0) << "it served after all: untested";
  EXPECT_EQ(rejects->load(), 0) << "the serving leecher was refused pieces only the other held";
  EXPECT_GT(stats->repeats_refused.load(), 0) << "the one serving nobody was never refused";
}

// Two cells of two leechers; the leechers of a cell know each other, no leecher knows one of the
// other cell, so each cell must take from the seed what the first round sent to the other. With
// the cells told (CellTag), the seed sends each piece into each cell once: two copies in all,
// where a plain second round sends a piece to both leechers of the cell that lacks it.
TEST_F(OneCopyFirstTest, EachCellGetsEachPieceOnceFromTheSeed) {
  auto stats = std::make_shared<OneCopyStats>();
  auto seed_session = Session(16 * kPiece, /*rc4=*/true);
  lt::torrent_handle seed = Add(*seed_session, "seed", true, stats, "", /*per_cell=*/true);
  std::vector<std::unique_ptr<lt::session>> sessions;
  std::vector<lt::torrent_handle> leechers;
  std::map<std::string, std::string> cell_of;  // a leecher's listening endpoint -> its cell
  for (int i = 0; i < 4; ++i) {
    const std::string cell = i < 2 ? "cell-a" : "cell-b";
    sessions.push_back(Session(0, false));
    KeepUploadOnlyPeers(*sessions.back());
    leechers.push_back(Add(*sessions.back(), "leech" + std::to_string(i), false, nullptr, cell));
    const int port = Port(*sessions.back());
    ASSERT_NE(port, 0);
    cell_of["127.0.0.1:" + std::to_string(port)] = cell;
    // The seed dials each leecher, so that its uploads name the leecher's listening endpoint.
    seed.connect_peer({lt::make_address_v4("127.0.0.1"), static_cast<uint16_t>(port)});
  }
  for (int i : {1, 3}) {
    leechers[i].connect_peer(
        {lt::make_address_v4("127.0.0.1"), static_cast<uint16_t>(Port(*sessions[i - 1]))});
  }

  // (cell, piece) -> the leechers of the cell the seed uploaded the piece to.
  std::map<std::pair<std::string, int>, std::set<std::string>> into;
  int after_leaving = 0;  // uploads into a cell whose earlier receivers had all left the seed
  std::set<std::string> strangers;
  const bool complete =
      WatchSeed(*seed_session, leechers,
                [&](int piece, const std::string& to, const std::set<std::string>& gone) {
                  if (!cell_of.contains(to)) {
                    strangers.insert(to);
                    return;
                  }
                  std::set<std::string>& receivers = into[{cell_of[to], piece}];
                  if (!receivers.empty() && !receivers.contains(to) &&
                      std::all_of(receivers.begin(), receivers.end(),
                                  [&](const std::string& r) { return gone.contains(r); })) {
                    ++after_leaving;
                    receivers.clear();
                  }
                  receivers.insert(to);
                });
  EXPECT_TRUE(strangers.empty()) << "uploads to endpoints that are no leecher's";
  ASSERT_TRUE(complete) << "not every leecher completed within 120 s";

  // Every piece went into each cell, to one leecher of it.
  for (const char* cell : {"cell-a", "cell-b"}) {
    int twice = 0, missing = 0;
    for (int piece = 0; piece < kPieces; ++piece) {
      auto it = into.find({cell, piece});
      if (it == into.end()) {
        ++missing;
      } else if (it->second.size() > 1) {
        ++twice;
      }
    }
    EXPECT_EQ(twice, 0) << cell << ": pieces the seed sent to both its leechers";
    EXPECT_EQ(missing, 0) << cell
                          << ": pieces the seed never sent into it (it has no other source)";
  }
  EXPECT_LE(after_leaving, kPieces / 8) << "too many resends after a leecher left the seed";
  EXPECT_EQ(stats->first_copies.load(), 1) << "the first round did not end";
  EXPECT_GT(stats->repeats_refused.load(), 0) << "nothing was refused: untested";
}

}  // namespace
}  // namespace p2pims::bt
