// Bencoded replies of the HTTP tracker: announce (BEP 3 with BEP 23 compact `peers` and BEP 7
// `peers6`), scrape (BEP 48) and failure (BEP 3 `failure reason`, BEP 31 `retry in`). Each
// function appends one complete bencoded dictionary to `out`, so a server can reuse one buffer
// per connection.
//
//   std::string body;
//   AppendFailureReply({.reason = "unknown info_hash"}, &body);
//   // body == "d14:failure reason17:unknown info_hashe"
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "services/tracker/announce_request.h"

namespace p2pims::tracker {

struct AnnounceReply {
  int64_t interval_seconds = 1800;
  int64_t min_interval_seconds = 900;
  int64_t complete = 0;         // seeders
  int64_t incomplete = 0;       // leechers
  std::string_view tracker_id;  // omitted when empty
  // IPv4 peers go to `peers` (6 bytes each: address, port, network order), IPv6 peers to
  // `peers6` (18 bytes each). `peers` is always present, as clients expect it; `peers6` only
  // when there is at least one IPv6 peer.
  std::span<const PeerEndpoint> peers;
};

void AppendAnnounceReply(const AnnounceReply& reply, std::string* out);

struct ScrapeEntry {
  InfoHash info_hash{};
  int64_t complete = 0;
  int64_t downloaded = 0;  // completed downloads ever seen
  int64_t incomplete = 0;
};

// `files` keyed by the raw 20-byte info-hash. Entries may come in any order (they are sorted
// here, as bencoded keys must be); for a repeated info-hash the first entry is used.
void AppendScrapeReply(std::span<const ScrapeEntry> entries, std::string* out);

struct FailureReply {
  std::string_view reason;
  // BEP 31: minutes until the client may retry; `retry_never` says it should not.
  std::optional<int64_t> retry_in_minutes;
  bool retry_never = false;
};

void AppendFailureReply(const FailureReply& reply, std::string* out);

}  // namespace p2pims::tracker
