// Reads what the index needs from a bencoded .torrent: info-hashes (v1, and v2 truncated to 20
// bytes for hybrid torrents, BEP 52), name and size. Parsing is libtorrent-rasterbar's.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace p2pims::tracker {

struct MetainfoSummary {
  std::string info_hash_v1;            // 20 raw bytes; empty for a v2-only torrent
  std::string info_hash_v2_truncated;  // 20 raw bytes; empty for a v1-only torrent
  std::string name;
  int64_t size_bytes = 0;
};

// InvalidArgument with libtorrent's reason when `bencoded` is not a valid torrent.
absl::StatusOr<MetainfoSummary> SummariseMetainfo(const std::string& bencoded);

}  // namespace p2pims::tracker
