#include "services/tracker/udp_protocol_testing.h"

#include <algorithm>

namespace p2pims::tracker::udp::testing {
namespace {

// Written independently of udp_protocol.cc on purpose: a shared helper would hide a shared bug.
void Put(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t Get(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}

}  // namespace

std::string EncodeConnect(uint64_t connection_id, uint32_t transaction_id) {
  std::string out;
  Put(connection_id, 8, &out);
  Put(0, 4, &out);
  Put(transaction_id, 4, &out);
  return out;
}

std::string EncodeAnnounce(const AnnouncePacket& p) {
  std::string out;
  Put(p.connection_id, 8, &out);
  Put(1, 4, &out);
  Put(p.transaction_id, 4, &out);
  out.append(p.info_hash.data(), p.info_hash.size());
  out.append(p.peer_id.data(), p.peer_id.size());
  Put(static_cast<uint64_t>(p.downloaded), 8, &out);
  Put(static_cast<uint64_t>(p.left), 8, &out);
  Put(static_cast<uint64_t>(p.uploaded), 8, &out);
  Put(p.event, 4, &out);
  Put(p.ip, 4, &out);
  Put(p.key, 4, &out);
  Put(static_cast<uint32_t>(p.num_want), 4, &out);
  Put(p.port, 2, &out);
  out += p.options;
  return out;
}

std::string UrlData(std::string_view url, size_t chunk) {
  std::string out;
  do {
    const size_t n = std::min(chunk, url.size());
    out.push_back(2);
    out.push_back(static_cast<char>(n));
    out.append(url.substr(0, n));
    url.remove_prefix(n);
  } while (!url.empty());
  return out;
}

std::string EncodeScrape(uint64_t connection_id, uint32_t transaction_id,
                         std::span<const InfoHash> hashes) {
  std::string out;
  Put(connection_id, 8, &out);
  Put(2, 4, &out);
  Put(transaction_id, 4, &out);
  for (const InfoHash& h : hashes) out.append(h.data(), h.size());
  return out;
}

absl::StatusOr<Response> DecodeResponse(std::string_view d, bool ipv6) {
  if (d.size() < 8) return absl::InvalidArgumentError("reply shorter than 8 bytes");
  Response r;
  r.action = static_cast<uint32_t>(Get(d, 0, 4));
  r.transaction_id = static_cast<uint32_t>(Get(d, 4, 4));
  switch (r.action) {
    case 0:
      if (d.size() != 16) return absl::InvalidArgumentError("connect reply is not 16 bytes");
      r.connection_id = Get(d, 8, 8);
      return r;
    case 1: {
      const size_t entry = ipv6 ? 18 : 6;
      if (d.size() < 20 || (d.size() - 20) % entry != 0) {
        return absl::InvalidArgumentError("announce reply size does not fit its peers");
      }
      r.interval = static_cast<int32_t>(Get(d, 8, 4));
      r.leechers = static_cast<int32_t>(Get(d, 12, 4));
      r.seeders = static_cast<int32_t>(Get(d, 16, 4));
      for (size_t at = 20; at < d.size(); at += entry) {
        PeerEndpoint p;
        p.address.v6 = ipv6;
        for (size_t i = 0; i < entry - 2; ++i) p.address.bytes[i] = static_cast<uint8_t>(d[at + i]);
        p.port = static_cast<uint16_t>(Get(d, at + entry - 2, 2));
        r.peers.push_back(p);
      }
      return r;
    }
    case 2:
      if ((d.size() - 8) % 12 != 0) return absl::InvalidArgumentError("scrape reply size");
      for (size_t at = 8; at < d.size(); at += 12) {
        r.scrape.push_back({static_cast<int32_t>(Get(d, at, 4)),
                            static_cast<int32_t>(Get(d, at + 4, 4)),
                            static_cast<int32_t>(Get(d, at + 8, 4))});
      }
      return r;
    case 3:
      r.message = std::string(d.substr(8));
      return r;
    default:
      return absl::InvalidArgumentError("unknown action in reply");
  }
}

}  // namespace p2pims::tracker::udp::testing
