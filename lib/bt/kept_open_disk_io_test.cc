// Real libtorrent sessions on loopback with the kept-open disk back end: a hybrid (v1 + v2)
// torrent of a directory of two files (so pad files and both hash kinds), a seed that checks
// its files on disk first, a leecher that fetches everything, and one that resumes from a
// partial copy. Every byte must come out as the seed has it.
#include "lib/bt/kept_open_disk_io.h"

#include <gtest/gtest.h>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/torrent_flags.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lib/bt/managed_peer.h"

namespace p2pims::bt {
namespace {

namespace fs = std::filesystem;

constexpr int kPiece = 16 * 1024;

std::string Bytes(size_t n, int seed) {
  std::string data(n, '\0');
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>((i * 2654435761u + seed) >> 13);
  return data;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class KeptOpenDiskIoTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("p2pims-kept-open-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "seed" / "album");
    // Sizes that are not multiples of a block: the files' last pieces are short, and the v1
    // layout pads them to whole pieces.
    first_ = Bytes(5 * kPiece + 1234, 1);
    second_ = Bytes(3 * kPiece + 77, 2);
    std::ofstream(dir_ / "seed" / "album" / "a.bin", std::ios::binary) << first_;
    std::ofstream(dir_ / "seed" / "album" / "b.bin", std::ios::binary) << second_;
    lt::file_storage files;
    lt::add_files(files, (dir_ / "seed" / "album").string());
    lt::create_torrent maker(files, kPiece);  // hybrid
    lt::error_code ec;
    lt::set_piece_hashes(maker, (dir_ / "seed").string(), ec);
    ASSERT_FALSE(ec) << ec.message();
    std::vector<char> bencoded;
    lt::bencode(std::back_inserter(bencoded), maker.generate());
    info_ = std::make_shared<lt::torrent_info>(bencoded, lt::from_span);
    ASSERT_TRUE(info_->info_hashes().has_v1() && info_->info_hashes().has_v2());
    ASSERT_GT(info_->files().num_files(), 2);  // a.bin, its pad file, b.bin
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::unique_ptr<lt::session> Session() {
    return std::make_unique<lt::session>(ManagedSessionParams(ManagedPeerSettings({.bind = "127.0.0.1"})));
  }

  lt::torrent_handle Add(lt::session& s, const std::string& dir) {
    lt::add_torrent_params p;
    p.ti = info_;
    p.save_path = (dir_ / dir).string();
    p.flags &= ~(lt::torrent_flags::paused | lt::torrent_flags::auto_managed);
    return s.add_torrent(std::move(p));
  }

  static bool Eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling libtorrent's state
    }
    return true;
  }

  static void Connect(lt::torrent_handle& leecher, const lt::session& seed) {
    ASSERT_TRUE(Eventually([&] { return seed.listen_port() != 0; }));
    leecher.connect_peer({lt::make_address_v4("127.0.0.1"), seed.listen_port()});
  }

  fs::path dir_;
  std::string first_, second_;
  std::shared_ptr<lt::torrent_info> info_;
};

TEST_F(KeptOpenDiskIoTest, ALeecherGetsEveryFileFromASeedThatCheckedItsOwn) {
  auto seed_session = Session();
  lt::torrent_handle seed = Add(*seed_session, "seed");
  // The seed's files are checked piece by piece (both hashes) before it offers anything.
  ASSERT_TRUE(Eventually([&] { return seed.status().is_seeding; })) << "the seed's check failed";

  auto leech_session = Session();
  lt::torrent_handle leecher = Add(*leech_session, "leech");
  Connect(leecher, *seed_session);
  ASSERT_TRUE(Eventually([&] { return leecher.status().is_seeding; }));
  EXPECT_EQ(Read(dir_ / "leech" / "album" / "a.bin"), first_);
  EXPECT_EQ(Read(dir_ / "leech" / "album" / "b.bin"), second_);
  EXPECT_FALSE(fs::exists(dir_ / "leech" / "album" / ".pad"));  // pad files are never written
  EXPECT_EQ(leecher.status().total_failed_bytes, 0);
}

TEST_F(KeptOpenDiskIoTest, APartialCopyIsCheckedAndCompleted) {
  // The first file whole, the second cut short and with a wrong byte in its first piece.
  fs::create_directories(dir_ / "leech" / "album");
  std::ofstream(dir_ / "leech" / "album" / "a.bin", std::ios::binary) << first_;
  std::string cut = second_.substr(0, 2 * kPiece);
  cut[100] = static_cast<char>(cut[100] ^ 0x5a);
  std::ofstream(dir_ / "leech" / "album" / "b.bin", std::ios::binary) << cut;

  auto leech_session = Session();
  lt::torrent_handle leecher = Add(*leech_session, "leech");
  ASSERT_TRUE(Eventually([&] {
    const lt::torrent_status s = leecher.status();
    return s.state == lt::torrent_status::downloading;
  }));
  // What the check kept: all of a.bin and b.bin's second piece, not its damaged first one.
  EXPECT_EQ(leecher.status().total_wanted_done, static_cast<int64_t>(first_.size()) + kPiece);

  auto seed_session = Session();
  lt::torrent_handle seed = Add(*seed_session, "seed");
  ASSERT_TRUE(Eventually([&] { return seed.status().is_seeding; }));
  Connect(leecher, *seed_session);
  ASSERT_TRUE(Eventually([&] { return leecher.status().is_seeding; }));
  EXPECT_EQ(Read(dir_ / "leech" / "album" / "a.bin"), first_);
  EXPECT_EQ(Read(dir_ / "leech" / "album" / "b.bin"), second_);
}

}  // namespace
}  // namespace p2pims::bt
