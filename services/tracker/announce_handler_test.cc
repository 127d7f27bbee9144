#include "services/tracker/announce_handler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/token/signer.h"
#include "services/tracker/bencode.h"
#include "services/tracker/udp_protocol_testing.h"

namespace p2pims::tracker {
namespace {

constexpr uint32_t kNow = 1'800'000'000;

std::string PercentEncode(std::string_view bytes) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

class AnnounceHandlerTest : public ::testing::Test {
 protected:
  AnnounceHandlerTest() {
    std::array<uint8_t, 32> seed{};
    seed[0] = 7;
    token::KeyPair key = token::KeyFromSeed("k1", seed);
    signer_ = std::make_unique<token::Signer>(key);
    verifier_.SetKeys(std::map<std::string, std::array<uint8_t, 32>>{{"k1", key.public_key}});
  }

  // A token for the swarm `hash_byte` (every byte of the info-hash), issued to peer `n`.
  std::string Token(char hash_byte, int n, const std::string& locality = "262-01/a/c",
                    uint32_t expires = kNow + 3600, token::Role role = token::Role::kLeech) {
    token::Claims c;
    c.subject = "sip:user" + std::to_string(n) + "@ims.example.net";
    c.info_hash.fill(static_cast<uint8_t>(hash_byte));
    c.session_id = "session-" + std::to_string(n);
    c.locality = locality;
    c.issued_at = kNow - 10;
    c.expires_at = expires;
    c.token_id.fill(static_cast<uint8_t>(n));
    c.role = role;
    return *signer_->Sign(c);
  }

  std::string Request(const std::string& token, char hash_byte, int n, int64_t left,
                      int64_t up = 0, int64_t down = 0, const std::string& extra = "") {
    return "GET /a/" + token + "/announce?info_hash=" + PercentEncode(std::string(20, hash_byte)) +
           "&peer_id=" + PercentEncode(std::string(19, '-') + static_cast<char>('a' + n)) +
           "&port=" + std::to_string(6881 + n) + "&uploaded=" + std::to_string(up) +
           "&downloaded=" + std::to_string(down) + "&left=" + std::to_string(left) +
           "&compact=1" + extra + " HTTP/1.1";
  }

  std::string Handle(const std::string& line, uint8_t last_octet = 1) {
    std::string body = "left over from an earlier request";
    handler_.HandleHttp(line, PeerAddress::V4({10, 0, 0, last_octet}),
                        absl::FromUnixSeconds(kNow), rng_, &body);
    return body;
  }

  // The value of `key` in the top-level bencoded dictionary `body`, as the reader sees it.
  static std::string Field(const std::string& body, const std::string& key) {
    auto value = bencode::Parse(body);
    EXPECT_TRUE(value.ok()) << value.status() << " in " << body;
    if (!value.ok() || value->type != bencode::Value::Type::kDict) return "";
    const bencode::Value* v = value->Find(key);
    if (v == nullptr) return "<none>";
    if (v->type == bencode::Value::Type::kInt) return std::to_string(v->integer);
    if (v->type == bencode::Value::Type::kString) return std::string(v->string);
    return "<other>";
  }

  // The index: every info-hash of one repeated byte is indexed as content "c-<byte>", except
  // 'v', the truncated v2 hash of the hybrid torrent 'y', and 'n', which is not indexed.
  static absl::StatusOr<std::optional<SwarmBinding>> Lookup(const InfoHash& hash) {
    if (hash[0] == 'n') return std::nullopt;
    SwarmBinding b;
    b.swarm.fill(hash[0] == 'v' ? 'y' : hash[0]);
    if (b.swarm[0] == 'y') b.alt = InfoHash{}, b.alt->fill('v');
    b.content_id = std::string("c-") + b.swarm[0];
    return b;
  }

  std::unique_ptr<token::Signer> signer_;
  token::Verifier verifier_;
  token::RevocationList revocations_;
  metrics::Registry registry_;
  // Cold admissions limited to a burst of 3 per source address, then one a second (the test's
  // clock stands still, so only the burst counts).
  Admission admission_{verifier_, revocations_, Lookup, registry_,
                       {.cold_per_source = 1, .cold_burst = 3}};
  Swarms swarms_{SwarmsOptions{.shards = 4}};
  std::vector<std::tuple<std::string, int64_t, int64_t>> usage_;
  RequestCounters counters_{registry_};
  AnnounceHandler handler_{
      swarms_,
      [this](std::string_view t, bool, absl::Time now, uint64_t source) {
        return admission_.Admit(t, now, source);
      },
      [this](const AdmittedToken& e, int64_t up, int64_t down) {
        usage_.emplace_back(e->claims.session_id, up, down);
      },
      counters_,
      {}};
  Rng rng_{11};
};

TEST_F(AnnounceHandlerTest, AdmittedPeersOfOneSwarmGetEachOtherCompact) {
  const std::string seeder = Handle(Request(Token('h', 1), 'h', 1, 0), 1);
  EXPECT_EQ(Field(seeder, "complete"), "1");
  EXPECT_EQ(Field(seeder, "peers"), "");
  const std::string leecher = Handle(Request(Token('h', 2), 'h', 2, 500), 2);
  EXPECT_EQ(Field(leecher, "complete"), "1");
  EXPECT_EQ(Field(leecher, "incomplete"), "1");
  EXPECT_EQ(Field(leecher, "interval"), "1800");
  // 10.0.0.1:6882 as BEP 23 compact bytes.
  EXPECT_EQ(Field(leecher, "peers"), std::string("\x0a\x00\x00\x01\x1a\xe2", 6));
}

TEST_F(AnnounceHandlerTest, NewTokensFromOneAddressAreLimitedCachedOnesAreNot) {
  std::string forged = Token('h', 9);
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  const std::string good = Request(Token('h', 1), 'h', 1, 0);
  EXPECT_EQ(Field(Handle(good, 1), "failure reason"), "<none>");  // cold: 1 of 3
  EXPECT_NE(Field(Handle(Request(forged, 'h', 9, 0), 1), "failure reason"), "<none>");  // 2
  EXPECT_NE(Field(Handle(Request(forged, 'h', 9, 0), 1), "failure reason"), "<none>");  // 3
  // The burst is spent: another new token from 10.0.0.1 is refused before any signature check.
  EXPECT_EQ(Field(Handle(Request(Token('h', 2), 'h', 2, 0), 1), "failure reason"),
            "too many new tokens from this address; try again later");
  // A token already admitted costs nothing and goes on; another address has its own limit.
  EXPECT_EQ(Field(Handle(good, 1), "failure reason"), "<none>");
  EXPECT_EQ(Field(Handle(Request(Token('h', 2), 'h', 2, 0), 2), "failure reason"), "<none>");
  const std::string metrics = registry_.Serialize();
  EXPECT_NE(metrics.find("p2pims_tracker_announces_total{protocol=\"http\",result=\"throttled\"} 1"),
            std::string::npos);
}

TEST_F(AnnounceHandlerTest, UsageDeltasAreReportedPerSession) {
  Handle(Request(Token('h', 1), 'h', 1, 100, 0, 0, "&event=started"));
  Handle(Request(Token('h', 1), 'h', 1, 50, 7, 50));
  Handle(Request(Token('h', 1), 'h', 1, 50, 7, 50));  // nothing moved: nothing reported
  ASSERT_EQ(usage_.size(), 1u);
  EXPECT_EQ(usage_[0], std::make_tuple(std::string("session-1"), int64_t{7}, int64_t{50}));
}

TEST_F(AnnounceHandlerTest, RefusalsAreFailureReasonsAndChangeNothing) {
  const std::string good = Token('h', 1);
  // No token, a forged one, an expired one, another swarm's.
  EXPECT_NE(Field(Handle("GET /announce?x=1 HTTP/1.1"), "failure reason"), "<none>");
  std::string forged = good;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_NE(Field(Handle(Request(forged, 'h', 1, 0)), "failure reason"), "<none>");
  EXPECT_NE(Field(Handle(Request(Token('h', 1, "262-01/a/c", kNow - 1), 'h', 1, 0)),
                  "failure reason"),
            "<none>");
  EXPECT_EQ(Field(Handle(Request(Token('x', 1), 'h', 1, 0)), "failure reason"),
            "the token is for another swarm");
  // Malformed queries.
  EXPECT_NE(Field(Handle(Request(good, 'h', 1, -1)), "failure reason"), "<none>");
  EXPECT_NE(Field(Handle("GET /a/" + good + "/announce?info_hash=%zz HTTP/1.1"),
                  "failure reason"),
            "<none>");
  EXPECT_EQ(swarms_.peers(), 0);
  EXPECT_TRUE(usage_.empty());
}

TEST_F(AnnounceHandlerTest, ScrapeAnswersOnlyForTheTokensSwarm) {
  Handle(Request(Token('h', 1), 'h', 1, 0));
  const std::string scrape = Handle("GET /a/" + Token('h', 2) + "/scrape?info_hash=" +
                                    PercentEncode(std::string(20, 'h')) + " HTTP/1.1");
  auto value = bencode::Parse(scrape);
  ASSERT_TRUE(value.ok()) << value.status();
  const bencode::Value* files = value->Find("files");
  ASSERT_NE(files, nullptr);
  const bencode::Value* entry = files->Find(std::string(20, 'h'));
  ASSERT_NE(entry, nullptr);
  ASSERT_NE(entry->Find("complete"), nullptr);
  EXPECT_EQ(entry->Find("complete")->integer, 1);
  EXPECT_EQ(Field(Handle("GET /a/" + Token('h', 2) + "/scrape?info_hash=" +
                         PercentEncode(std::string(20, 'q')) + " HTTP/1.1"),
                  "failure reason"),
            "the token is for another swarm");
}

TEST_F(AnnounceHandlerTest, AHybridTorrentsTwoHashesAreOneSwarm) {
  // The v1 announce and the truncated v2 announce (BEP 52) of one hybrid torrent meet.
  Handle(Request(Token('y', 1), 'y', 1, 0), 1);
  const std::string v2 = Handle(Request(Token('y', 2), 'v', 2, 500), 2);
  EXPECT_EQ(Field(v2, "complete"), "1");
  EXPECT_EQ(Field(v2, "peers"), std::string("\x0a\x00\x00\x01\x1a\xe2", 6));
  EXPECT_EQ(swarms_.swarms(), 1);
}

TEST_F(AnnounceHandlerTest, UnindexedRevokedAndStoppedTokensAreRefused) {
  EXPECT_EQ(Field(Handle(Request(Token('n', 1), 'n', 1, 0)), "failure reason"),
            "content is not in the tracker's index");
  const std::string token = Token('h', 2);
  EXPECT_EQ(Field(Handle(Request(token, 'h', 2, 0)), "failure reason"), "<none>");
  // Cached now; a revocation of its content still applies on the next announce.
  ASSERT_TRUE(revocations_.Add({.sequence = 1, .content = "c-h", .issued_before = kNow}).ok());
  EXPECT_EQ(Field(Handle(Request(token, 'h', 2, 0)), "failure reason"), "token revoked");
  const std::string other = Token('k', 3);
  EXPECT_EQ(Field(Handle(Request(other, 'k', 3, 0)), "failure reason"), "<none>");
  admission_.Stop("session-3", absl::FromUnixSeconds(kNow + 3600));
  EXPECT_EQ(Field(Handle(Request(other, 'k', 3, 0)), "failure reason"),
            "this token's access has ended");
}

TEST_F(AnnounceHandlerTest, OffersAndDownloadsAreCountedByTier) {
  auto count = [this](const char* name, const char* tier) {
    return metrics::BuildCounter().Name(name).Register(registry_).Add({{"tier", tier}}).Value();
  };
  Handle(Request(Token('h', 1, "262-01/a/c"), 'h', 1, 0), 1);   // seeder, cell c
  Handle(Request(Token('h', 2, "262-01/b/x"), 'h', 2, 0), 2);   // seeder, another area
  // A leecher in cell c is offered both: one in its cell, one elsewhere in its network.
  Handle(Request(Token('h', 3, "262-01/a/c"), 'h', 3, 1000), 3);
  EXPECT_EQ(count("p2pims_tracker_peers_offered_total", "cell"), 1);
  EXPECT_EQ(count("p2pims_tracker_peers_offered_total", "network"), 1);
  EXPECT_EQ(count("p2pims_tracker_downloaded_bytes_total", "none"), 0);
  // What it then reports downloading counts towards the best tier it was offered: its cell.
  Handle(Request(Token('h', 3, "262-01/a/c"), 'h', 3, 400, 0, 600), 3);
  EXPECT_EQ(count("p2pims_tracker_downloaded_bytes_total", "cell"), 600);
  EXPECT_EQ(count("p2pims_tracker_downloaded_bytes_total", "network"), 0);
}

TEST_F(AnnounceHandlerTest, SwarmsOfOtherReplicasAreRefusedWithTheirOwner) {
  // Two replicas; this is replica 0. 'h' (0x68...) maps to 0, 'k' (0x6b...) to 1.
  AnnounceHandler replica0(
      swarms_,
      [this](std::string_view t, bool, absl::Time now, uint64_t source) {
        return admission_.Admit(t, now, source);
      },
      nullptr, counters_,
      {.replicas = ReplicaMap({.count = 2, .self = 0, .announce_host = "t{i}.test:6969"})});
  auto handle = [&](const std::string& line) {
    std::string body;
    replica0.HandleHttp(line, PeerAddress::V4({10, 0, 0, 9}), absl::FromUnixSeconds(kNow), rng_,
                        &body);
    return body;
  };
  EXPECT_EQ(Field(handle(Request(Token('h', 1), 'h', 1, 0)), "failure reason"), "<none>");
  EXPECT_EQ(Field(handle(Request(Token('k', 2), 'k', 2, 0)), "failure reason"),
            "this swarm is served by the tracker at t1.test:6969");
  EXPECT_EQ(swarms_.swarms(), 1);
}

TEST_F(AnnounceHandlerTest, TheOperatorsSeedsAnnounceEveryFiveMinutesOthersEveryHalfHour) {
  const std::string leecher = Handle(Request(Token('a', 1), 'a', 1, 100));
  EXPECT_EQ(Field(leecher, "interval"), "1800");
  EXPECT_EQ(Field(leecher, "min interval"), "900");
  const std::string origin =
      Handle(Request(Token('a', 2, "262-01", kNow + 3600, token::Role::kOrigin), 'a', 2, 0), 2);
  EXPECT_EQ(Field(origin, "interval"), "300");
  EXPECT_EQ(Field(origin, "min interval"), "150");
}

TEST_F(AnnounceHandlerTest, TraitsComeFromTheToken) {
  token::Claims c;
  c.locality = "262-01/a/c";
  c.role = token::Role::kOrigin;
  c.caps = token::kCapMetered;
  const PeerTraits t = TraitsOf(c);
  EXPECT_TRUE(t.origin);
  EXPECT_TRUE(t.constrained);
  EXPECT_FALSE(t.upload_allowed);
  EXPECT_EQ(SharedTier(t.locality, ParseLocality("262-01/a/c")), 3);
}

TEST_F(AnnounceHandlerTest, LateUdpAnnouncesGetTrackerBusyWithoutAnyWork) {
  const PeerEndpoint from{PeerAddress::V4({10, 0, 0, 1}), 7000};
  const absl::Time now = absl::FromUnixSeconds(kNow);
  std::string reply;
  // A connect is cheap: answered as usual, late or not.
  handler_.HandleUdpBusy(udp::testing::EncodeConnect(udp::kProtocolId, 5), from, now, rng_, &reply);
  auto connect = udp::testing::DecodeResponse(reply, false);
  ASSERT_TRUE(connect.ok()) << connect.status();
  ASSERT_EQ(connect->action, 0u);

  udp::testing::AnnouncePacket a;
  a.connection_id = connect->connection_id;
  a.transaction_id = 6;
  a.info_hash.fill('h');
  a.options = udp::testing::UrlData("/a/" + Token('h', 1));
  handler_.HandleUdpBusy(udp::testing::EncodeAnnounce(a), from, now, rng_, &reply);
  auto busy = udp::testing::DecodeResponse(reply, false);
  ASSERT_TRUE(busy.ok()) << busy.status();
  EXPECT_EQ(busy->action, 3u);
  EXPECT_EQ(busy->transaction_id, 6u);
  EXPECT_EQ(busy->message, "tracker busy; retry later");
  EXPECT_EQ(admission_.cached(), 0u) << "no token was admitted";
  EXPECT_EQ(swarms_.swarms(), 0) << "no swarm was touched";
  EXPECT_NE(registry_.Serialize().find(
                "p2pims_tracker_announces_total{protocol=\"udp\",result=\"busy\"} 1"),
            std::string::npos);

  // Not even a refusal for a source that cannot show its connection id (a forged address).
  a.connection_id ^= 1;
  handler_.HandleUdpBusy(udp::testing::EncodeAnnounce(a), from, now, rng_, &reply);
  EXPECT_EQ(reply, "");
}

}  // namespace
}  // namespace p2pims::tracker
