// Makes the metainfo (.torrent) of a file or directory with libtorrent-rasterbar, as
// p2pims-mktorrent does: hybrid v1+v2 by default, v1-only on request, libtorrent's automatic
// piece size, marked private (BEP 27: peers come from the operator's tracker only, not from DHT
// or peer exchange, in any client). Used by "content add".
//
//   absl::StatusOr<MadeTorrent> t = MakeTorrent("media/sintel.mkv", {}, [](int64_t d, int64_t t) {
//     ... progress: d of t bytes hashed ...
//   });
//   if (t.ok()) IndexContent(t->bencoded);
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "tools/p2pimsctl/torrent_file.h"

namespace p2pims::ctl {

struct MakeTorrentOptions {
  // BEP 3 only; otherwise a hybrid torrent (BEP 52 with the v1 info as well).
  bool v1_only = false;
  // Piece size in bytes: a power of two of at least 16 KiB; 0: libtorrent's choice for the size
  // (about 256 to 2,000 pieces; 64 KiB for 16 MiB). Smaller pieces spread through a swarm in
  // smaller steps (docs/results.md), at the cost of a longer piece list and more HAVE messages.
  int piece_bytes = 0;
  // Written as "created by" (outside the info dictionary: no effect on the info-hashes).
  std::string creator = "p2pimsctl";
};

struct MadeTorrent {
  // The bencoded metainfo.
  std::string bencoded;
  // What ReadTorrentFile would read from it (info-hashes, size without pad files, name).
  TorrentSummary summary;
  int num_pieces = 0;
  int piece_length = 0;
  // Bytes hashed, pad files (aligning files to pieces in hybrid torrents) included.
  int64_t hashed_bytes = 0;
};

// Called with 0 before hashing starts, then after each piece, with the bytes hashed so far and the
// bytes to hash in all.
using HashProgress = std::function<void(int64_t done, int64_t total)>;

// Whether `path` can be hashed, without reading it: it exists and is a readable regular file or
// directory. The errors of MakeTorrent for such paths.
absl::Status CheckHashable(const std::string& path);

// Hashes `path` (a file, or a directory and everything under it) into metainfo whose name is the
// last component of `path`. Errors name the path: NotFound / PermissionDenied / FailedPrecondition
// when it cannot be read or is neither a regular file nor a directory, FailedPrecondition when
// there is nothing to hash (an empty directory, only empty files) or reading fails while hashing.
absl::StatusOr<MadeTorrent> MakeTorrent(const std::string& path, const MakeTorrentOptions& options,
                                        const HashProgress& progress);

}  // namespace p2pims::ctl
