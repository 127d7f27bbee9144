#include "tools/p2pimsctl/torrent_maker.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iterator>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/file_storage.hpp>

#include "absl/strings/str_cat.h"

namespace p2pims::ctl {
namespace {

absl::Status CannotRead(int err, const std::string& path) {
  std::string message = absl::StrCat("cannot read ", path, ": ", std::strerror(err));
  if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::FailedPreconditionError(message);
}

}  // namespace

absl::Status CheckHashable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return CannotRead(errno, path);
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot hash ", path, ": not a regular file or a directory"));
  }
  if (::access(path.c_str(), R_OK | (S_ISDIR(st.st_mode) ? X_OK : 0)) != 0) {
    return CannotRead(errno, path);
  }
  return absl::OkStatus();
}

absl::StatusOr<MadeTorrent> MakeTorrent(const std::string& path, const MakeTorrentOptions& options,
                                        const HashProgress& progress) {
  namespace fs = std::filesystem;
  if (absl::Status s = CheckHashable(path); !s.ok()) return s;
  std::error_code fs_error;
  fs::path source = fs::absolute(path, fs_error).lexically_normal();
  if (fs_error) return CannotRead(fs_error.value(), path);
  // "media/" names the directory "media", as "media" does.
  if (!source.has_filename()) source = source.parent_path();

  // libtorrent reports bad input by exceptions here (e.g. a total size of 0) and by error codes
  // while hashing; both become a Status naming the path.
  try {
    lt::file_storage files;
    lt::add_files(files, source.string());
    if (files.num_files() == 0 || files.total_size() == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot hash ", path, ": no data (empty files or directory)"));
    }
    const lt::create_flags_t flags =
        options.v1_only ? lt::create_torrent::v1_only : lt::create_flags_t{};
    lt::create_torrent torrent(files, options.piece_bytes, flags);
    // A managed swarm: peers only from the operator's tracker (BEP 27), in every client.
    torrent.set_priv(true);
    if (!options.creator.empty()) torrent.set_creator(options.creator.c_str());

    MadeTorrent out;
    out.num_pieces = torrent.num_pieces();
    out.piece_length = torrent.piece_length();
    out.hashed_bytes = torrent.files().total_size();
    int64_t pieces_done = 0;
    if (progress) progress(0, out.hashed_bytes);
    lt::error_code ec;
    lt::set_piece_hashes(
        torrent, source.parent_path().string(),
        [&](lt::piece_index_t) {
          ++pieces_done;
          if (progress) {
            progress(std::min(out.hashed_bytes, pieces_done * int64_t{out.piece_length}),
                     out.hashed_bytes);
          }
        },
        ec);
    if (ec) {
      return absl::FailedPreconditionError(absl::StrCat("cannot hash ", path, ": ", ec.message()));
    }
    lt::bencode(std::back_inserter(out.bencoded), torrent.generate());
    absl::StatusOr<TorrentSummary> summary = ParseTorrent(out.bencoded);
    if (!summary.ok()) {
      return absl::InternalError(absl::StrCat("the torrent made for ", path,
                                              " does not read back: ", summary.status().message()));
    }
    out.summary = *std::move(summary);
    return out;
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(absl::StrCat("cannot hash ", path, ": ", e.what()));
  }
}

}  // namespace p2pims::ctl
