// Real libtorrent sessions on loopback: guarding terminals of cells A and B. One of cell B serves
// a terminal of cell A only what cell A lacks: nothing while another terminal of cell A holds
// every piece, the rest once that one leaves; what a cell mate that serves nobody holds still
// comes from cell B. A piece crosses into a cell about once, also while it is on its way to a
// cell mate. Without the guard, cell B serves what cell A holds.
#include "lib/bt/cell_tag.h"

#include <gtest/gtest.h>
#include <libtorrent/peer_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "lib/bt/testing/loopback_torrent.h"

namespace p2pims::bt {
namespace {

constexpr int kPiece = 16 * 1024;
constexpr int kPieces = 64;

class CellTagTest : public ::testing::Test {
 protected:
  // A terminal of `cell`; `upload_limit` bytes/s (0: none). Seeds share the one complete copy.
  // One that does not serve unchokes nobody and offers no allowed-fast pieces, as a metered
  // p2pims-ue without an upload cap.
  lt::torrent_handle Terminal(const std::string& cell, const std::string& dir, bool seed,
                              bool guard, int upload_limit = 0, bool serves = true) {
    sessions_.push_back(testing::LoopbackTorrent::Session(upload_limit, /*rc4=*/true));
    lt::settings_pack keep;  // keep peers it wants nothing from, as p2pims-ue does
    keep.set_bool(lt::settings_pack::close_redundant_connections, false);
    if (!serves) {
      keep.set_int(lt::settings_pack::unchoke_slots_limit, 0);
      keep.set_int(lt::settings_pack::allowed_fast_set_size, 0);
    }
    sessions_.back()->apply_settings(keep);
    return torrent_.Add(*sessions_.back(), seed ? "seed" : dir, seed,
                        {CellTag(cell, {.guard = guard, .serves = serves, .stats = stats_})});
  }
  int Port(size_t terminal) const { return testing::LoopbackTorrent::Port(*sessions_[terminal]); }

  // Connects `from` to the terminal at `to_port` and waits until `ready` holds for that peer.
  template <typename Ready>
  static bool Meet(lt::torrent_handle from, int to_port, Ready ready) {
    from.connect_peer(testing::LoopbackTorrent::Loopback(to_port));
    return testing::WaitFor(
        [&] {
          std::vector<lt::peer_info> peers;
          from.get_peer_info(peers);
          return std::any_of(peers.begin(), peers.end(), [&](const lt::peer_info& p) {
            return p.ip.port() == to_port && ready(p);
          });
        },
        std::chrono::seconds(10));
  }
  // ... until the connection is up.
  static bool Reach(lt::torrent_handle from, int to_port) {
    return Meet(from, to_port, [](const lt::peer_info& p) {
      return !(p.flags & lt::peer_info::connecting) && !(p.flags & lt::peer_info::handshake);
    });
  }
  // ... until `from` has seen what it holds.
  static bool Know(lt::torrent_handle from, int to_port) {
    return Meet(from, to_port, [](const lt::peer_info& p) { return p.pieces.count() > 0; });
  }

  std::shared_ptr<CellGuardStats> stats_ = std::make_shared<CellGuardStats>();
  testing::LoopbackTorrent torrent_{"cell-tag", kPieces, kPiece};
  std::vector<std::unique_ptr<lt::session>> sessions_;
};

// a2 (cell A) knows a1 (cell A, every piece, slow) first, then b1 (cell B, every piece, fast).
// Without the guard a2 takes most of the file from b1; with it, nothing.
TEST_F(CellTagTest, APeerOfAnotherCellServesNothingTheCellHolds) {
  lt::torrent_handle a1 = Terminal("cell-a", "a1", true, true, 32 * kPiece);
  lt::torrent_handle b1 = Terminal("cell-b", "b1", true, true);
  lt::torrent_handle a2 = Terminal("cell-a", "a2", false, true);
  ASSERT_TRUE(Know(a2, Port(0))) << "a2 never saw a1's pieces";
  ASSERT_TRUE(Know(a2, Port(1))) << "a2 never saw b1's pieces";
  ASSERT_TRUE(testing::WaitFor([&] { return a2.status().is_seeding; }, std::chrono::seconds(60)))
      << "a2 did not complete from a1";
  EXPECT_EQ(b1.status().total_payload_upload, 0) << "b1 served pieces cell A held";
  EXPECT_GE(a1.status().total_payload_upload, int64_t{kPieces} * kPiece);
  // Both ways of withholding were used or the test proves nothing: b1 withdrew what a2 asked
  // withheld, and what it had announced before (its bitfield) was refused on request or
  // withdrawn.
  EXPECT_GT(stats_->withdrawn.load(), 0) << "b1 withdrew nothing";
}

// a1 (cell A) holds every piece but serves nobody, and says so; a2 (cell A) knows it, then b1
// (cell B, every piece). Cell A does not count what a1 holds, so b1 serves a2 the file. (When
// it counted, b1 withheld every piece and a2 got nothing.)
TEST_F(CellTagTest, WhatACellMateServingNobodyHoldsComesFromAnotherCell) {
  lt::torrent_handle a1 = Terminal("cell-a", "a1", true, true, 0, /*serves=*/false);
  lt::torrent_handle b1 = Terminal("cell-b", "b1", true, true);
  lt::torrent_handle a2 = Terminal("cell-a", "a2", false, true);
  ASSERT_TRUE(Know(a2, Port(0))) << "a2 never saw a1's pieces";
  ASSERT_TRUE(Reach(a2, Port(1))) << "a2 never reached b1";
  ASSERT_TRUE(testing::WaitFor([&] { return a2.status().is_seeding; }, std::chrono::seconds(30)))
      << "a2 did not complete: b1 withheld what only a1, serving nobody, held (a2 has "
      << a2.status().num_pieces << " pieces, " << a2.status().num_peers << " peers; b1 sent "
      << b1.status().total_payload_upload << " bytes, refused " << stats_->refused.load() << ")";
  EXPECT_EQ(a1.status().total_payload_upload, 0) << "a1 served: the test proves nothing";
  EXPECT_GE(b1.status().total_payload_upload, int64_t{kPieces} * kPiece);
  EXPECT_EQ(stats_->refused.load(), 0) << "b1 refused pieces to a2";
}

// The same, then a1 leaves with half of the file at a2: cell A holds nothing more, so b1 shows
// a2 its pieces again and serves the rest.
TEST_F(CellTagTest, WhatTheCellNoLongerHoldsComesFromAnotherCell) {
  lt::torrent_handle a1 = Terminal("cell-a", "a1", true, true, 8 * kPiece);
  lt::torrent_handle b1 = Terminal("cell-b", "b1", true, true);
  lt::torrent_handle a2 = Terminal("cell-a", "a2", false, true);
  ASSERT_TRUE(Know(a2, Port(0))) << "a2 never saw a1's pieces";
  ASSERT_TRUE(Know(a2, Port(1))) << "a2 never saw b1's pieces";
  ASSERT_TRUE(testing::WaitFor([&] { return a2.status().num_pieces >= kPieces / 4; },
                               std::chrono::seconds(30)))
      << "a2 got too little from a1";
  EXPECT_EQ(b1.status().total_payload_upload, 0) << "b1 served pieces cell A held";
  sessions_[0]->remove_torrent(a1);
  ASSERT_TRUE(testing::WaitFor([&] { return a2.status().is_seeding; }, std::chrono::seconds(60)))
      << "a2 never got the rest from b1";
  const int64_t from_b1 = b1.status().total_payload_upload;
  EXPECT_GT(from_b1, 0) << "a2 completed without b1: untested";
  EXPECT_LE(from_b1, int64_t{kPieces} * kPiece * 3 / 4 + kPiece)
      << "b1 sent more than a2 lacked when a1 left";
}

// a2 and a3 (cell A) know each other and b1 (cell B, every piece, slowish); cell A has nothing.
// Each piece should cross into cell A about once: what one of them has begun to take from b1
// (claimed), the other takes from it. Measured: 1.02 - 1.06 copies crossed, Release and Debug;
// 1.31 - 1.41 when only announced pieces were withheld (no claims, and before b1 kept count of
// what it sends into a cell itself: the next test).
TEST_F(CellTagTest, APieceCrossesIntoTheCellAboutOnce) {
  lt::torrent_handle b1 = Terminal("cell-b", "b1", true, true, 16 * kPiece);
  lt::torrent_handle a2 = Terminal("cell-a", "a2", false, true);
  lt::torrent_handle a3 = Terminal("cell-a", "a3", false, true);
  ASSERT_TRUE(Reach(a3, Port(1))) << "a3 never reached a2";
  // a2 first, so that a3's first requests to b1 come after a2's claims (two first requests at
  // once cross both: a race the guard does not try to win).
  a2.connect_peer(testing::LoopbackTorrent::Loopback(Port(0)));
  ASSERT_TRUE(
      testing::WaitFor([&] { return a2.status().num_pieces >= 2; }, std::chrono::seconds(10)))
      << "a2 got nothing from b1";
  a3.connect_peer(testing::LoopbackTorrent::Loopback(Port(0)));
  ASSERT_TRUE(testing::WaitFor([&] { return a2.status().is_seeding && a3.status().is_seeding; },
                               std::chrono::seconds(60)))
      << "cell A did not complete";
  const int64_t crossed = b1.status().total_payload_upload;
  EXPECT_LE(crossed, int64_t{kPieces} * kPiece * 6 / 5) << "pieces crossed into cell A twice";
  EXPECT_GE(a2.status().total_payload_upload + a3.status().total_payload_upload,
            int64_t{kPieces} * kPiece * 3 / 4)
      << "cell A's terminals hardly passed pieces on to each other";
}

// The same with a2 and a3 not guarding (no claims, nothing told to b1): b1 itself sends each
// piece into cell A once while a2 or a3 is taking it, and refuses it to the other, who takes it
// from its cell mate (or from b1 again when it has not 5 s after the last block left). A claim
// reaches cell mates late when their link is busy or lossy (a swarm's terminals: 0.1 - 0.7 s
// median); b1 knows at once. Measured: 1.06 - 1.23 copies crossed; 1.39 - 1.58 without the rule.
TEST_F(CellTagTest, APeerOfAnotherCellSendsAPieceIntoTheCellOnceWhileItIsOnItsWay) {
  lt::torrent_handle b1 = Terminal("cell-b", "b1", true, true, 16 * kPiece);
  lt::torrent_handle a2 = Terminal("cell-a", "a2", false, false);
  lt::torrent_handle a3 = Terminal("cell-a", "a3", false, false);
  ASSERT_TRUE(Reach(a3, Port(1))) << "a3 never reached a2";
  // Both take from b1 (once in a CI run nothing was refused: a3 had likely not reached b1).
  ASSERT_TRUE(Reach(a2, Port(0))) << "a2 never reached b1";
  ASSERT_TRUE(Reach(a3, Port(0))) << "a3 never reached b1";
  ASSERT_TRUE(testing::WaitFor([&] { return a2.status().is_seeding && a3.status().is_seeding; },
                               std::chrono::seconds(60)))
      << "cell A did not complete";
  EXPECT_GT(stats_->refused_on_its_way.load(), 0)
      << "b1 never refused a piece on its way (it sent " << b1.status().total_payload_upload
      << " bytes; a3 received " << a3.status().total_payload_download << ")";
  EXPECT_LE(b1.status().total_payload_upload, int64_t{kPieces} * kPiece * 13 / 10)
      << "pieces crossed into cell A twice";
  EXPECT_EQ(stats_->refused.load(), 0) << "cell A told b1 nothing, so nothing was withheld";
}

// Without the guard, the peer of the other cell is asked for what the cell holds: the case the
// guard is for (and a check that the first test's zero is the guard's doing).
TEST_F(CellTagTest, WithoutTheGuardAPeerOfAnotherCellServesWhatTheCellHolds) {
  lt::torrent_handle a1 = Terminal("cell-a", "a1", true, false, 32 * kPiece);
  lt::torrent_handle b1 = Terminal("cell-b", "b1", true, false);
  lt::torrent_handle a2 = Terminal("cell-a", "a2", false, false);
  ASSERT_TRUE(Know(a2, Port(0)));
  ASSERT_TRUE(Know(a2, Port(1)));
  ASSERT_TRUE(testing::WaitFor([&] { return a2.status().is_seeding; }, std::chrono::seconds(60)));
  // Usually most of the file: a1 is slow. At least an eighth, not half: the test failed once in
  // thirteen runs with half (its output was lost; a2 meeting b1 late is the likely cause).
  // With the guard b1 sends nothing.
  EXPECT_GT(b1.status().total_payload_upload, int64_t{kPieces} * kPiece / 8);
  EXPECT_EQ(stats_->withdrawn.load(), 0);
}

}  // namespace
}  // namespace p2pims::bt
