// Real libtorrent sessions on loopback. A downloader has asked a slow seed for a few pieces (the
// seed sends 1 KB/s, so none arrives during the test), then meets a fast peer that holds those
// pieces and one more. It takes that one, and then is interested, unchoked, and asks for
// nothing, since all else it could ask for is asked of the seed already. The fast peer then gets
// a new piece and announces it. With PromptIdlePeers the downloader asks for it and has it at
// once; without, libtorrent leaves the connection idle until its own retry about 5 s after it
// last asked. Told the terminals' cells, it prompts a cell mate and leaves a peer of another
// cell alone.
#include "lib/bt/prompt_idle.h"

#include <gtest/gtest.h>
#include <libtorrent/peer_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <vector>

#include "lib/bt/cell_tag.h"
#include "lib/bt/testing/loopback_torrent.h"

namespace p2pims::bt {
namespace {

constexpr int kPiece = 16 * 1024;
constexpr int kPieces = 32;
// Longer than a prompt's round trip on loopback, well short of libtorrent's own 5 s retry.
constexpr auto kSoon = std::chrono::seconds(3);

class PromptIdlePeersTest : public ::testing::Test {
 protected:
  // What happened to the new piece the fast peer announced: whether the downloader had it
  // within kSoon.
  // `down`, `fast`: the downloader's and the fast peer's extensions.
  bool NewPieceArrivesSoon(const std::vector<TorrentExtension>& down_extensions,
                           const std::vector<TorrentExtension>& fast_extensions = {}) {
    auto seed_session = testing::LoopbackTorrent::Session(/*upload_limit=*/1000);
    auto fast_session = testing::LoopbackTorrent::Session(0);
    auto down_session = testing::LoopbackTorrent::Session(0);
    torrent_.Add(*seed_session, "seed", /*seed=*/true);
    const lt::torrent_handle fast =
        torrent_.Add(*fast_session, "fast", /*seed=*/false, fast_extensions);
    const lt::torrent_handle down =
        torrent_.Add(*down_session, "down", /*seed=*/false, down_extensions);
    const int seed_port = testing::LoopbackTorrent::Port(*seed_session);
    const int fast_port = testing::LoopbackTorrent::Port(*fast_session);

    // The downloader asks the slow seed for its first pieces.
    down.connect_peer(testing::LoopbackTorrent::Loopback(seed_port));
    std::set<int> asked;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          std::vector<lt::partial_piece_info> queue;
          down.get_download_queue(queue);
          for (const auto& p : queue) asked.insert(static_cast<int>(p.piece_index));
          return !asked.empty();
        },
        std::chrono::seconds(10)))
        << "the downloader asked the seed for nothing";
    // The fast peer holds those pieces and one more, and the downloader meets it. It asks for
    // that one (libtorrent retries an idle connection 5 s after its last request; one that never
    // asked would be retried at its next tick) and then sits idle.
    const int first = Unasked(asked, -1);
    for (int piece : asked) AddPiece(fast, piece);
    AddPiece(fast, first);
    EXPECT_TRUE(testing::WaitFor(
        [&] { return fast.status().num_pieces == static_cast<int>(asked.size()) + 1; },
        std::chrono::seconds(10)));
    down.connect_peer(testing::LoopbackTorrent::Loopback(fast_port));
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          const lt::peer_info* p = PeerAt(down, fast_port);
          return p != nullptr && down.have_piece(lt::piece_index_t(first)) &&
                 (p->flags & lt::peer_info::interesting) &&
                 !(p->flags & lt::peer_info::remote_choked) && p->download_queue_length == 0;
        },
        std::chrono::seconds(10)))
        << "the downloader did not come to sit idle at the fast peer";

    // A piece nobody asked for yet: the fast peer gets it and announces it.
    const int fresh = Unasked(asked, first);
    AddPiece(fast, fresh);
    const bool soon =
        testing::WaitFor([&] { return down.have_piece(lt::piece_index_t(fresh)); }, kSoon);
    EXPECT_EQ(down.status().num_pieces, soon ? 2 : 1) << "the seed sent a whole piece after all";
    return soon;
  }

  static int Unasked(const std::set<int>& asked, int besides) {
    int piece = 0;
    while (asked.count(piece) > 0 || piece == besides) ++piece;
    return piece;
  }

  void AddPiece(const lt::torrent_handle& h, int piece) {
    std::ifstream in(torrent_.dir() / "seed" / "file.bin", std::ios::binary);
    in.seekg(static_cast<std::streamoff>(piece) * kPiece);
    std::vector<char> data(kPiece);
    in.read(data.data(), kPiece);
    h.add_piece(lt::piece_index_t(piece), std::move(data));
  }

  // The downloader's view of the peer listening at `port`; null while not connected.
  const lt::peer_info* PeerAt(const lt::torrent_handle& h, int port) {
    h.get_peer_info(peers_);
    const auto it = std::find_if(peers_.begin(), peers_.end(), [&](const lt::peer_info& p) {
      return p.ip.port() == port && !(p.flags & lt::peer_info::connecting) &&
             !(p.flags & lt::peer_info::handshake);
    });
    return it == peers_.end() ? nullptr : &*it;
  }

  std::shared_ptr<PromptStats> stats_ = std::make_shared<PromptStats>();
  testing::LoopbackTorrent torrent_{"prompt-idle", kPieces, kPiece};
  std::vector<lt::peer_info> peers_;
};

TEST_F(PromptIdlePeersTest, APieceAnIdlePeerAnnouncesIsAskedForAtOnce) {
  EXPECT_TRUE(NewPieceArrivesSoon({PromptIdlePeers(stats_)}));
  EXPECT_GT(stats_->prompts.load(), 0);
}

// The case above without the extension: the control that shows the test can tell.
TEST_F(PromptIdlePeersTest, WithoutItLibtorrentLeavesTheConnectionIdle) {
  EXPECT_FALSE(NewPieceArrivesSoon({}));
}

// With cells: a cell mate is prompted, a peer of another cell is left to libtorrent (the cell
// guard decides what crosses between cells).
TEST_F(PromptIdlePeersTest, ACellMateIsPrompted) {
  EXPECT_TRUE(NewPieceArrivesSoon({PromptIdlePeers(stats_, "cell-a")}, {CellTag("cell-a")}));
  EXPECT_GT(stats_->prompts.load(), 0);
}

TEST_F(PromptIdlePeersTest, APeerOfAnotherCellIsNotPrompted) {
  EXPECT_FALSE(NewPieceArrivesSoon({PromptIdlePeers(stats_, "cell-a")}, {CellTag("cell-b")}));
  EXPECT_EQ(stats_->prompts.load(), 0);
}

}  // namespace
}  // namespace p2pims::bt
