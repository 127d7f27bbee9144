// What "content register --torrent" takes from a .torrent file (BEP 3 / BEP 52 metainfo), read
// with libtorrent-rasterbar.
//
//   absl::StatusOr<TorrentSummary> t = ReadTorrentFile("sintel.torrent");
//   if (t.ok()) content.set_info_hash_v1(t->info_hash_v1);   // 20 raw bytes
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace p2pims::ctl {

struct TorrentSummary {
  // SHA-1 of the info dictionary, 20 raw bytes.
  std::string info_hash_v1;
  // SHA-256 of the info dictionary, 32 raw bytes, for hybrid torrents; empty for v1-only ones.
  std::string info_hash_v2;
  // Sum of the file sizes (pad files excluded).
  int64_t size_bytes = 0;
  // The torrent's name (file or top directory), invalid UTF-8 replaced by U+FFFD.
  std::string name;
  // BEP 27 "private" in the info dictionary: clients take peers from the tracker only (no DHT,
  // peer exchange or local discovery), so the operator's policy decides who meets whom.
  bool private_swarm = false;
};

// Largest .torrent accepted, as libtorrent's default load limit.
inline constexpr int64_t kMaxTorrentFileBytes = 10'000'000;

// Reads and parses a .torrent file. Errors (messages name the path): NotFound / PermissionDenied
// / FailedPrecondition when the file cannot be read, is not a regular file or is larger than
// kMaxTorrentFileBytes; InvalidArgument when it is not valid metainfo or is v2-only (p2pims
// identifies swarms by their v1 info-hash, so a torrent must be v1 or hybrid).
absl::StatusOr<TorrentSummary> ReadTorrentFile(const std::string& path);

// The bytes of a .torrent file, with ReadTorrentFile's errors for a file that cannot be read
// (its content is not checked).
absl::StatusOr<std::string> ReadTorrentBytes(const std::string& path);

// The same for metainfo already in memory; messages do not name a file.
absl::StatusOr<TorrentSummary> ParseTorrent(std::string_view bencoded);

}  // namespace p2pims::ctl
