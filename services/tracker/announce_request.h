// Parsing of HTTP tracker requests: `GET /a/<token>/announce?...` (BEP 3, 7, 23) and
// `GET /a/<token>/scrape?...` (BEP 48). Pure logic, no I/O: the HTTP server hands in the request
// line and the socket's peer address, and sends a bencoded failure reply built from the error
// message when parsing fails (every message here is written to be a `failure reason`).
//
//   P2PIMS_ASSIGN_OR_RETURN(RequestLine line, ParseRequestLine(first_line, limits));
//   P2PIMS_ASSIGN_OR_RETURN(TrackerTarget target, ParseTarget(line.target, limits));
//   if (target.endpoint == TrackerEndpoint::kAnnounce) {
//     P2PIMS_ASSIGN_OR_RETURN(AnnounceRequest a,
//                             ParseAnnounceQuery(target.token, target.query, remote, limits));
//     ...
//   }
//
// Results keep std::string_views into the parsed text: it must outlive them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace p2pims::tracker {

using InfoHash = std::array<char, 20>;  // raw bytes (v1 SHA-1, or v2 truncated, BEP 52)
using PeerId = std::array<char, 20>;

inline std::string_view AsView(const std::array<char, 20>& id) { return {id.data(), id.size()}; }

// An IP address as the socket reports it. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a
// dual-stack socket reports for IPv4 peers) are stored as IPv4 so that they land in `peers`.
struct PeerAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  static PeerAddress V4(const std::array<uint8_t, 4>& a);
  static PeerAddress V6(const std::array<uint8_t, 16>& a);
  friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

struct PeerEndpoint {
  PeerAddress address;
  uint16_t port = 0;
  friend bool operator==(const PeerEndpoint&, const PeerEndpoint&) = default;
};

struct RequestLimits {
  size_t max_request_line = 4096;  // bytes of "GET <target> HTTP/1.x"
  size_t max_token = 1024;         // token path segment; signed claims fit well within
  size_t max_key = 64;             // decoded `key`; at most 256 takes effect
  size_t max_tracker_id = 64;      // decoded `trackerid`; at most 256 takes effect
  size_t max_ipv6_hint = 128;      // raw `ipv6` value (informational only)
  int default_numwant = 50;
  int max_numwant = 200;
  size_t max_scrape_hashes = 64;
};

struct RequestLine {
  std::string_view target;  // "/a/<token>/announce?..."
  int http_minor = 1;       // HTTP/1.0 or HTTP/1.1
};

// `line` is the first line of the request without its CRLF. InvalidArgument when it is longer
// than limits.max_request_line, not "GET <target> HTTP/1.0|1.1", or holds control bytes.
absl::StatusOr<RequestLine> ParseRequestLine(std::string_view line, const RequestLimits& limits);

enum class TrackerEndpoint { kAnnounce, kScrape };

struct TrackerTarget {
  TrackerEndpoint endpoint = TrackerEndpoint::kAnnounce;
  std::string_view token;  // URL-safe base64 and '.', as issued by rights
  std::string_view query;  // after '?', still percent-encoded; empty when there is none
};

// Checks an access token as the URL carries it, for HTTP and UDP (BEP 41) alike: non-empty, at
// most limits.max_token bytes, only [A-Za-z0-9_-.] (URL-safe base64 and '.'). InvalidArgument
// ("missing token", "token too long", "malformed token") otherwise. The signature is checked
// later, by whoever admits the token.
absl::Status ValidateToken(std::string_view token, const RequestLimits& limits);

// Splits "/a/<token>/announce?query" or ".../scrape?query". InvalidArgument for any other path,
// a token that ValidateToken refuses, or a fragment.
absl::StatusOr<TrackerTarget> ParseTarget(std::string_view target, const RequestLimits& limits);

enum class AnnounceEvent { kNone, kStarted, kCompleted, kStopped, kPaused };

struct AnnounceRequest {
  std::string_view token;
  InfoHash info_hash{};
  PeerId peer_id{};
  // Address from the socket (never from `ip=`: a peer may not place others in a swarm), port
  // from the query.
  PeerEndpoint peer;
  int64_t uploaded = 0;
  int64_t downloaded = 0;
  int64_t left = 0;
  AnnounceEvent event = AnnounceEvent::kNone;
  int numwant = 0;      // limits.default_numwant when absent; clamped to max_numwant
  bool compact = true;  // what the client asked for; replies are compact regardless
  bool has_key = false;
  std::string key;  // decoded, at most limits.max_key bytes
  bool has_tracker_id = false;
  std::string tracker_id;      // decoded, at most limits.max_tracker_id bytes
  std::string_view ipv6_hint;  // BEP 7 `ipv6=`, raw and unused except for logging
};

// Parses an announce query (BEP 3 keys; unknown keys are ignored as BEP 3 clients add their
// own). Every key and value must be well-formed percent-encoding. Required: info_hash and
// peer_id (20 bytes each), port (1..65535), uploaded, downloaded, left (decimal, 0..2^63-1).
// Optional: event (started, completed, stopped, paused (BEP 21, libtorrent sends it), or
// empty), numwant (non-negative; above the maximum it is clamped, as clients ask for more
// than any tracker gives), compact (0 or 1), key, trackerid, ipv6. A known key given twice is
// refused. InvalidArgument, with a message fit for a `failure reason`, on any violation.
absl::StatusOr<AnnounceRequest> ParseAnnounceQuery(std::string_view token, std::string_view query,
                                                   const PeerAddress& remote,
                                                   const RequestLimits& limits);

struct ScrapeRequest {
  std::string_view token;
  std::vector<InfoHash> info_hashes;  // in request order, duplicates kept (the reply merges)
};

// Parses a scrape query: one or more `info_hash` (BEP 48), each 20 bytes, at most
// limits.max_scrape_hashes. A scrape of every swarm (no info_hash) is refused: the index is
// not public. Other keys are ignored after their encoding is checked.
absl::StatusOr<ScrapeRequest> ParseScrapeQuery(std::string_view token, std::string_view query,
                                               const RequestLimits& limits);

}  // namespace p2pims::tracker
