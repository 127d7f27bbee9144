#include "services/tracker/metainfo.h"

#include <libtorrent/error_code.hpp>
#include <libtorrent/torrent_info.hpp>

#include "absl/strings/str_cat.h"

namespace p2pims::tracker {

absl::StatusOr<MetainfoSummary> SummariseMetainfo(const std::string& bencoded) {
  lt::error_code ec;
  lt::torrent_info info(lt::span<const char>(bencoded.data(), static_cast<long>(bencoded.size())),
                        ec, lt::from_span);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("invalid metainfo: ", ec.message()));
  MetainfoSummary s;
  const lt::info_hash_t hashes = info.info_hashes();
  if (hashes.has_v1()) s.info_hash_v1.assign(hashes.v1.data(), 20);
  if (hashes.has_v2()) s.info_hash_v2_truncated.assign(hashes.v2.data(), 20);
  s.name = info.name();
  s.size_bytes = info.total_size();
  return s;
}

}  // namespace p2pims::tracker
