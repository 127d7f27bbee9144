#include "tools/p2pimsctl/torrent_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/hasher.hpp>

#include "tools/p2pimsctl/temp_dir_test.h"

namespace p2pims::ctl {
namespace {

namespace fs = std::filesystem;

class TorrentFileTest : public TempDirTest {
 protected:
  fs::path WriteFile(const std::string& name, size_t size) {
    return TempDirTest::WriteFile(name, size, 7, 251);
  }

  // Makes a .torrent for `source` (file or directory) with libtorrent's create_torrent, writes
  // it to a file and returns its path; `info` receives the bencoded info dictionary.
  fs::path MakeTorrent(const fs::path& source, lt::create_flags_t flags, std::string* info) {
    lt::file_storage files;
    lt::add_files(files, source.string());
    lt::create_torrent t(files, 16 * 1024, flags);
    lt::error_code ec;
    lt::set_piece_hashes(t, source.parent_path().string(), ec);
    EXPECT_FALSE(ec) << ec.message();
    const lt::entry e = t.generate();
    info->clear();
    lt::bencode(std::back_inserter(*info), e["info"]);
    std::string bencoded;
    lt::bencode(std::back_inserter(bencoded), e);
    const fs::path out = dir_ / (source.filename().string() + ".torrent");
    std::ofstream(out, std::ios::binary) << bencoded;
    return out;
  }

};

TEST_F(TorrentFileTest, V1OnlyTorrentHasTheV1HashSizeAndName) {
  const fs::path file = WriteFile("data/movie.bin", 40000);
  std::string info;
  const fs::path torrent = MakeTorrent(file, lt::create_torrent::v1_only, &info);
  absl::StatusOr<TorrentSummary> t = ReadTorrentFile(torrent.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->info_hash_v1, lt::hasher(info).final().to_string());  // SHA-1 of the info dict
  EXPECT_TRUE(t->info_hash_v2.empty());
  EXPECT_EQ(t->size_bytes, 40000);
  EXPECT_EQ(t->name, "movie.bin");
}

TEST_F(TorrentFileTest, HybridTorrentHasBothHashes) {
  const fs::path file = WriteFile("data/movie.bin", 50000);
  std::string info;
  const fs::path torrent = MakeTorrent(file, {}, &info);
  absl::StatusOr<TorrentSummary> t = ReadTorrentFile(torrent.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->info_hash_v1, lt::hasher(info).final().to_string());
  EXPECT_EQ(t->info_hash_v2, lt::hasher256(info).final().to_string());  // SHA-256, 32 bytes
  EXPECT_EQ(t->info_hash_v2.size(), 32u);
  EXPECT_EQ(t->size_bytes, 50000);
}

TEST_F(TorrentFileTest, MultiFileHybridSizeLeavesOutPadFiles) {
  WriteFile("album/a.bin", 20000);
  WriteFile("album/b.bin", 30001);
  std::string info;
  const fs::path torrent = MakeTorrent(dir_ / "album", {}, &info);
  absl::StatusOr<TorrentSummary> t = ReadTorrentFile(torrent.string());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->size_bytes, 50001);
  EXPECT_EQ(t->name, "album");
  EXPECT_EQ(t->info_hash_v2.size(), 32u);
}

TEST_F(TorrentFileTest, V2OnlyIsRefused) {
  const fs::path file = WriteFile("data/movie.bin", 16384);
  std::string info;
  const fs::path torrent = MakeTorrent(file, lt::create_torrent::v2_only, &info);
  absl::StatusOr<TorrentSummary> t = ReadTorrentFile(torrent.string());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("v2-only"), std::string::npos) << t.status();
}

TEST_F(TorrentFileTest, UnreadableOrGarbageFilesAreClearErrors) {
  const fs::path garbage = dir_ / "garbage.torrent";
  std::ofstream(garbage) << "this is not bencode";
  absl::StatusOr<TorrentSummary> t = ReadTorrentFile(garbage.string());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find(garbage.string()), std::string::npos) << t.status();

  const fs::path empty = dir_ / "empty.torrent";
  std::ofstream{empty};
  EXPECT_EQ(ReadTorrentFile(empty.string()).status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(ReadTorrentFile((dir_ / "missing.torrent").string()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadTorrentFile(dir_.string()).status().code(), absl::StatusCode::kFailedPrecondition);

  const fs::path huge = dir_ / "huge.torrent";
  std::ofstream{huge};
  fs::resize_file(huge, kMaxTorrentFileBytes + 1);  // sparse
  EXPECT_EQ(ReadTorrentFile(huge.string()).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ParseTorrentTest, TruncatedAndWrongShapes) {
  for (const char* bad : {"", "d", "d4:infoi1ee", "le", "d4:infod4:name1:xee"}) {
    EXPECT_EQ(ParseTorrent(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace p2pims::ctl
