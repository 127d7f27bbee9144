#include "services/tracker/udp_protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "lib/status/status_testing.h"
#include "services/tracker/udp_protocol_testing.h"

namespace p2pims::tracker::udp {
namespace {

using testing::AnnouncePacket;
using testing::DecodeResponse;
using testing::EncodeAnnounce;
using testing::EncodeConnect;
using testing::EncodeScrape;
using testing::UrlData;

const PeerAddress kRemote4 = PeerAddress::V4({10, 1, 2, 3});
const PeerAddress kRemote6 =
    PeerAddress::V6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
const std::string kToken = "eyJhbGciOi.JFZERTQSJ9-_x";

InfoHash Hash(char fill) {
  InfoHash h;
  h.fill(fill);
  return h;
}

AnnouncePacket ValidAnnounce() {
  AnnouncePacket p;
  p.info_hash = Hash('\x01');
  p.info_hash[19] = '\xff';
  p.peer_id = Hash('p');
  p.downloaded = 1000;
  p.left = 5'000'000'000;  // beyond 32 bits
  p.uploaded = 42;
  p.event = 2;
  p.key = 0x0badcafe;
  p.num_want = 30;
  p.port = 51413;
  p.options = UrlData("/a/" + kToken);
  return p;
}

class UdpParse : public ::testing::Test {
 protected:
  Request Parse(std::string_view packet, const PeerAddress& remote = kRemote4) {
    return ParseRequest(packet, remote, limits_, &url_data_);
  }
  // The error message of a packet that must be answered with an error.
  std::string ErrorOf(std::string_view packet) {
    Request r = Parse(packet);
    EXPECT_EQ(r.kind, RequestKind::kError);
    EXPECT_EQ(r.error.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(r.error.message().empty());
    return std::string(r.error.message());
  }
  std::string AnnounceErrorOf(const AnnouncePacket& p) { return ErrorOf(EncodeAnnounce(p)); }

  RequestLimits limits_;
  std::string url_data_;
};

// ---- framing: drop versus error ----

TEST_F(UdpParse, DropsPacketsTooShortForATransactionId) {
  const std::string connect = EncodeConnect(kProtocolId, 7);
  const std::string announce = EncodeAnnounce(ValidAnnounce());
  for (size_t n = 0; n < kHeaderSize; ++n) {
    EXPECT_EQ(Parse(connect.substr(0, n)).kind, RequestKind::kDrop) << n;
    EXPECT_EQ(Parse(announce.substr(0, n)).kind, RequestKind::kDrop) << n;
  }
}

TEST_F(UdpParse, TheHeaderAloneGivesConnectionActionAndTransaction) {
  Header h;
  EXPECT_FALSE(ParseHeader(EncodeConnect(kProtocolId, 7).substr(0, kHeaderSize - 1), &h));
  AnnouncePacket a = ValidAnnounce();
  a.connection_id = 0x0102030405060708;
  a.transaction_id = 0xa0b0c0d0;
  ASSERT_TRUE(ParseHeader(EncodeAnnounce(a), &h));
  EXPECT_EQ(h.connection_id, 0x0102030405060708u);
  EXPECT_EQ(h.action, static_cast<uint32_t>(Action::kAnnounce));
  EXPECT_EQ(h.transaction_id, 0xa0b0c0d0u);
}

TEST_F(UdpParse, ConnectRoundTrip) {
  Request r = Parse(EncodeConnect(kProtocolId, 0xa1b2c3d4));
  ASSERT_EQ(r.kind, RequestKind::kConnect);
  EXPECT_EQ(r.transaction_id, 0xa1b2c3d4u);
  std::string out = "x";  // appends, never overwrites
  AppendConnectResponse(r.transaction_id, 0x0102030405060708, &out);
  ASSERT_EQ(out.size(), 17u);
  absl::StatusOr<testing::Response> d = DecodeResponse(out.substr(1), false);
  ASSERT_OK(d.status());
  EXPECT_EQ(d->action, 0u);
  EXPECT_EQ(d->transaction_id, 0xa1b2c3d4u);
  EXPECT_EQ(d->connection_id, 0x0102030405060708u);
}

TEST_F(UdpParse, ConnectMayCarryExtraBytes) {
  EXPECT_EQ(Parse(EncodeConnect(kProtocolId, 1) + "pad").kind, RequestKind::kConnect);
}

TEST_F(UdpParse, DropsConnectWithWrongProtocolId) {
  EXPECT_EQ(Parse(EncodeConnect(0, 1)).kind, RequestKind::kDrop);
  EXPECT_EQ(Parse(EncodeConnect(kProtocolId + 1, 1)).kind, RequestKind::kDrop);
  EXPECT_EQ(Parse(EncodeConnect(kProtocolId << 8, 1)).kind, RequestKind::kDrop);
}

TEST_F(UdpParse, UnknownActionIsAnErrorWithItsTransactionId) {
  for (uint32_t action : {3u, 4u, 0xffffffffu}) {
    std::string p = EncodeConnect(99, 0x55aa55aa);
    p[8] = static_cast<char>(action >> 24);
    p[9] = static_cast<char>(action >> 16);
    p[10] = static_cast<char>(action >> 8);
    p[11] = static_cast<char>(action);
    Request r = Parse(p);
    EXPECT_EQ(r.kind, RequestKind::kError) << action;
    EXPECT_EQ(r.error.message(), "unknown action");
    EXPECT_EQ(r.transaction_id, 0x55aa55aau);
    EXPECT_EQ(r.connection_id, 99u);
  }
}

// ---- announce ----

TEST_F(UdpParse, AnnounceRoundTrip) {
  const AnnouncePacket p = ValidAnnounce();
  Request r = Parse(EncodeAnnounce(p));
  ASSERT_EQ(r.kind, RequestKind::kAnnounce) << r.error;
  EXPECT_EQ(r.connection_id, p.connection_id);
  EXPECT_EQ(r.transaction_id, p.transaction_id);
  const AnnounceRequest& a = r.announce;
  EXPECT_EQ(a.token, kToken);
  EXPECT_EQ(a.info_hash, p.info_hash);
  EXPECT_EQ(a.peer_id, p.peer_id);
  EXPECT_EQ(a.downloaded, 1000);
  EXPECT_EQ(a.left, 5'000'000'000);
  EXPECT_EQ(a.uploaded, 42);
  EXPECT_EQ(a.event, AnnounceEvent::kStarted);
  EXPECT_TRUE(a.has_key);
  EXPECT_EQ(a.key, "0BADCAFE");
  EXPECT_EQ(a.numwant, 30);
  EXPECT_EQ(a.peer.address, kRemote4);
  EXPECT_EQ(a.peer.port, 51413);
  EXPECT_FALSE(a.has_tracker_id);
}

TEST_F(UdpParse, TokenPointsIntoTheCallersBuffer) {
  Request r = Parse(EncodeAnnounce(ValidAnnounce()));
  ASSERT_EQ(r.kind, RequestKind::kAnnounce);
  EXPECT_GE(r.announce.token.data(), url_data_.data());
  EXPECT_LE(r.announce.token.data() + r.announce.token.size(), url_data_.data() + url_data_.size());
}

TEST_F(UdpParse, ReusedBufferDoesNotGrowAgain) {
  url_data_.reserve(1024);
  const char* storage = url_data_.data();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Parse(EncodeAnnounce(ValidAnnounce())).kind, RequestKind::kAnnounce);
    EXPECT_EQ(url_data_.data(), storage);
  }
}

TEST_F(UdpParse, IpFieldIsIgnored) {
  AnnouncePacket p = ValidAnnounce();
  p.ip = 0x08080808;
  Request r = Parse(EncodeAnnounce(p), kRemote6);
  ASSERT_EQ(r.kind, RequestKind::kAnnounce);
  EXPECT_EQ(r.announce.peer.address, kRemote6);
}

TEST_F(UdpParse, Events) {
  const std::pair<uint32_t, AnnounceEvent> cases[] = {{0, AnnounceEvent::kNone},
                                                      {1, AnnounceEvent::kCompleted},
                                                      {2, AnnounceEvent::kStarted},
                                                      {3, AnnounceEvent::kStopped}};
  for (const auto& [wire, event] : cases) {
    AnnouncePacket p = ValidAnnounce();
    p.event = wire;
    Request r = Parse(EncodeAnnounce(p));
    ASSERT_EQ(r.kind, RequestKind::kAnnounce) << wire;
    EXPECT_EQ(r.announce.event, event) << wire;
  }
}

TEST_F(UdpParse, RefusesUnknownEvent) {
  for (uint32_t wire : {4u, 0x80000000u}) {
    AnnouncePacket p = ValidAnnounce();
    p.event = wire;
    EXPECT_EQ(AnnounceErrorOf(p), "unknown event") << wire;
  }
}

TEST_F(UdpParse, RefusesNegativeCounters) {
  AnnouncePacket p = ValidAnnounce();
  p.uploaded = -1;
  EXPECT_EQ(AnnounceErrorOf(p), "uploaded must not be negative");
  p = ValidAnnounce();
  p.downloaded = INT64_MIN;
  EXPECT_EQ(AnnounceErrorOf(p), "downloaded must not be negative");
  p = ValidAnnounce();
  p.left = -5;
  EXPECT_EQ(AnnounceErrorOf(p), "left must not be negative");
}

TEST_F(UdpParse, AcceptsLargestCounters) {
  AnnouncePacket p = ValidAnnounce();
  p.uploaded = p.downloaded = p.left = INT64_MAX;
  Request r = Parse(EncodeAnnounce(p));
  ASSERT_EQ(r.kind, RequestKind::kAnnounce);
  EXPECT_EQ(r.announce.left, INT64_MAX);
}

TEST_F(UdpParse, RefusesPortZero) {
  AnnouncePacket p = ValidAnnounce();
  p.port = 0;
  EXPECT_EQ(AnnounceErrorOf(p), "port must be 1..65535");
  p.port = 65535;
  EXPECT_EQ(Parse(EncodeAnnounce(p)).announce.peer.port, 65535);
}

TEST_F(UdpParse, NumWantDefaultAndClamp) {
  limits_.default_numwant = 25;
  limits_.max_numwant = 100;
  AnnouncePacket p = ValidAnnounce();
  p.num_want = -1;
  EXPECT_EQ(Parse(EncodeAnnounce(p)).announce.numwant, 25);
  p.num_want = 0;
  EXPECT_EQ(Parse(EncodeAnnounce(p)).announce.numwant, 0);
  p.num_want = 100;
  EXPECT_EQ(Parse(EncodeAnnounce(p)).announce.numwant, 100);
  p.num_want = 101;
  EXPECT_EQ(Parse(EncodeAnnounce(p)).announce.numwant, 100);
  p.num_want = INT32_MAX;
  EXPECT_EQ(Parse(EncodeAnnounce(p)).announce.numwant, 100);
  p.num_want = -2;
  EXPECT_EQ(AnnounceErrorOf(p), "num_want must be -1 (default) or not negative");
  p.num_want = INT32_MIN;
  EXPECT_EQ(AnnounceErrorOf(p), "num_want must be -1 (default) or not negative");
}

TEST_F(UdpParse, KeyIsEightHexDigits) {
  AnnouncePacket p = ValidAnnounce();
  p.key = 0;
  EXPECT_EQ(Parse(EncodeAnnounce(p)).announce.key, "00000000");
  p.key = 0xffffffff;
  EXPECT_EQ(Parse(EncodeAnnounce(p)).announce.key, "FFFFFFFF");
}

TEST_F(UdpParse, TruncatedAnnounceAtEveryLengthIsAnError) {
  AnnouncePacket p = ValidAnnounce();
  p.options.clear();
  const std::string full = EncodeAnnounce(p);
  ASSERT_EQ(full.size(), kAnnounceSize);
  for (size_t n = kHeaderSize; n < kAnnounceSize; ++n) {
    Request r = Parse(full.substr(0, n));
    EXPECT_EQ(r.kind, RequestKind::kError) << n;
    EXPECT_EQ(r.error.message(), "announce packet too short") << n;
    EXPECT_EQ(r.transaction_id, p.transaction_id) << n;
  }
}

TEST_F(UdpParse, TruncatedOptionsAtEveryLengthNeverReadPastTheEnd) {
  // Cut inside the URLData option: each cut is an error, never a wrong token.
  const std::string full = EncodeAnnounce(ValidAnnounce());
  for (size_t n = kAnnounceSize; n < full.size(); ++n) {
    Request r = Parse(full.substr(0, n));
    EXPECT_EQ(r.kind, RequestKind::kError) << n;
  }
}

// ---- BEP 41 options and the token ----

TEST_F(UdpParse, MissingTokenIsAnError) {
  AnnouncePacket p = ValidAnnounce();
  p.options.clear();  // a BEP 15 client without BEP 41
  const std::string no_options = AnnounceErrorOf(p);
  EXPECT_NE(no_options.find("needs an access token"), std::string::npos) << no_options;
  p.options = UrlData("");  // BEP 41: empty URLData, a URL without a path
  EXPECT_EQ(AnnounceErrorOf(p), no_options);
  p.options = UrlData("/announce");
  EXPECT_EQ(AnnounceErrorOf(p), no_options);
  p.options = UrlData("/a/");
  EXPECT_EQ(AnnounceErrorOf(p), "missing token");
  p.options = UrlData("/a/?x=1");
  EXPECT_EQ(AnnounceErrorOf(p), "missing token");
}

TEST_F(UdpParse, RefusesBadTokenCharacters) {
  const std::vector<std::string> bad_urls = {
      "/a/to ken", "/a/tok/announce",         "/a/tok%41",   "/a/t+k",
      "/a/tok#x",  std::string("/a/t\0k", 6), "/a/t\xc3\xa9"};
  for (const std::string& bad : bad_urls) {
    AnnouncePacket p = ValidAnnounce();
    p.options = UrlData(bad);
    EXPECT_EQ(AnnounceErrorOf(p), "malformed token") << bad;
  }
}

TEST_F(UdpParse, RefusesOversizedToken) {
  limits_.max_token = 8;
  AnnouncePacket p = ValidAnnounce();
  p.options = UrlData("/a/12345678");
  EXPECT_EQ(Parse(EncodeAnnounce(p)).announce.token, "12345678");
  p.options = UrlData("/a/123456789");
  EXPECT_EQ(AnnounceErrorOf(p), "token too long");
}

TEST_F(UdpParse, QueryAfterTheTokenIsIgnored) {
  AnnouncePacket p = ValidAnnounce();
  p.options = UrlData("/a/" + kToken + "?info_hash=%00&x=\x01");
  Request r = Parse(EncodeAnnounce(p));
  ASSERT_EQ(r.kind, RequestKind::kAnnounce) << r.error;
  EXPECT_EQ(r.announce.token, kToken);
}

TEST_F(UdpParse, UrlDataSplitOverSeveralOptionsIsConcatenated) {
  // A token of about 265 characters, as rights issues them, needs two options at least.
  const std::string token(265, 'T');
  for (size_t chunk : {1u, 7u, 100u, 255u}) {
    AnnouncePacket p = ValidAnnounce();
    p.options = UrlData("/a/" + token, chunk);
    Request r = Parse(EncodeAnnounce(p));
    ASSERT_EQ(r.kind, RequestKind::kAnnounce) << chunk << ": " << r.error;
    EXPECT_EQ(r.announce.token, token) << chunk;
  }
}

TEST_F(UdpParse, NopsAndEndOfOptions) {
  AnnouncePacket p = ValidAnnounce();
  // NOPs before, between and after the chunks; then EndOfOptions hides what follows.
  p.options = std::string("\x01\x01", 2) + UrlData("/a/ab") + std::string("\x01", 1) +
              UrlData("cd") + std::string("\x01\x00", 2) + UrlData("IGNORED") + "\xff";
  Request r = Parse(EncodeAnnounce(p));
  ASSERT_EQ(r.kind, RequestKind::kAnnounce) << r.error;
  EXPECT_EQ(r.announce.token, "abcd");
}

TEST_F(UdpParse, EndOfOptionsFirstMeansNoToken) {
  AnnouncePacket p = ValidAnnounce();
  p.options = std::string("\x00", 1) + UrlData("/a/tok");
  EXPECT_NE(AnnounceErrorOf(p).find("needs an access token"), std::string::npos);
}

TEST_F(UdpParse, UnknownOptionTypesAreSkippedByTheirLength) {
  AnnouncePacket p = ValidAnnounce();
  p.options = std::string("\x03\x02zz", 4) + UrlData("/a/tok") + std::string("\xfe\x00", 2) +
              std::string("\x80\x01", 2) + "\x02";  // an unknown option whose data is 0x02
  Request r = Parse(EncodeAnnounce(p));
  ASSERT_EQ(r.kind, RequestKind::kAnnounce) << r.error;
  EXPECT_EQ(r.announce.token, "tok");
}

TEST_F(UdpParse, OptionRunningPastTheEndIsAnError) {
  AnnouncePacket p = ValidAnnounce();
  p.options = UrlData("/a/tok") + std::string(
                                      "\x02\x05"
                                      "abcd",
                                      6);
  EXPECT_EQ(AnnounceErrorOf(p), "announce option runs past the end of the packet");
  p.options = UrlData("/a/tok") + std::string("\x07\xff", 2);
  EXPECT_EQ(AnnounceErrorOf(p), "announce option runs past the end of the packet");
  p.options = UrlData("/a/tok") + "\x02";  // a type byte without its length
  EXPECT_EQ(AnnounceErrorOf(p), "truncated announce option");
}

TEST_F(UdpParse, UrlDataIsBounded) {
  limits_.max_request_line = 300;
  AnnouncePacket p = ValidAnnounce();
  p.options = UrlData("/a/" + std::string(297, 'x'));
  EXPECT_EQ(Parse(EncodeAnnounce(p)).kind, RequestKind::kAnnounce);
  p.options = UrlData("/a/" + std::string(298, 'x'));
  EXPECT_EQ(AnnounceErrorOf(p), "announce URL too long");
}

// ---- scrape ----

TEST_F(UdpParse, ScrapeRoundTripKeepsOrderAndDuplicates) {
  const std::vector<InfoHash> hashes = {Hash('a'), Hash('b'), Hash('a')};
  const std::string packet = EncodeScrape(77, 88, hashes);  // the request's hashes view it
  Request r = Parse(packet);
  ASSERT_EQ(r.kind, RequestKind::kScrape) << r.error;
  EXPECT_EQ(r.connection_id, 77u);
  EXPECT_EQ(r.transaction_id, 88u);
  ASSERT_EQ(r.scrape.size(), 3u);
  for (size_t i = 0; i < hashes.size(); ++i) EXPECT_EQ(r.scrape[i], hashes[i]) << i;
}

TEST_F(UdpParse, ScrapeErrors) {
  EXPECT_EQ(ErrorOf(EncodeScrape(1, 2, {})), "scrape needs at least one info_hash");
  const std::vector<InfoHash> one = {Hash('a')};
  const std::string full = EncodeScrape(1, 2, one);
  for (size_t n = kHeaderSize + 1; n < full.size(); ++n) {
    EXPECT_EQ(ErrorOf(full.substr(0, n)), "scrape packet is not a whole number of info_hash values")
        << n;
  }
  EXPECT_EQ(ErrorOf(full + "x"), "scrape packet is not a whole number of info_hash values");
}

TEST_F(UdpParse, ScrapeHashLimitIsTheSmallerOf74AndTheConfiguredOne) {
  limits_.max_scrape_hashes = 1000;
  std::vector<InfoHash> hashes(kMaxScrapeHashes, Hash('h'));
  EXPECT_EQ(Parse(EncodeScrape(1, 2, hashes)).kind, RequestKind::kScrape);
  hashes.push_back(Hash('h'));
  EXPECT_EQ(ErrorOf(EncodeScrape(1, 2, hashes)), "too many info_hash values in scrape");

  limits_.max_scrape_hashes = 3;
  hashes.resize(3);
  EXPECT_EQ(Parse(EncodeScrape(1, 2, hashes)).kind, RequestKind::kScrape);
  hashes.resize(4);
  EXPECT_EQ(ErrorOf(EncodeScrape(1, 2, hashes)), "too many info_hash values in scrape");
}

// ---- writers ----

TEST(UdpWrite, AnnounceOverIpv4CarriesOnlyIpv4Peers) {
  const PeerEndpoint peers[] = {
      {PeerAddress::V4({192, 0, 2, 1}), 6881},
      {kRemote6, 443},
      {PeerAddress::V4({198, 51, 100, 7}), 65535},
  };
  AnnounceReply reply;
  reply.interval_seconds = 1800;
  reply.complete = 5;
  reply.incomplete = 9;
  reply.peers = peers;
  std::string out;
  AppendAnnounceResponse(0x01020304, reply, /*requester_ipv6=*/false, &out);
  EXPECT_EQ(out.size(), 20u + 2 * 6);
  absl::StatusOr<testing::Response> d = DecodeResponse(out, false);
  ASSERT_OK(d.status());
  EXPECT_EQ(d->action, 1u);
  EXPECT_EQ(d->transaction_id, 0x01020304u);
  EXPECT_EQ(d->interval, 1800);
  EXPECT_EQ(d->leechers, 9);
  EXPECT_EQ(d->seeders, 5);
  ASSERT_EQ(d->peers.size(), 2u);
  EXPECT_EQ(d->peers[0], peers[0]);
  EXPECT_EQ(d->peers[1], peers[2]);
  // The bytes themselves: address then port, network order.
  EXPECT_EQ(out.substr(20, 6), std::string("\xc0\x00\x02\x01\x1a\xe1", 6));
}

TEST(UdpWrite, AnnounceOverIpv6CarriesOnlyIpv6Peers) {
  const PeerEndpoint peers[] = {{PeerAddress::V4({192, 0, 2, 1}), 6881}, {kRemote6, 443}};
  AnnounceReply reply;
  reply.peers = peers;
  std::string out;
  AppendAnnounceResponse(9, reply, /*requester_ipv6=*/true, &out);
  EXPECT_EQ(out.size(), 20u + 18);
  absl::StatusOr<testing::Response> d = DecodeResponse(out, true);
  ASSERT_OK(d.status());
  ASSERT_EQ(d->peers.size(), 1u);
  EXPECT_EQ(d->peers[0], peers[1]);
}

TEST(UdpWrite, AnnounceCountsAreClampedToInt32) {
  AnnounceReply reply;
  reply.interval_seconds = int64_t{1} << 40;
  reply.complete = INT64_MAX;
  reply.incomplete = -3;
  std::string out;
  AppendAnnounceResponse(1, reply, false, &out);
  absl::StatusOr<testing::Response> d = DecodeResponse(out, false);
  ASSERT_OK(d.status());
  EXPECT_EQ(d->interval, INT32_MAX);
  EXPECT_EQ(d->seeders, INT32_MAX);
  EXPECT_EQ(d->leechers, -3);
}

TEST(UdpWrite, ScrapeInRequestOrder) {
  const ScrapeEntry entries[] = {{Hash('b'), 1, 2, 3}, {Hash('a'), 4, 5, 6}};
  std::string out;
  AppendScrapeResponse(42, entries, &out);
  absl::StatusOr<testing::Response> d = DecodeResponse(out, false);
  ASSERT_OK(d.status());
  EXPECT_EQ(d->action, 2u);
  EXPECT_EQ(d->transaction_id, 42u);
  ASSERT_EQ(d->scrape.size(), 2u);
  EXPECT_EQ(d->scrape[0].seeders, 1);
  EXPECT_EQ(d->scrape[0].completed, 2);
  EXPECT_EQ(d->scrape[0].leechers, 3);
  EXPECT_EQ(d->scrape[1].seeders, 4);
  EXPECT_EQ(d->scrape[1].completed, 5);
  EXPECT_EQ(d->scrape[1].leechers, 6);
}

TEST(UdpWrite, Error) {
  std::string out;
  AppendErrorResponse(7, absl::InvalidArgumentError("unknown event"), &out);
  absl::StatusOr<testing::Response> d = DecodeResponse(out, false);
  ASSERT_OK(d.status());
  EXPECT_EQ(d->action, 3u);
  EXPECT_EQ(d->transaction_id, 7u);
  EXPECT_EQ(d->message, "unknown event");
}

// ---- connection ids ----

constexpr std::array<uint8_t, ConnectionIds::kKeySize> kKey = {1, 2,  3,  4,  5,  6,  7,  8,
                                                               9, 10, 11, 12, 13, 14, 15, 16};
const PeerEndpoint kClient = {kRemote4, 6881};
const absl::Time kStart = absl::FromUnixSeconds(1'700'000'040);  // 0 s into a bucket

TEST(ConnectionIds, ValidForTheCurrentAndThePreviousBucketOnly) {
  ConnectionIds ids(kKey);
  const uint64_t id = ids.Issue(kClient, kStart);
  EXPECT_TRUE(ids.Valid(id, kClient, kStart));
  EXPECT_TRUE(ids.Valid(id, kClient, kStart + absl::Seconds(59)));
  EXPECT_TRUE(ids.Valid(id, kClient, kStart + absl::Seconds(119)));
  EXPECT_FALSE(ids.Valid(id, kClient, kStart + absl::Seconds(120)));
  EXPECT_FALSE(ids.Valid(id, kClient, kStart - absl::Seconds(1)));  // not yet issued
  // Issued at the end of a bucket, it still lives a full minute.
  const uint64_t late = ids.Issue(kClient, kStart + absl::Seconds(59));
  EXPECT_TRUE(ids.Valid(late, kClient, kStart + absl::Seconds(60 + 59)));
}

TEST(ConnectionIds, BoundToAddressPortAndFamily) {
  ConnectionIds ids(kKey);
  const uint64_t id = ids.Issue(kClient, kStart);
  EXPECT_FALSE(ids.Valid(id, {PeerAddress::V4({10, 1, 2, 4}), 6881}, kStart));
  EXPECT_FALSE(ids.Valid(id, {kRemote4, 6882}, kStart));
  // The same 4 bytes as an IPv6 address are another client.
  std::array<uint8_t, 16> six{};
  six[0] = 10, six[1] = 1, six[2] = 2, six[3] = 3;
  EXPECT_FALSE(ids.Valid(id, {PeerAddress::V6(six), 6881}, kStart));
}

TEST(ConnectionIds, ForgedOrForeignIdsAreRefused) {
  ConnectionIds ids(kKey);
  const uint64_t id = ids.Issue(kClient, kStart);
  EXPECT_FALSE(ids.Valid(0, kClient, kStart));
  EXPECT_FALSE(ids.Valid(kProtocolId, kClient, kStart));
  EXPECT_FALSE(ids.Valid(id ^ 1, kClient, kStart));
  std::array<uint8_t, ConnectionIds::kKeySize> other = kKey;
  other[0] ^= 0x80;
  EXPECT_FALSE(ConnectionIds(other).Valid(id, kClient, kStart));
  // Deterministic for a key: another instance with the same key accepts it.
  EXPECT_TRUE(ConnectionIds(kKey).Valid(id, kClient, kStart));
}

TEST(ConnectionIds, RandomKeysDiffer) {
  ConnectionIds a;
  ConnectionIds b;
  EXPECT_NE(a.Issue(kClient, kStart), b.Issue(kClient, kStart));
  EXPECT_TRUE(a.Valid(a.Issue(kClient, kStart), kClient, kStart));
}

TEST(ConnectionIds, BucketsBeforeTheEpochAreFloored) {
  ConnectionIds ids(kKey);
  const absl::Time t = absl::FromUnixSeconds(-1);
  const uint64_t id = ids.Issue(kClient, t);
  EXPECT_TRUE(ids.Valid(id, kClient, absl::FromUnixSeconds(-60)));
  EXPECT_TRUE(ids.Valid(id, kClient, absl::FromUnixSeconds(59)));
  EXPECT_FALSE(ids.Valid(id, kClient, absl::FromUnixSeconds(60)));
}

}  // namespace
}  // namespace p2pims::tracker::udp
