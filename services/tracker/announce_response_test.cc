#include "services/tracker/announce_response.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/status/status_testing.h"
#include "services/tracker/bencode.h"

namespace p2pims::tracker {
namespace {

using std::string_literals::operator""s;

PeerEndpoint V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  return {PeerAddress::V4({a, b, c, d}), port};
}

PeerEndpoint V6(std::array<uint8_t, 16> bytes, uint16_t port) {
  return {PeerAddress::V6(bytes), port};
}

const std::array<uint8_t, 16> kDoc6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

InfoHash Hash(char fill) {
  InfoHash h;
  h.fill(fill);
  return h;
}

TEST(AnnounceReplyTest, ExactBytesWithPeersPeers6AndTrackerId) {
  const std::vector<PeerEndpoint> peers = {V4(10, 0, 0, 1, 6881), V6(kDoc6, 443)};
  std::string out;
  AppendAnnounceReply({.interval_seconds = 1800,
                       .min_interval_seconds = 900,
                       .complete = 2,
                       .incomplete = 3,
                       .tracker_id = "t1",
                       .peers = peers},
                      &out);
  const std::string expected =
      "d8:completei2e10:incompletei3e8:intervali1800e12:min intervali900e"
      "5:peers6:\x0a\x00\x00\x01\x1a\xe1"
      "6:peers618:\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\xbb"
      "10:tracker id2:t1e"s;
  EXPECT_EQ(out, expected);
  EXPECT_OK(bencode::Validate(out));
}

TEST(AnnounceReplyTest, NoPeersStillHasEmptyPeersAndNoPeers6) {
  std::string out;
  AppendAnnounceReply({.interval_seconds = 60, .min_interval_seconds = 30}, &out);
  EXPECT_EQ(out, "d8:completei0e10:incompletei0e8:intervali60e12:min intervali30e5:peers0:e");
}

TEST(AnnounceReplyTest, OnlyIpv6PeersGiveEmptyPeersAndFullPeers6) {
  const std::vector<PeerEndpoint> peers = {V6(kDoc6, 1), V6(kDoc6, 2)};
  std::string out;
  AppendAnnounceReply({.peers = peers}, &out);
  absl::StatusOr<bencode::Value> v = bencode::Parse(out);
  ASSERT_OK(v.status());
  ASSERT_NE(v->Find("peers"), nullptr);
  EXPECT_EQ(v->Find("peers")->string, "");
  ASSERT_NE(v->Find("peers6"), nullptr);
  EXPECT_EQ(v->Find("peers6")->string.size(), 36u);
  EXPECT_EQ(v->Find("tracker id"), nullptr);
}

TEST(AnnounceReplyTest, RoundTripsManyPeersInOrder) {
  std::vector<PeerEndpoint> peers;
  for (int i = 0; i < 200; ++i) {
    peers.push_back(V4(192, 0, 2, static_cast<uint8_t>(i), static_cast<uint16_t>(1000 + i)));
    std::array<uint8_t, 16> a = kDoc6;
    a[15] = static_cast<uint8_t>(i);
    peers.push_back(V6(a, static_cast<uint16_t>(60000 + i)));
  }
  std::string out;
  AppendAnnounceReply({.complete = 7, .incomplete = 9, .peers = peers}, &out);
  absl::StatusOr<bencode::Value> v = bencode::Parse(out);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->Find("complete")->integer, 7);
  EXPECT_EQ(v->Find("incomplete")->integer, 9);
  const std::string_view p4 = v->Find("peers")->string;
  const std::string_view p6 = v->Find("peers6")->string;
  ASSERT_EQ(p4.size(), 200u * 6);
  ASSERT_EQ(p6.size(), 200u * 18);
  for (int i = 0; i < 200; ++i) {
    const auto* e4 = reinterpret_cast<const uint8_t*>(p4.data() + i * 6);
    EXPECT_EQ(e4[3], i);
    EXPECT_EQ((e4[4] << 8) | e4[5], 1000 + i);
    const auto* e6 = reinterpret_cast<const uint8_t*>(p6.data() + i * 18);
    EXPECT_EQ(e6[0], 0x20);
    EXPECT_EQ(e6[15], i);
    EXPECT_EQ((e6[16] << 8) | e6[17], 60000 + i);
  }
}

TEST(AnnounceReplyTest, MappedIpv4PeerGoesToPeers) {
  const std::vector<PeerEndpoint> peers = {
      V6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 4}, 80)};
  std::string out;
  AppendAnnounceReply({.peers = peers}, &out);
  absl::StatusOr<bencode::Value> v = bencode::Parse(out);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->Find("peers")->string, "\xc6\x33\x64\x04\x00\x50"s);
  EXPECT_EQ(v->Find("peers6"), nullptr);
}

TEST(AnnounceReplyTest, AppendsToExistingBuffer) {
  std::string out = "prefix";
  AppendAnnounceReply({}, &out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_OK(bencode::Validate(std::string_view(out).substr(6)));
}

TEST(ScrapeReplyTest, ExactBytesForOneHash) {
  const ScrapeEntry entries[] = {{Hash('a'), 5, 12, 3}};
  std::string out;
  AppendScrapeReply(entries, &out);
  EXPECT_EQ(out,
            "d5:filesd20:aaaaaaaaaaaaaaaaaaaad8:completei5e10:downloadedi12e10:incompletei3eeee");
}

TEST(ScrapeReplyTest, SortsHashesAsUnsignedBytesAndDropsRepeats) {
  InfoHash high = Hash('a');
  high[0] = static_cast<char>(0xf0);  // sorts last as an unsigned byte
  const ScrapeEntry entries[] = {
      {high, 1, 1, 1}, {Hash('b'), 2, 2, 2}, {Hash('a'), 3, 3, 3}, {Hash('b'), 9, 9, 9}};
  std::string out;
  AppendScrapeReply(entries, &out);
  absl::StatusOr<bencode::Value> v = bencode::Parse(out);  // also checks key order
  ASSERT_OK(v.status());
  const bencode::Value* files = v->Find("files");
  ASSERT_NE(files, nullptr);
  ASSERT_EQ(files->keys.size(), 3u);
  EXPECT_EQ(files->keys[0], AsView(Hash('a')));
  EXPECT_EQ(files->keys[1], AsView(Hash('b')));
  EXPECT_EQ(files->keys[2], AsView(high));
  // The first entry given for a repeated hash wins.
  EXPECT_EQ(files->items[1].Find("complete")->integer, 2);
  EXPECT_EQ(files->items[0].Find("downloaded")->integer, 3);
  EXPECT_EQ(files->items[2].Find("incomplete")->integer, 1);
}

TEST(ScrapeReplyTest, EmptyListGivesEmptyFiles) {
  std::string out;
  AppendScrapeReply({}, &out);
  EXPECT_EQ(out, "d5:filesdee");
}

TEST(FailureReplyTest, ExactBytesWithReasonOnly) {
  std::string out;
  AppendFailureReply({.reason = "unknown info_hash"}, &out);
  EXPECT_EQ(out, "d14:failure reason17:unknown info_hashe");
}

TEST(FailureReplyTest, ExactBytesWithRetryInMinutes) {
  std::string out;
  AppendFailureReply({.reason = "overloaded", .retry_in_minutes = 5}, &out);
  EXPECT_EQ(out, "d14:failure reason10:overloaded8:retry ini5ee");
}

TEST(FailureReplyTest, ExactBytesWithRetryNever) {
  std::string out;
  AppendFailureReply({.reason = "token revoked", .retry_never = true}, &out);
  EXPECT_EQ(out, "d14:failure reason13:token revoked8:retry in5:nevere");
}

TEST(FailureReplyTest, CarriesAParserErrorVerbatim) {
  absl::StatusOr<AnnounceRequest> r =
      ParseAnnounceQuery("tok", "info_hash=%zz", PeerAddress::V4({127, 0, 0, 1}), {});
  ASSERT_FALSE(r.ok());
  std::string out;
  const std::string reason(r.status().message());
  AppendFailureReply({.reason = reason}, &out);
  absl::StatusOr<bencode::Value> v = bencode::Parse(out);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->Find("failure reason")->string, "bad percent-encoding in info_hash");
}

}  // namespace
}  // namespace p2pims::tracker
