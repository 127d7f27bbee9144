// How p2pimsctl prints the tracker's content index and swarm statistics: "key: value" blocks and
// tables for people, JSON with --json (info-hashes in lower-case hex, "" when absent; sizes and
// counters as numbers).
//
//   in.out += json ? IndexedContentJson(c) + "\n" : IndexedContentDetails(c);
#pragma once

#include <string>
#include <vector>

#include "p2pims/tracker/v1/tracker.pb.h"

namespace p2pims::ctl {

namespace tv1 = ::p2pims::tracker::v1;

// Fields: content_id, name, size_bytes, info_hash (v1), info_hash_v2_truncated, metainfo_bytes
// (0 when the index holds no metainfo, or for list items, which never carry it); and `result`
// ("indexed", "already_indexed") when not empty.
std::string IndexedContentJson(const tv1::IndexedContent& c, const std::string& result = "");
std::string IndexedContentDetails(const tv1::IndexedContent& c, const std::string& result = "");
std::string IndexedContentTable(const std::vector<tv1::IndexedContent>& items);

// Fields: content_id (as asked; "" when asked by info-hash), info_hash, seeders, leechers,
// completed, open_sessions, bytes_down, bytes_up.
std::string SwarmStatsJson(const std::string& content_id, const tv1::SwarmStatsResponse& s);
std::string SwarmStatsDetails(const std::string& content_id, const tv1::SwarmStatsResponse& s);

}  // namespace p2pims::ctl
