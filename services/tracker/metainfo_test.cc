#include "services/tracker/metainfo.h"

#include <gtest/gtest.h>

#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/torrent_info.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace p2pims::tracker {
namespace {

// Builds a real torrent for a file of `size` bytes with libtorrent itself.
std::string MakeTorrent(int64_t size, lt::create_flags_t flags) {
  lt::file_storage fs;
  fs.add_file("demo.bin", size);
  lt::create_torrent t(fs, 16 * 1024, flags);
  std::vector<char> piece(16 * 1024, 'x');
  for (lt::piece_index_t i(0); i < fs.end_piece(); ++i) {
    const int len = fs.piece_size(i);
    if (!(flags & lt::create_torrent::v1_only)) {
      // With 16 KiB pieces a piece is one merkle leaf, so its hash is the block's SHA-256.
      t.set_hash2(lt::file_index_t(0), lt::piece_index_t::diff_type(static_cast<int>(i)),
                  lt::hasher256(piece.data(), len).final());
    }
    if (!(flags & lt::create_torrent::v2_only)) {
      t.set_hash(i, lt::hasher(piece.data(), len).final());
    }
  }
  std::string out;
  lt::bencode(std::back_inserter(out), t.generate());
  return out;
}

TEST(MetainfoTest, V1TorrentHasOnlyTheV1Hash) {
  auto s = SummariseMetainfo(MakeTorrent(40000, lt::create_torrent::v1_only));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->info_hash_v1.size(), 20u);
  EXPECT_TRUE(s->info_hash_v2_truncated.empty());
  EXPECT_EQ(s->name, "demo.bin");
  EXPECT_EQ(s->size_bytes, 40000);
}

TEST(MetainfoTest, HybridTorrentHasBothHashes) {
  auto s = SummariseMetainfo(MakeTorrent(16 * 1024, {}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->info_hash_v1.size(), 20u);
  EXPECT_EQ(s->info_hash_v2_truncated.size(), 20u);
  EXPECT_NE(s->info_hash_v1, s->info_hash_v2_truncated);
}

TEST(MetainfoTest, PadFilesOfAHybridTorrentAreNotContent) {
  // Two real files hashed by libtorrent: the hybrid layout pads the first to a piece boundary.
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("metainfo-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "show");
  std::ofstream(dir / "show" / "a.bin") << std::string(20000, 'a');
  std::ofstream(dir / "show" / "b.txt") << "subtitle";
  lt::file_storage fs;
  lt::add_files(fs, (dir / "show").string());
  lt::create_torrent t(fs, 16 * 1024);
  lt::set_piece_hashes(t, dir.string());
  std::string bencoded;
  lt::bencode(std::back_inserter(bencoded), t.generate());
  std::filesystem::remove_all(dir);

  auto s = SummariseMetainfo(bencoded);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->size_bytes, 20008);
  lt::error_code ec;
  lt::torrent_info info(bencoded, ec, lt::from_span);
  ASSERT_FALSE(ec);
  EXPECT_GT(info.total_size(), 20008) << "the layout holds pad files (else this test shows nothing)";
}

TEST(MetainfoTest, GarbageIsInvalidArgument) {
  EXPECT_EQ(SummariseMetainfo("d4:infoi1ee").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SummariseMetainfo("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace p2pims::tracker
