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
  // The content's size: hybrid torrents of several files hold pad files (BEP 47) that align
  // files to pieces, which total_size() counts and rights (and the subscriber) do not.
  const lt::file_storage& files = info.files();
  s.size_bytes = 0;
  for (const lt::file_index_t f : files.file_range()) {
    if (!(files.file_flags(f) & lt::file_storage::flag_pad_file)) s.size_bytes += files.file_size(f);
  }
  return s;
}

}  // namespace p2pims::tracker
