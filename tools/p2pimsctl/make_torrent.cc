// p2pims-mktorrent: makes a .torrent (hybrid v1+v2 by default, or v1-only; private, BEP 27, as
// "p2pimsctl content add" makes them) for a file or directory with libtorrent, for registering
// test and demo content with p2pimsctl.
//
//   p2pims-mktorrent [--v1-only] [--tracker URL] PATH OUT.torrent
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/file_storage.hpp>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: p2pims-mktorrent [--v1-only] [--tracker URL] PATH OUT.torrent\n"
    "Makes a private (BEP 27) hybrid (v1+v2) .torrent for PATH, or a v1-only one with --v1-only.\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "p2pims-mktorrent: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<std::string> paths;
  lt::create_flags_t flags{};
  std::string tracker;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--v1-only") {
      flags |= lt::create_torrent::v1_only;
    } else if (arg == "--tracker" && i + 1 < argc) {
      tracker = argv[++i];
    } else if (arg.rfind("-", 0) == 0) {
      std::fputs(kUsage, stderr);
      return 2;
    } else {
      paths.push_back(arg);
    }
  }
  if (paths.size() != 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const fs::path source = fs::absolute(paths[0]);
  const std::string out = paths[1];
  try {
    lt::file_storage files;
    lt::add_files(files, source.string());
    if (files.num_files() == 0) return Fail(source.string() + ": no files");
    lt::create_torrent torrent(files, 0, flags);
    torrent.set_priv(true);
    if (!tracker.empty()) torrent.add_tracker(tracker);
    torrent.set_creator("p2pims-mktorrent");
    lt::error_code ec;
    lt::set_piece_hashes(torrent, source.parent_path().string(), ec);
    if (ec) return Fail(source.string() + ": " + ec.message());
    std::string bencoded;
    lt::bencode(std::back_inserter(bencoded), torrent.generate());
    // Written beside the target and renamed, so OUT is either whole or absent.
    const std::string tmp = out + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      f.write(bencoded.data(), static_cast<std::streamsize>(bencoded.size()));
      f.close();
      if (!f) return Fail("cannot write " + tmp);
    }
    fs::rename(tmp, out);
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
  return 0;
}
