#include "services/tracker/udp_protocol.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace p2pims::tracker::udp {
namespace {

// Offsets of the BEP 15 announce fields.
constexpr size_t kInfoHashAt = 16;
constexpr size_t kPeerIdAt = 36;
constexpr size_t kDownloadedAt = 56;
constexpr size_t kLeftAt = 64;
constexpr size_t kUploadedAt = 72;
constexpr size_t kEventAt = 80;
constexpr size_t kKeyAt = 88;  // the IP field (84..88) is never read
constexpr size_t kNumWantAt = 92;
constexpr size_t kPortAt = 96;

// BEP 41 option types.
constexpr uint8_t kEndOfOptions = 0;
constexpr uint8_t kNop = 1;
constexpr uint8_t kUrlData = 2;

constexpr std::string_view kNeedsToken =
    "this tracker needs an access token in the announce URL (udp://host:port/s/<key>)";

uint8_t U8(std::string_view p, size_t at) { return static_cast<uint8_t>(p[at]); }

uint64_t U64(std::string_view p, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | U8(p, at + i);
  return v;
}

uint32_t U32(std::string_view p, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | U8(p, at + i);
  return v;
}

void PutU64(uint64_t v, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void PutU32(uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

// BEP 15 counts are int32: anything larger is sent as the largest.
void PutI32Clamped(int64_t v, std::string* out) {
  v = std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                          std::numeric_limits<int32_t>::max());
  PutU32(static_cast<uint32_t>(static_cast<int32_t>(v)), out);
}

Request Error(Request r, std::string_view message) {
  r.kind = RequestKind::kError;
  r.error = absl::InvalidArgumentError(std::string(message));
  return r;
}

// Collects the BEP 41 URLData of the options in `options` into *url_data. Bounded by
// limits.max_request_line, like an HTTP request target.
absl::Status ReadOptions(std::string_view options, const RequestLimits& limits,
                         std::string* url_data) {
  size_t i = 0;
  while (i < options.size()) {
    const uint8_t type = U8(options, i);
    if (type == kEndOfOptions) break;
    if (type == kNop) {
      ++i;
      continue;
    }
    // Every other type has a length byte (BEP 41), so unknown ones are skipped, not refused.
    if (i + 1 >= options.size()) return absl::InvalidArgumentError("truncated announce option");
    const size_t length = U8(options, i + 1);
    if (length > options.size() - i - 2) {
      return absl::InvalidArgumentError("announce option runs past the end of the packet");
    }
    if (type == kUrlData) {
      if (url_data->size() + length > limits.max_request_line) {
        return absl::InvalidArgumentError("announce URL too long");
      }
      url_data->append(options.substr(i + 2, length));
    }
    i += 2 + length;
  }
  return absl::OkStatus();
}

// The token of "/a/<token>", or the session key of "/s/<key>" (a query is ignored).
absl::Status ExtractToken(std::string_view url, const RequestLimits& limits,
                          AnnounceRequest* a) {
  const std::string_view path = url.substr(0, url.find('?'));
  constexpr std::string_view kToken = "/a/", kKey = "/s/";
  a->session_key = path.substr(0, kKey.size()) == kKey;
  if (!a->session_key && path.substr(0, kToken.size()) != kToken) {
    return absl::InvalidArgumentError(std::string(kNeedsToken));
  }
  a->token = path.substr(kToken.size());  // both prefixes are 3 bytes
  return ValidateToken(a->token, limits);
}

Request ParseAnnounce(std::string_view packet, const PeerAddress& remote,
                      const RequestLimits& limits, std::string* url_data, Request r) {
  if (packet.size() < kAnnounceSize) return Error(std::move(r), "announce packet too short");

  // The token first: without one nothing else matters.
  url_data->clear();
  if (absl::Status s = ReadOptions(packet.substr(kAnnounceSize), limits, url_data); !s.ok()) {
    r.kind = RequestKind::kError;
    r.error = std::move(s);
    return r;
  }
  AnnounceRequest& a = r.announce;
  if (absl::Status s = ExtractToken(*url_data, limits, &a); !s.ok()) {
    a.token = {};
    r.kind = RequestKind::kError;
    r.error = std::move(s);
    return r;
  }

  std::memcpy(a.info_hash.data(), packet.data() + kInfoHashAt, a.info_hash.size());
  std::memcpy(a.peer_id.data(), packet.data() + kPeerIdAt, a.peer_id.size());
  a.downloaded = static_cast<int64_t>(U64(packet, kDownloadedAt));
  a.left = static_cast<int64_t>(U64(packet, kLeftAt));
  a.uploaded = static_cast<int64_t>(U64(packet, kUploadedAt));
  // Same messages as HTTP, in the same order.
  if (a.uploaded < 0) return Error(std::move(r), "uploaded must not be negative");
  if (a.downloaded < 0) return Error(std::move(r), "downloaded must not be negative");
  if (a.left < 0) return Error(std::move(r), "left must not be negative");

  switch (U32(packet, kEventAt)) {
    case 0:
      a.event = AnnounceEvent::kNone;
      break;
    case 1:
      a.event = AnnounceEvent::kCompleted;
      break;
    case 2:
      a.event = AnnounceEvent::kStarted;
      break;
    case 3:
      a.event = AnnounceEvent::kStopped;
      break;
    default:
      return Error(std::move(r), "unknown event");
  }

  // The key identifies a client across IP changes; 8 hex digits, the form HTTP clients send.
  static constexpr char kHex[] = "0123456789ABCDEF";
  const uint32_t key = U32(packet, kKeyAt);
  a.has_key = true;
  a.key.resize(8);
  for (int i = 0; i < 8; ++i) a.key[i] = kHex[(key >> (28 - 4 * i)) & 0xf];

  const int32_t want = static_cast<int32_t>(U32(packet, kNumWantAt));
  if (want == -1) {
    a.numwant = limits.default_numwant;
  } else if (want < 0) {
    return Error(std::move(r), "num_want must be -1 (default) or not negative");
  } else {
    a.numwant = std::min(want, limits.max_numwant);
  }

  a.peer.address = remote;
  a.peer.port = static_cast<uint16_t>(U8(packet, kPortAt) << 8 | U8(packet, kPortAt + 1));
  if (a.peer.port == 0) return Error(std::move(r), "port must be 1..65535");
  r.kind = RequestKind::kAnnounce;
  return r;
}

Request ParseScrape(std::string_view packet, const RequestLimits& limits, Request r) {
  const std::string_view hashes = packet.substr(kHeaderSize);
  if (hashes.empty()) return Error(std::move(r), "scrape needs at least one info_hash");
  if (hashes.size() % 20 != 0) {
    return Error(std::move(r), "scrape packet is not a whole number of info_hash values");
  }
  if (hashes.size() / 20 > std::min(kMaxScrapeHashes, limits.max_scrape_hashes)) {
    return Error(std::move(r), "too many info_hash values in scrape");
  }
  r.kind = RequestKind::kScrape;
  r.scrape = ScrapeHashes(hashes);
  return r;
}

// libsodium must be initialised once before use; sodium_init is itself idempotent.
void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
}

}  // namespace

InfoHash ScrapeHashes::operator[](size_t i) const {
  InfoHash h;
  std::memcpy(h.data(), bytes_.data() + 20 * i, h.size());
  return h;
}

bool ParseHeader(std::string_view packet, Header* out) {
  if (packet.size() < kHeaderSize) return false;
  *out = {.connection_id = U64(packet, 0), .action = U32(packet, 8),
          .transaction_id = U32(packet, 12)};
  return true;
}

Request ParseRequest(std::string_view packet, const PeerAddress& remote,
                     const RequestLimits& limits, std::string* url_data) {
  Request r;
  Header h;
  // Too short to hold a transaction id: there is no one to answer.
  if (!ParseHeader(packet, &h)) return r;
  r.connection_id = h.connection_id;
  r.transaction_id = h.transaction_id;
  switch (h.action) {
    case static_cast<uint32_t>(Action::kConnect):
      // Without the protocol id this is not BEP 15 at all (a stray or scanning packet).
      if (r.connection_id == kProtocolId) r.kind = RequestKind::kConnect;
      return r;
    case static_cast<uint32_t>(Action::kAnnounce):
      return ParseAnnounce(packet, remote, limits, url_data, std::move(r));
    case static_cast<uint32_t>(Action::kScrape):
      return ParseScrape(packet, limits, std::move(r));
    default:
      return Error(std::move(r), "unknown action");
  }
}

void AppendConnectResponse(uint32_t transaction_id, uint64_t connection_id, std::string* out) {
  PutU32(static_cast<uint32_t>(Action::kConnect), out);
  PutU32(transaction_id, out);
  PutU64(connection_id, out);
}

void AppendAnnounceResponse(uint32_t transaction_id, const AnnounceReply& reply,
                            bool requester_ipv6, std::string* out) {
  PutU32(static_cast<uint32_t>(Action::kAnnounce), out);
  PutU32(transaction_id, out);
  PutI32Clamped(reply.interval_seconds, out);
  PutI32Clamped(reply.incomplete, out);
  PutI32Clamped(reply.complete, out);
  const size_t address_size = requester_ipv6 ? 16 : 4;
  for (const PeerEndpoint& p : reply.peers) {
    if (p.address.v6 != requester_ipv6) continue;
    out->append(reinterpret_cast<const char*>(p.address.bytes.data()), address_size);
    out->push_back(static_cast<char>(p.port >> 8));
    out->push_back(static_cast<char>(p.port & 0xff));
  }
}

void AppendScrapeResponse(uint32_t transaction_id, std::span<const ScrapeEntry> entries,
                          std::string* out) {
  PutU32(static_cast<uint32_t>(Action::kScrape), out);
  PutU32(transaction_id, out);
  for (const ScrapeEntry& e : entries) {
    PutI32Clamped(e.complete, out);
    PutI32Clamped(e.downloaded, out);
    PutI32Clamped(e.incomplete, out);
  }
}

void AppendErrorResponse(uint32_t transaction_id, std::string_view message, std::string* out) {
  PutU32(static_cast<uint32_t>(Action::kError), out);
  PutU32(transaction_id, out);
  out->append(message);
}

void AppendErrorResponse(uint32_t transaction_id, const absl::Status& error, std::string* out) {
  AppendErrorResponse(transaction_id,
                      std::string_view(error.message().data(), error.message().size()), out);
}

ConnectionIds::ConnectionIds() {
  EnsureSodium();
  randombytes_buf(key_.data(), key_.size());
}

uint64_t ConnectionIds::Hash(const PeerEndpoint& from, int64_t bucket) const {
  static_assert(kKeySize == crypto_shorthash_KEYBYTES);
  // family, 16 address bytes (IPv4 uses 4, the rest zero), port, bucket: a fixed layout, so
  // that no two endpoints or buckets share an encoding.
  uint8_t in[1 + 16 + 2 + 8];
  std::memset(in, 0, sizeof in);
  in[0] = from.address.v6 ? 6 : 4;
  std::memcpy(in + 1, from.address.bytes.data(), from.address.v6 ? 16 : 4);
  in[17] = static_cast<uint8_t>(from.port >> 8);
  in[18] = static_cast<uint8_t>(from.port & 0xff);
  for (int i = 0; i < 8; ++i)
    in[19 + i] = static_cast<uint8_t>(static_cast<uint64_t>(bucket) >> (56 - 8 * i));
  uint8_t hash[crypto_shorthash_BYTES];
  crypto_shorthash(hash, in, sizeof in, key_.data());
  uint64_t id = 0;
  for (uint8_t b : hash) id = (id << 8) | b;
  return id;
}

namespace {

int64_t BucketOf(absl::Time now) {
  const int64_t seconds = absl::ToUnixSeconds(now);  // rounds down
  const int64_t width = absl::ToInt64Seconds(ConnectionIds::kBucket);
  return seconds >= 0 ? seconds / width : -((-seconds + width - 1) / width);
}

}  // namespace

uint64_t ConnectionIds::Issue(const PeerEndpoint& from, absl::Time now) const {
  return Hash(from, BucketOf(now));
}

bool ConnectionIds::Valid(uint64_t id, const PeerEndpoint& from, absl::Time now) const {
  const int64_t bucket = BucketOf(now);
  return id == Hash(from, bucket) || id == Hash(from, bucket - 1);
}

}  // namespace p2pims::tracker::udp
