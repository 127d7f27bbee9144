#include "services/tracker/metainfo.h"

#include <gtest/gtest.h>

#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/hasher.hpp>

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

TEST(MetainfoTest, GarbageIsInvalidArgument) {
  EXPECT_EQ(SummariseMetainfo("d4:infoi1ee").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SummariseMetainfo("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace p2pims::tracker
