// The UDP tracker protocol (BEP 15, with BEP 41 URL data carrying the access token) as pure
// logic: parse one datagram, write one reply, issue and check connection ids. No I/O; the UDP
// server hands in each datagram with its source address and sends what the writers append.
// Announces parse into the same AnnounceRequest as HTTP, so one announce core serves both.
//
//   std::string url_data;  // reused: parsed requests point into it
//   udp::Request r = udp::ParseRequest(packet, from.address, limits, &url_data);
//   if (r.kind == udp::RequestKind::kDrop) return;  // no reply, as BEP 15 implies
//   if (r.kind == udp::RequestKind::kConnect) {
//     udp::AppendConnectResponse(r.transaction_id, ids.Issue(from, now), &reply);
//   } else if (!ids.Valid(r.connection_id, from, now)) {
//     return;  // a forged or stale source: never answer it (no reflection)
//   } else if (r.kind == udp::RequestKind::kError) {
//     udp::AppendErrorResponse(r.transaction_id, r.error, &reply);
//   } else if (r.kind == udp::RequestKind::kAnnounce) {
//     ... admit r.announce.token, then AppendAnnounceResponse(...)
//   }
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/tracker/announce_request.h"
#include "services/tracker/announce_response.h"

namespace p2pims::tracker::udp {

// The connection id a connect request must carry (BEP 15's "magic constant").
inline constexpr uint64_t kProtocolId = 0x41727101980;
// connection id, action, transaction id: what every request starts with.
inline constexpr size_t kHeaderSize = 16;
// A BEP 15 announce without options; BEP 41 options start here.
inline constexpr size_t kAnnounceSize = 98;
// BEP 15: "up to about 74 torrents can be scraped at once". limits.max_scrape_hashes may lower
// it.
inline constexpr size_t kMaxScrapeHashes = 74;

enum class Action : uint32_t { kConnect = 0, kAnnounce = 1, kScrape = 2, kError = 3 };

// The info-hashes of a scrape, as a view into the datagram (no copy, no allocation).
class ScrapeHashes {
 public:
  ScrapeHashes() = default;
  // `bytes` holds 20 bytes per info-hash.
  explicit ScrapeHashes(std::string_view bytes) : bytes_(bytes) {}
  size_t size() const { return bytes_.size() / 20; }
  bool empty() const { return bytes_.empty(); }
  InfoHash operator[](size_t i) const;

 private:
  std::string_view bytes_;
};

enum class RequestKind {
  kDrop,      // send nothing: too short for a transaction id, or a connect without the protocol id
  kError,     // send AppendErrorResponse(transaction_id, error), once the id is valid
  kConnect,   // send AppendConnectResponse
  kAnnounce,  // `announce` is set
  kScrape,    // `scrape` is set; a UDP scrape carries no token (BEP 41 options are announce-only)
};

struct Request {
  RequestKind kind = RequestKind::kDrop;
  // As sent. Every kind but kConnect must pass ConnectionIds::Valid before any reply, kError
  // included: a connection id proves the source address is not spoofed.
  uint64_t connection_id = 0;
  uint32_t transaction_id = 0;
  absl::Status error;  // kError: InvalidArgument, a message fit to send to the client
  AnnounceRequest announce;
  ScrapeHashes scrape;
};

// What every request starts with, read without parsing the rest (the listener's busy path).
struct Header {
  uint64_t connection_id = 0;
  uint32_t action = 0;  // an Action, or anything a client sent
  uint32_t transaction_id = 0;
};
// The header of `packet`; false when it is shorter than kHeaderSize (no one to answer).
bool ParseHeader(std::string_view packet, Header* out);

// Parses one datagram from `remote` (the socket's source address).
//
// Connect: 16 bytes or more, connection id kProtocolId, else dropped.
// Announce: the 98 bytes of BEP 15, then BEP 41 options: EndOfOptions (0) stops, NOP (1) is
//   skipped, URLData (2) chunks are concatenated, any other type is skipped by its length byte
//   (BEP 41 requires every future option to carry one). The URL data must be "/a/<token>",
//   optionally followed by "?query" (ignored); the token passes ValidateToken. Fields map onto
//   AnnounceRequest: counters must not be negative; event 0 none, 1 completed, 2 started,
//   3 stopped; port 1..65535; num_want -1 is limits.default_numwant, larger values are clamped
//   to limits.max_numwant; key becomes has_key with 8 uppercase hex digits. The IP field is
//   ignored: the address is always `remote`, so no one can place another host in a swarm (and
//   aim its peers at it), as with HTTP's `ip=`.
// Scrape: 1..min(kMaxScrapeHashes, limits.max_scrape_hashes) info-hashes of 20 bytes.
// Any other action, or a malformed announce or scrape, is kError.
//
// announce.token points into *url_data, which is cleared and refilled, and scrape into
// `packet`: both must outlive the result and not change meanwhile. Reusing one url_data buffer
// means no allocation once it has grown.
Request ParseRequest(std::string_view packet, const PeerAddress& remote,
                     const RequestLimits& limits, std::string* url_data);

// Writers: each appends one complete reply datagram to *out, in network byte order.

void AppendConnectResponse(uint32_t transaction_id, uint64_t connection_id, std::string* out);

// interval, leechers (incomplete), seeders (complete), then the peers of the requester's family
// (BEP 15: the family of the address the announce came from): 6 bytes each over IPv4, 18 bytes
// over IPv6; peers of the other family are skipped. Counts beyond int32 are clamped.
// reply.min_interval_seconds and reply.tracker_id have no place in BEP 15 and are not sent.
void AppendAnnounceResponse(uint32_t transaction_id, const AnnounceReply& reply,
                            bool requester_ipv6, std::string* out);

// seeders (complete), completed (downloaded), leechers (incomplete) per entry, in the order
// given, which must be the request's: the reply carries no info-hashes.
void AppendScrapeResponse(uint32_t transaction_id, std::span<const ScrapeEntry> entries,
                          std::string* out);

void AppendErrorResponse(uint32_t transaction_id, std::string_view message, std::string* out);
// The same with error.message() (Debian's Abseil has its own string_view type).
void AppendErrorResponse(uint32_t transaction_id, const absl::Status& error, std::string* out);

// Stateless connection ids (BEP 15's defence against spoofed source addresses): a keyed hash
// (SipHash-2-4) of the client's address, port and a 60-second time bucket. An id is valid in
// its bucket and the next, so it lives 60 to 120 s; BEP 15 clients reuse one for up to a
// minute. No per-client state is kept, so a flood of connects costs no memory.
//
// Immutable after construction: thread-safe.
class ConnectionIds {
 public:
  static constexpr size_t kKeySize = 16;
  static constexpr absl::Duration kBucket = absl::Seconds(60);

  // A random key for this process: ids do not survive a restart (clients time out, then
  // reconnect).
  ConnectionIds();
  // A given key: the replicas' shared one, or a test's.
  explicit ConnectionIds(const std::array<uint8_t, kKeySize>& key) : key_(key) {}

  uint64_t Issue(const PeerEndpoint& from, absl::Time now) const;
  // True when `id` was issued to `from` in the current or the previous bucket.
  bool Valid(uint64_t id, const PeerEndpoint& from, absl::Time now) const;

 private:
  uint64_t Hash(const PeerEndpoint& from, int64_t bucket) const;

  std::array<uint8_t, kKeySize> key_;
};

}  // namespace p2pims::tracker::udp
