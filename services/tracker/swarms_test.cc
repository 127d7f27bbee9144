#include "services/tracker/swarms.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <thread>
#include <vector>

namespace p2pims::tracker {
namespace {

const std::string kHash(20, 'h');

PeerEndpoint V4(uint8_t last, uint16_t port = 6881) {
  PeerEndpoint e;
  e.address = PeerAddress::V4({10, 0, 0, last});
  e.port = port;
  return e;
}

// A peer's announce: peer id and session ("session-<n>") from `n`, its address 10.0.0.n.
PeerAnnounce At(const std::string& hash, int n, int64_t left, int64_t up = 0, int64_t down = 0,
                AnnounceEvent event = AnnounceEvent::kNone) {
  static thread_local std::deque<std::string> ids;  // keeps the views alive (never moves them)
  ids.push_back(std::string(19, 'p') + static_cast<char>('a' + n));
  const std::array<char, 16> session = SessionKey("session-" + std::to_string(n));
  ids.push_back(std::string(session.data(), session.size()));
  PeerAnnounce a;
  a.info_hash = hash;
  a.peer_id = ids[ids.size() - 2];
  a.session_key = ids.back();
  a.endpoint = V4(static_cast<uint8_t>(n));
  a.traits.locality = ParseLocality("262-01/a/c");
  a.left = left;
  a.uploaded = up;
  a.downloaded = down;
  a.event = event;
  return a;
}

class SwarmsTest : public ::testing::Test {
 protected:
  AnnounceResult Do(const PeerAnnounce& a, absl::Time at = absl::FromUnixSeconds(1000)) {
    AnnounceResult r;
    EXPECT_TRUE(swarms_.Announce(a, at, rng_, &r).ok());
    return r;
  }
  Swarms swarms_{SwarmsOptions{.shards = 4}};
  Rng rng_{3};
};

TEST_F(SwarmsTest, PeersOfASwarmMeetAndAreCountedByRole) {
  AnnounceResult first = Do(At(kHash, 1, 0));  // a seeder
  EXPECT_TRUE(first.peers.empty());
  AnnounceResult second = Do(At(kHash, 2, 100));  // a leecher
  ASSERT_EQ(second.peers.size(), 1u);
  EXPECT_EQ(second.peers[0], V4(1));
  EXPECT_EQ(second.seeders, 1);
  EXPECT_EQ(second.leechers, 1);
  // Another swarm is another crowd.
  EXPECT_TRUE(Do(At(std::string(20, 'x'), 3, 100)).peers.empty());
  EXPECT_EQ(swarms_.swarms(), 2);
  EXPECT_EQ(swarms_.peers(), 3);
}

TEST_F(SwarmsTest, UsageIsTheDeltaSinceTheLastAnnounceAndSurvivesCounterResets) {
  AnnounceResult r = Do(At(kHash, 1, 100, 10, 20, AnnounceEvent::kStarted));
  EXPECT_EQ(r.delta_uploaded, 10);
  EXPECT_EQ(r.delta_downloaded, 20);
  r = Do(At(kHash, 1, 50, 15, 70));
  EXPECT_EQ(r.delta_uploaded, 5);
  EXPECT_EQ(r.delta_downloaded, 50);
  r = Do(At(kHash, 1, 50, 15, 70));  // the same totals again: nothing moved
  EXPECT_EQ(r.delta_uploaded, 0);
  EXPECT_EQ(r.delta_downloaded, 0);
  r = Do(At(kHash, 1, 40, 3, 10));  // the client restarted: its totals count from zero
  EXPECT_EQ(r.delta_uploaded, 3);
  EXPECT_EQ(r.delta_downloaded, 10);
  r = Do(At(kHash, 1, 40, 4, 12, AnnounceEvent::kStarted));  // libtorrent to a new token's URL
  EXPECT_EQ(r.delta_uploaded, 1) << "totals that went on count the difference";
  EXPECT_EQ(r.delta_downloaded, 2);
  r = Do(At(kHash, 1, 40, 0, 0, AnnounceEvent::kStarted));  // restarted: from zero
  r = Do(At(kHash, 1, 40, 2, 3));
  EXPECT_EQ(r.delta_uploaded, 2);
  EXPECT_EQ(r.delta_downloaded, 3);
}

TEST_F(SwarmsTest, APeerFirstSeenWithoutStartedResumesFromItsSessionsMeteredUsage) {
  // After a restart (or a swarm moving here) the session had 300 down and 40 up metered.
  PeerAnnounce a = At(kHash, 1, 100, 50, 500);
  a.resume_up = 40;
  a.resume_down = 300;
  AnnounceResult r = Do(a);
  EXPECT_EQ(r.delta_uploaded, 10);
  EXPECT_EQ(r.delta_downloaded, 200);
  // The client restarted as well: its totals are below what was metered, so they count whole.
  PeerAnnounce b = At(kHash, 2, 100, 5, 20);
  b.resume_up = 40;
  b.resume_down = 300;
  r = Do(b);
  EXPECT_EQ(r.delta_uploaded, 5);
  EXPECT_EQ(r.delta_downloaded, 20);
  // A `started` peer is new: from zero, whatever its session metered.
  PeerAnnounce c = At(kHash, 3, 100, 7, 9, AnnounceEvent::kStarted);
  c.resume_up = 40;
  c.resume_down = 300;
  r = Do(c);
  EXPECT_EQ(r.delta_uploaded, 7);
  EXPECT_EQ(r.delta_downloaded, 9);
}

TEST_F(SwarmsTest, AnAnnounceAfterStoppedCountsFromTheTotalsItLeftWith) {
  Do(At(kHash, 1, 0, 0, 0, AnnounceEvent::kStarted));
  AnnounceResult r = Do(At(kHash, 1, 0, 4000, 0, AnnounceEvent::kStopped));
  EXPECT_EQ(r.delta_uploaded, 4000);
  EXPECT_EQ(swarms_.peers(), 0);
  // libtorrent's regular announce overtaken by its `stopped`: the same totals, nothing new.
  r = Do(At(kHash, 1, 0, 4000, 0));
  EXPECT_EQ(r.delta_uploaded, 0) << "not counted twice";
  r = Do(At(kHash, 1, 0, 4500, 0));
  EXPECT_EQ(r.delta_uploaded, 500);
}

TEST_F(SwarmsTest, StoppedLeavesTheSwarmAndCompletedCountsOnce) {
  Do(At(kHash, 1, 0));
  Do(At(kHash, 2, 100));
  AnnounceResult done = Do(At(kHash, 2, 0, 0, 100, AnnounceEvent::kCompleted));
  EXPECT_EQ(done.completed, 1);
  EXPECT_EQ(done.seeders, 2);
  Do(At(kHash, 2, 0, 0, 100, AnnounceEvent::kCompleted));  // repeated: still one
  AnnounceResult gone = Do(At(kHash, 1, 0, 0, 0, AnnounceEvent::kStopped));
  EXPECT_TRUE(gone.peers.empty());
  EXPECT_EQ(swarms_.Stats(kHash).seeders, 1);
  EXPECT_EQ(swarms_.Stats(kHash).completed, 1);
  EXPECT_EQ(swarms_.Stats(std::string(20, 'z')).seeders, 0);
}

TEST_F(SwarmsTest, ACompletionWithoutTheEventStillCountsOnce) {
  Do(At(kHash, 1, 0));  // joined as a seeder: completed nothing here
  Do(At(kHash, 2, 100));
  Do(At(kHash, 3, 100));
  EXPECT_EQ(Do(At(kHash, 2, 0, 0, 100)).completed, 1);  // left reached 0, no event
  EXPECT_EQ(Do(At(kHash, 2, 0, 0, 100, AnnounceEvent::kCompleted)).completed, 1);
  Do(At(kHash, 3, 0, 0, 100, AnnounceEvent::kStopped));  // finished and left at once
  EXPECT_EQ(swarms_.Stats(kHash).completed, 2);
}

TEST_F(SwarmsTest, ATokenAnnouncingFromACrowdIsRefusedAndChangesNothing) {
  Swarms swarms(SwarmsOptions{.shards = 2, .max_addresses_per_token = 2});
  for (int i = 0; i < 3; ++i) {
    PeerAnnounce a = At(kHash, 1, 100);
    std::string peer_id(20, static_cast<char>('A' + i));
    a.peer_id = peer_id;
    a.endpoint = V4(static_cast<uint8_t>(50 + i));
    AnnounceResult r;
    const absl::Status s = swarms.Announce(a, absl::FromUnixSeconds(1), rng_, &r);
    if (i < 2) {
      EXPECT_TRUE(s.ok()) << s;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
    }
  }
  EXPECT_EQ(swarms.peers(), 2);
}

TEST_F(SwarmsTest, ASessionsPeersAreCountedAndSeedingOnceOneHasItAll) {
  Do(At(kHash, 1, 500));
  Do(At(kHash, 2, 500));
  PeerAnnounce second_client = At(kHash, 3, 500);
  second_client.session_key = At(kHash, 1, 500).session_key;  // the same session's second client
  Do(second_client);
  SessionPeers mine = swarms_.PeersOfSession(kHash, "session-1");
  EXPECT_EQ(mine.peers, 2);
  EXPECT_FALSE(mine.seeding);
  second_client.left = 0;
  Do(second_client);
  EXPECT_TRUE(swarms_.PeersOfSession(kHash, "session-1").seeding);
  EXPECT_EQ(swarms_.PeersOfSession(kHash, "session-2").peers, 1);
  EXPECT_FALSE(swarms_.PeersOfSession(kHash, "session-2").seeding);
  EXPECT_EQ(swarms_.PeersOfSession(kHash, "session-9").peers, 0);
  EXPECT_EQ(swarms_.PeersOfSession(std::string(20, 'x'), "session-1").peers, 0);
}

TEST_F(SwarmsTest, SilentPeersExpire) {
  Swarms swarms(SwarmsOptions{.shards = 2, .peer_ttl = absl::Minutes(30)});
  AnnounceResult r;
  ASSERT_TRUE(swarms.Announce(At(kHash, 1, 0), absl::FromUnixSeconds(0), rng_, &r).ok());
  ASSERT_TRUE(swarms.Announce(At(kHash, 2, 9), absl::FromUnixSeconds(1200), rng_, &r).ok());
  EXPECT_EQ(swarms.Expire(absl::FromUnixSeconds(1801)), 1);  // peer 1, silent 30 min and 1 s
  EXPECT_EQ(swarms.peers(), 1);
  EXPECT_EQ(swarms.Expire(absl::FromUnixSeconds(3001)), 1);
  EXPECT_EQ(swarms.swarms(), 0);
}

TEST_F(SwarmsTest, ManyThreadsAnnounceAtOnce) {
  constexpr int kThreads = 4, kSwarms = 50, kPeers = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Rng rng(t);
      for (int s = t; s < kSwarms; s += kThreads) {
        const std::string hash = std::string(16, 's') + std::to_string(1000 + s);
        for (int p = 0; p < kPeers; ++p) {
          AnnounceResult r;
          ASSERT_TRUE(swarms_.Announce(At(hash, p, p % 2), absl::FromUnixSeconds(5), rng, &r).ok());
          ASSERT_EQ(r.seeders + r.leechers, p + 1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(swarms_.swarms(), kSwarms);
  EXPECT_EQ(swarms_.peers(), kSwarms * kPeers);
}

}  // namespace
}  // namespace p2pims::tracker
