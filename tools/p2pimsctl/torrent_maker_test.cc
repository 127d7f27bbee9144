#include "tools/p2pimsctl/torrent_maker.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/torrent_info.hpp>
#include <vector>

#include "tools/p2pimsctl/temp_dir_test.h"

namespace p2pims::ctl {
namespace {

namespace fs = std::filesystem;

class TorrentMakerTest : public TempDirTest {
 protected:
  fs::path WriteFile(const std::string& name, size_t size) {
    return TempDirTest::WriteFile(name, size, 13, 241);
  }

  // The info-hashes libtorrent gives `source` when used directly, as p2pims-mktorrent does
  // (private, BEP 27).
  static lt::info_hash_t Reference(const fs::path& source, lt::create_flags_t flags) {
    lt::file_storage files;
    lt::add_files(files, source.string());
    lt::create_torrent t(files, 0, flags);
    t.set_priv(true);
    lt::error_code ec;
    lt::set_piece_hashes(t, source.parent_path().string(), ec);
    EXPECT_FALSE(ec) << ec.message();
    std::string bencoded;
    lt::bencode(std::back_inserter(bencoded), t.generate());
    lt::torrent_info info(bencoded, lt::from_span);
    return info.info_hashes();
  }

};

TEST_F(TorrentMakerTest, HybridFileHasLibtorrentsHashesAndReportsProgressToTheEnd) {
  const fs::path file = WriteFile("media/movie.bin", 3 * 1024 * 1024 + 12345);
  std::vector<std::pair<int64_t, int64_t>> calls;
  absl::StatusOr<MadeTorrent> made =
      MakeTorrent(file.string(), {}, [&](int64_t d, int64_t t) { calls.emplace_back(d, t); });
  ASSERT_TRUE(made.ok()) << made.status();
  const lt::info_hash_t want = Reference(file, {});
  EXPECT_EQ(made->summary.info_hash_v1, want.v1.to_string());
  EXPECT_EQ(made->summary.info_hash_v2, want.v2.to_string());
  EXPECT_EQ(made->summary.size_bytes, 3 * 1024 * 1024 + 12345);
  EXPECT_EQ(made->summary.name, "movie.bin");
  EXPECT_TRUE(made->summary.private_swarm) << "peers from the operator's tracker only (BEP 27)";
  EXPECT_EQ(made->hashed_bytes, made->summary.size_bytes);  // one file: no pad files
  EXPECT_GT(made->piece_length, 0);
  ASSERT_EQ(static_cast<int>(calls.size()), made->num_pieces + 1);
  EXPECT_EQ(calls.front(), std::make_pair(int64_t{0}, made->hashed_bytes));
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
  EXPECT_EQ(calls.back(), std::make_pair(made->hashed_bytes, made->hashed_bytes));
  // The metainfo itself reads back with the same hashes.
  absl::StatusOr<TorrentSummary> back = ParseTorrent(made->bencoded);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->info_hash_v2, made->summary.info_hash_v2);
}

TEST_F(TorrentMakerTest, V1OnlyHasNoV2Hash) {
  const fs::path file = WriteFile("news.ts", 70000);
  absl::StatusOr<MadeTorrent> made = MakeTorrent(file.string(), {.v1_only = true}, nullptr);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(made->summary.info_hash_v1,
            Reference(file, lt::create_torrent::v1_only).v1.to_string());
  EXPECT_TRUE(made->summary.info_hash_v2.empty());
}

TEST_F(TorrentMakerTest, PieceSizeIsTheOneAskedFor) {
  const fs::path file = WriteFile("clip.ts", 1 << 20);  // libtorrent's choice: 16 KiB
  absl::StatusOr<MadeTorrent> chosen = MakeTorrent(file.string(), {.v1_only = true}, nullptr);
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  absl::StatusOr<MadeTorrent> asked =
      MakeTorrent(file.string(), {.v1_only = true, .piece_bytes = 64 * 1024}, nullptr);
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_NE(chosen->piece_length, 64 * 1024);  // so that the size asked for is what changed it
  EXPECT_EQ(asked->piece_length, 64 * 1024);
  EXPECT_EQ(asked->num_pieces, 16);
  EXPECT_NE(asked->summary.info_hash_v1, chosen->summary.info_hash_v1);
  // The piece length is in the metainfo, as libtorrent reads it.
  lt::torrent_info info(asked->bencoded, lt::from_span);
  EXPECT_EQ(info.piece_length(), 64 * 1024);
}

TEST_F(TorrentMakerTest, DirectoryIsNamedAfterItAndCountsFilesWithoutPads) {
  WriteFile("season/e1.mkv", 100000);
  WriteFile("season/e2.mkv", 50001);
  const fs::path dir = dir_ / "season";
  for (const std::string& path : {dir.string(), dir.string() + "/"}) {
    absl::StatusOr<MadeTorrent> made = MakeTorrent(path, {}, nullptr);
    ASSERT_TRUE(made.ok()) << path << ": " << made.status();
    EXPECT_EQ(made->summary.name, "season");
    EXPECT_EQ(made->summary.size_bytes, 150001);
    EXPECT_GE(made->hashed_bytes, made->summary.size_bytes);
    EXPECT_EQ(made->summary.info_hash_v1, Reference(dir, {}).v1.to_string());
  }
}

TEST_F(TorrentMakerTest, UnusablePathsAreClearErrors) {
  const std::string missing = (dir_ / "missing.mkv").string();
  absl::Status s = MakeTorrent(missing, {}, nullptr).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "cannot read " + missing + ": No such file or directory");
  EXPECT_EQ(CheckHashable(missing).code(), absl::StatusCode::kNotFound);

  fs::create_directories(dir_ / "empty");
  s = MakeTorrent((dir_ / "empty").string(), {}, nullptr).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("no data"), absl::string_view::npos) << s;

  s = MakeTorrent(WriteFile("zero.bin", 0).string(), {}, nullptr).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;

  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  s = MakeTorrent(fifo, {}, nullptr).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("not a regular file or a directory"), absl::string_view::npos) << s;
}

}  // namespace
}  // namespace p2pims::ctl
