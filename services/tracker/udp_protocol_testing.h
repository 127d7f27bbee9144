// The client's side of BEP 15, for tests and fuzz targets only: builds request datagrams and
// decodes reply datagrams, so that the tracker's parser and writers can be checked against an
// independent encoding.
//
//   std::string p = udp::testing::EncodeAnnounce({.options = udp::testing::UrlData("/a/tok")});
//   udp::Request r = udp::ParseRequest(p, remote, limits, &url_data);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "services/tracker/announce_request.h"

namespace p2pims::tracker::udp::testing {

std::string EncodeConnect(uint64_t connection_id, uint32_t transaction_id);

struct AnnouncePacket {
  uint64_t connection_id = 0x1122334455667788;
  uint32_t transaction_id = 0xdeadbeef;
  InfoHash info_hash{};
  PeerId peer_id{};
  int64_t downloaded = 0;
  int64_t left = 0;
  int64_t uploaded = 0;
  uint32_t event = 0;
  uint32_t ip = 0;
  uint32_t key = 0;
  int32_t num_want = -1;
  uint16_t port = 6881;
  std::string options;  // raw BEP 41 options, appended after the 98 bytes
};

std::string EncodeAnnounce(const AnnouncePacket& p);

// `url` as URLData options of at most `chunk` (1..255) bytes each.
std::string UrlData(std::string_view url, size_t chunk = 255);

std::string EncodeScrape(uint64_t connection_id, uint32_t transaction_id,
                         std::span<const InfoHash> hashes);

struct ScrapeCounts {
  int32_t seeders = 0;
  int32_t completed = 0;
  int32_t leechers = 0;
};

// A reply datagram, decoded as a client would.
struct Response {
  uint32_t action = 0;
  uint32_t transaction_id = 0;
  uint64_t connection_id = 0;  // connect
  int32_t interval = 0;        // announce
  int32_t leechers = 0;
  int32_t seeders = 0;
  std::vector<PeerEndpoint> peers;
  std::vector<ScrapeCounts> scrape;  // scrape
  std::string message;               // error
};

// `ipv6`: the family the request was sent over, which fixes the peer entry size. InvalidArgument
// for an unknown action or a size that does not fit it.
absl::StatusOr<Response> DecodeResponse(std::string_view datagram, bool ipv6);

}  // namespace p2pims::tracker::udp::testing
