// Fuzz target for udp::ParseRequest (udp_protocol.h), over IPv4 and IPv6 sources, with the
// default limits and tight ones. The url_data buffer is reused across inputs, as a server does.
// Invariants: drops only what BEP 15 leaves unanswerable; errors are InvalidArgument with a
// message that the error reply carries; announces and scrapes stay within the limits and
// re-encode (with the independent client-side encoder) to a packet that parses to the same
// request; the replies written for them decode to what was put in; a connection id issued to
// the source is valid for it.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/fuzzing/fuzz_check.h"
#include "services/tracker/udp_protocol.h"
#include "services/tracker/udp_protocol_testing.h"

namespace p2pims::tracker::udp {
namespace {

uint32_t KeyOf(const std::string& hex) {
  FUZZ_CHECK(hex.size() == 8);
  uint32_t key = 0;
  for (char c : hex) {
    FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
    key = key << 4 | static_cast<uint32_t>(c <= '9' ? c - '0' : c - 'A' + 10);
  }
  return key;
}

int32_t EventOf(AnnounceEvent e) {
  switch (e) {
    case AnnounceEvent::kNone:
      return 0;
    case AnnounceEvent::kCompleted:
      return 1;
    case AnnounceEvent::kStarted:
      return 2;
    case AnnounceEvent::kStopped:
      return 3;
    case AnnounceEvent::kPaused:
      break;
  }
  FUZZ_CHECK(!"UDP has no paused event");
  return -1;
}

void CheckAnnounce(const Request& r, std::string_view packet, const PeerAddress& remote,
                   const RequestLimits& limits, const std::string& url_data) {
  const AnnounceRequest& a = r.announce;
  FUZZ_CHECK(packet.size() >= kAnnounceSize);
  FUZZ_CHECK(a.token.data() >= url_data.data() &&
             a.token.data() + a.token.size() <= url_data.data() + url_data.size());
  FUZZ_CHECK(ValidateToken(a.token, limits).ok());
  FUZZ_CHECK(a.peer.address == remote && a.peer.port != 0);
  FUZZ_CHECK(a.uploaded >= 0 && a.downloaded >= 0 && a.left >= 0);
  FUZZ_CHECK(a.numwant >= 0 && a.numwant <= std::max(limits.max_numwant, limits.default_numwant));

  // Re-encoded by the client-side encoder, with the token in 7-byte chunks, it parses the same.
  testing::AnnouncePacket p;
  p.connection_id = r.connection_id;
  p.transaction_id = r.transaction_id;
  p.info_hash = a.info_hash;
  p.peer_id = a.peer_id;
  p.downloaded = a.downloaded;
  p.left = a.left;
  p.uploaded = a.uploaded;
  p.event = static_cast<uint32_t>(EventOf(a.event));
  p.key = KeyOf(a.key);
  p.num_want = a.numwant;
  p.port = a.peer.port;
  p.options = testing::UrlData("/a/" + std::string(a.token), 7);
  std::string scratch;
  const Request again = ParseRequest(testing::EncodeAnnounce(p), remote, limits, &scratch);
  FUZZ_CHECK(again.kind == RequestKind::kAnnounce);
  FUZZ_CHECK(again.connection_id == r.connection_id);
  FUZZ_CHECK(again.transaction_id == r.transaction_id);
  const AnnounceRequest& b = again.announce;
  FUZZ_CHECK(b.token == a.token && b.info_hash == a.info_hash && b.peer_id == a.peer_id);
  FUZZ_CHECK(b.downloaded == a.downloaded && b.left == a.left && b.uploaded == a.uploaded);
  FUZZ_CHECK(b.event == a.event && b.key == a.key && b.peer == a.peer);
  FUZZ_CHECK(b.numwant == std::min(a.numwant, limits.max_numwant));

  // The reply, with the announcer and one peer of the other family among the peers.
  PeerEndpoint other;
  other.address = remote.v6 ? PeerAddress::V4({198, 51, 100, 1}) : PeerAddress::V6({0x20, 1});
  other.port = 1;
  const PeerEndpoint peers[] = {a.peer, other};
  AnnounceReply reply;
  reply.complete = a.left;  // anything, clamped
  reply.incomplete = a.uploaded;
  reply.peers = peers;
  std::string out;
  AppendAnnounceResponse(r.transaction_id, reply, remote.v6, &out);
  absl::StatusOr<testing::Response> d = testing::DecodeResponse(out, remote.v6);
  FUZZ_CHECK(d.ok());
  FUZZ_CHECK(d->action == 1 && d->transaction_id == r.transaction_id);
  FUZZ_CHECK(d->seeders >= 0 && d->leechers >= 0);
  FUZZ_CHECK(d->peers.size() == 1 && d->peers[0] == a.peer);
}

void CheckScrape(const Request& r, const RequestLimits& limits) {
  FUZZ_CHECK(!r.scrape.empty());
  FUZZ_CHECK(r.scrape.size() <= kMaxScrapeHashes && r.scrape.size() <= limits.max_scrape_hashes);
  std::vector<InfoHash> hashes;
  std::vector<ScrapeEntry> entries;
  for (size_t i = 0; i < r.scrape.size(); ++i) {
    hashes.push_back(r.scrape[i]);
    entries.push_back({.info_hash = r.scrape[i], .complete = static_cast<int64_t>(i)});
  }
  std::string scratch;
  // Named: the parsed hashes are a view into the packet.
  const std::string packet = testing::EncodeScrape(r.connection_id, r.transaction_id, hashes);
  const Request again = ParseRequest(packet, {}, limits, &scratch);
  FUZZ_CHECK(again.kind == RequestKind::kScrape && again.scrape.size() == hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) FUZZ_CHECK(again.scrape[i] == hashes[i]);

  std::string out;
  AppendScrapeResponse(r.transaction_id, entries, &out);
  absl::StatusOr<testing::Response> d = testing::DecodeResponse(out, false);
  FUZZ_CHECK(d.ok() && d->action == 2 && d->scrape.size() == entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    FUZZ_CHECK(d->scrape[i].seeders == static_cast<int32_t>(i));
  }
}

void CheckOne(std::string_view packet, const PeerAddress& remote, const RequestLimits& limits,
              std::string* url_data) {
  const Request r = ParseRequest(packet, remote, limits, url_data);
  if (packet.size() < kHeaderSize) FUZZ_CHECK(r.kind == RequestKind::kDrop);
  switch (r.kind) {
    case RequestKind::kDrop:
      // Only the unanswerable: too short, or a connect without the protocol id.
      FUZZ_CHECK(packet.size() < kHeaderSize ||
                 (packet.substr(8, 4) == std::string_view("\0\0\0\0", 4) &&
                  r.connection_id != kProtocolId));
      return;
    case RequestKind::kConnect: {
      FUZZ_CHECK(r.connection_id == kProtocolId);
      const ConnectionIds ids(std::array<uint8_t, ConnectionIds::kKeySize>{7});
      const PeerEndpoint from{remote, 4242};
      const absl::Time now = absl::FromUnixSeconds(static_cast<int64_t>(r.transaction_id));
      const uint64_t id = ids.Issue(from, now);
      FUZZ_CHECK(ids.Valid(id, from, now) && ids.Valid(id, from, now + absl::Seconds(60)));
      FUZZ_CHECK(!ids.Valid(id, from, now + absl::Seconds(120)));
      std::string out;
      AppendConnectResponse(r.transaction_id, id, &out);
      absl::StatusOr<testing::Response> d = testing::DecodeResponse(out, remote.v6);
      FUZZ_CHECK(d.ok() && d->action == 0 && d->connection_id == id &&
                 d->transaction_id == r.transaction_id);
      return;
    }
    case RequestKind::kError: {
      FUZZ_CHECK(r.error.code() == absl::StatusCode::kInvalidArgument);
      FUZZ_CHECK(!r.error.message().empty());
      std::string out;
      AppendErrorResponse(r.transaction_id, r.error, &out);
      absl::StatusOr<testing::Response> d = testing::DecodeResponse(out, remote.v6);
      FUZZ_CHECK(d.ok() && d->action == 3 && d->transaction_id == r.transaction_id);
      FUZZ_CHECK(d->message == std::string_view(r.error.message().data(), r.error.message().size()));
      return;
    }
    case RequestKind::kAnnounce:
      return CheckAnnounce(r, packet, remote, limits, *url_data);
    case RequestKind::kScrape:
      return CheckScrape(r, limits);
  }
}

}  // namespace
}  // namespace p2pims::tracker::udp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p2pims::tracker;
  static std::string url_data;  // reused, as a server reuses it
  const std::string_view packet(reinterpret_cast<const char*>(data), size);
  const PeerAddress v4 = PeerAddress::V4({192, 0, 2, 1});
  const PeerAddress v6 = PeerAddress::V6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
  RequestLimits tight;
  tight.max_request_line = 40;
  tight.max_token = 6;
  tight.default_numwant = 5;
  tight.max_numwant = 3;  // below the default: the default is not clamped
  tight.max_scrape_hashes = 2;
  udp::CheckOne(packet, v4, RequestLimits{}, &url_data);
  udp::CheckOne(packet, v6, tight, &url_data);
  return 0;
}
