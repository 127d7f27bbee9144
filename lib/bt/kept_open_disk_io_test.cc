// Real libtorrent sessions on loopback with the kept-open disk back end: a hybrid (v1 + v2)
// torrent of a directory of three files (so pad files and both hash kinds), a seed that checks
// its files on disk first, a leecher that fetches everything, one that resumes from a partial
// copy, and both with room for fewer open files than the torrent has. Every byte must come out
// as the seed has it.
#include "lib/bt/kept_open_disk_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/disk_interface.hpp>
#include <libtorrent/io_context.hpp>
#include <libtorrent/performance_counters.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/storage_defs.hpp>
#include <libtorrent/torrent_flags.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lib/bt/managed_peer.h"

namespace p2pims::bt {
namespace {

namespace fs = std::filesystem;

constexpr int kBlock = 16 * 1024;
constexpr int kPiece = 2 * kBlock;

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
    second_ = Bytes(2 * kPiece + kBlock + 77, 2);
    third_ = Bytes(kBlock / 2, 3);
    std::ofstream(dir_ / "seed" / "album" / "a.bin", std::ios::binary) << first_;
    std::ofstream(dir_ / "seed" / "album" / "b.bin", std::ios::binary) << second_;
    std::ofstream(dir_ / "seed" / "album" / "c.bin", std::ios::binary) << third_;
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
    ASSERT_GT(info_->files().num_files(), 3);  // a.bin, its pad file, b.bin, ...
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `open_files`: libtorrent's file_pool_size, the back end's bound on open files.
  static std::unique_ptr<lt::session> Session(int open_files = 40) {
    lt::settings_pack sp = ManagedPeerSettings({.bind = "127.0.0.1"});
    sp.set_int(lt::settings_pack::file_pool_size, open_files);
    return std::make_unique<lt::session>(ManagedSessionParams(std::move(sp)));
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
  std::string first_, second_, third_;
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
  EXPECT_EQ(Read(dir_ / "leech" / "album" / "c.bin"), third_);
  EXPECT_FALSE(fs::exists(dir_ / "leech" / "album" / ".pad"));  // pad files are never written
  EXPECT_EQ(leecher.status().total_failed_bytes, 0);
}

// The back end alone, driven as libtorrent drives it: every block written, every piece hashed
// (from the writes, or read back for the piece written twice). With room for one open file, at
// most one is open after any write, and the hashes still come out right; with libtorrent's 40,
// all three stay open (so the count below can see them).
TEST_F(KeptOpenDiskIoTest, TheBoundOnOpenFilesHolds) {
  // The torrent's v1 byte image: the files in order, pad files as zeros.
  std::string image;
  const lt::file_storage& layout = info_->files();
  for (lt::file_index_t f : layout.file_range()) {
    const std::string name = layout.file_name(f).to_string();
    image += layout.pad_file_at(f) ? std::string(static_cast<size_t>(layout.file_size(f)), '\0')
             : name == "a.bin"     ? first_
             : name == "b.bin"     ? second_
                                   : third_;
  }
  ASSERT_EQ(static_cast<int64_t>(image.size()), layout.total_size());
  auto open_files = [&](const fs::path& dir) {
    int open = 0;
    for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      if (fs::read_symlink(e.path(), ec).string().find(dir.string()) == 0 && !ec) ++open;
    }
    return open;
  };
  for (int room : {1, 40}) {
    SCOPED_TRACE("room for " + std::to_string(room));
    const fs::path dir = dir_ / ("direct-" + std::to_string(room));
    lt::io_context ioc;
    lt::settings_pack settings;
    settings.set_int(lt::settings_pack::file_pool_size, room);
    lt::counters counters;
    std::unique_ptr<lt::disk_interface> disk = KeptOpenDiskIo(ioc, settings, counters);
    const std::string path = dir.string();
    lt::aux::vector<lt::download_priority_t, lt::file_index_t> priorities;
    lt::storage_params params(layout, nullptr, path, lt::storage_mode_sparse, priorities,
                              info_->info_hashes().v1);
    lt::storage_holder storage = disk->new_torrent(params, nullptr);
    int errors = 0, most_open = 0;
    for (lt::piece_index_t p : layout.piece_range()) {
      std::vector<int> offsets;
      for (int offset = 0; offset < layout.piece_size(p); offset += kBlock)
        offsets.push_back(offset);
      // Odd pieces' blocks last to first, as several peers may deliver them, and piece 0's first
      // block twice, as an end game may: those pieces' hashes must be read back.
      if (static_cast<int>(p) % 2 == 1) std::reverse(offsets.begin(), offsets.end());
      if (p == lt::piece_index_t(0)) offsets.push_back(0);
      for (int offset : offsets) {
        const lt::peer_request r{p, offset, std::min(kBlock, layout.piece_size(p) - offset)};
        disk->async_write(storage, r, image.data() + static_cast<int>(p) * kPiece + offset, nullptr,
                          [&](const lt::storage_error& e) { errors += e.ec ? 1 : 0; });
        most_open = std::max(most_open, open_files(dir));
      }
    }
    int bad_hashes = 0;
    for (lt::piece_index_t p : layout.piece_range()) {
      std::vector<lt::sha256_hash> v2(static_cast<size_t>(layout.blocks_in_piece2(p)));
      disk->async_hash(
          storage, p, v2, lt::disk_interface::v1_hash,
          [&](lt::piece_index_t piece, const lt::sha1_hash& h, const lt::storage_error& e) {
            if (e.ec || h != info_->hash_for_piece(piece)) ++bad_hashes;
          });
    }
    ioc.run();  // the completions
    EXPECT_EQ(errors, 0);
    EXPECT_EQ(bad_hashes, 0);
    EXPECT_EQ(most_open, room == 1 ? 1 : 3);
    EXPECT_EQ(Read(dir / "album" / "c.bin"), third_);
  }
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
  EXPECT_EQ(Read(dir_ / "leech" / "album" / "c.bin"), third_);
}

}  // namespace
}  // namespace p2pims::bt
