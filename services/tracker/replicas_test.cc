#include "services/tracker/replicas.h"

#include <gtest/gtest.h>

#include <vector>

namespace p2pims::tracker {
namespace {

InfoHash HashOf(uint64_t prefix) {
  InfoHash h{};
  for (int i = 7; i >= 0; --i, prefix >>= 8) h[i] = static_cast<char>(prefix & 0xff);
  return h;
}

TEST(ReplicaMapTest, EachHashHasOneOwnerAndTheHostNamesIt) {
  auto map = ReplicaMap::Create({.count = 3, .self = 1, .announce_host = "tracker-{i}.t:6969"});
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->Owner(HashOf(0)), 0);
  EXPECT_EQ(map->Owner(HashOf(4)), 1);
  EXPECT_EQ(map->Owner(HashOf(0xffffffffffffffff)), static_cast<int>(0xffffffffffffffff % 3));
  EXPECT_TRUE(map->Owns(HashOf(7)));
  EXPECT_FALSE(map->Owns(HashOf(8)));
  EXPECT_EQ(map->AnnounceHost(2), "tracker-2.t:6969");
}

TEST(ReplicaMapTest, HashesSpreadEvenly) {
  auto map = ReplicaMap::Create({.count = 4, .self = 0, .announce_host = "t{i}:1"});
  ASSERT_TRUE(map.ok());
  std::vector<int> owned(4);
  uint64_t x = 88172645463325252ull;  // xorshift: a stand-in for SHA-1 prefixes
  for (int i = 0; i < 40000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    ++owned[map->Owner(HashOf(x))];
  }
  for (int n : owned) EXPECT_NEAR(n, 10000, 500);
}

TEST(ReplicaMapTest, BadConfigurationsAreRefused) {
  EXPECT_FALSE(ReplicaMap::Create({.count = 0}).ok());
  EXPECT_FALSE(ReplicaMap::Create({.count = 2, .self = 2, .announce_host = "t{i}:1"}).ok());
  EXPECT_FALSE(ReplicaMap::Create({.count = 2, .self = 0, .announce_host = "t:1"}).ok())
      << "two replicas behind one name would split every swarm";
  EXPECT_TRUE(ReplicaMap::Create({.count = 1, .self = 0, .announce_host = "t:1"}).ok());
}

TEST(ReplicaMapTest, AnnounceUrlsPutHttpsFirstAndCanLeaveThePlainOnesOut) {
  auto plain = ReplicaMap::Create({.count = 2, .self = 0, .announce_host = "t{i}:6969"});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->AnnounceUrls(1, "TOKEN", "KEY"),
            (std::vector<std::string>{"http://t1:6969/a/TOKEN/announce", "udp://t1:6969/s/KEY"}));
  auto both = ReplicaMap::Create({.count = 2,
                                  .self = 0,
                                  .announce_host = "t{i}:6969",
                                  .https_announce_host = "t{i}.example.net:443"});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->AnnounceUrls(1, "TOKEN", "KEY"),
            (std::vector<std::string>{"https://t1.example.net:443/a/TOKEN/announce",
                                      "http://t1:6969/a/TOKEN/announce", "udp://t1:6969/s/KEY"}));
  auto https_only = ReplicaMap::Create({.count = 1,
                                        .announce_host = "t:6969",
                                        .https_announce_host = "t.example.net:443",
                                        .plain_announce_urls = false});
  ASSERT_TRUE(https_only.ok());
  EXPECT_EQ(https_only->AnnounceUrls(0, "TOKEN", "KEY"),
            (std::vector<std::string>{"https://t.example.net:443/a/TOKEN/announce"}));
  EXPECT_FALSE(ReplicaMap::Create({.count = 2, .announce_host = "t{i}:1",
                                   .https_announce_host = "t.example.net:443"})
                   .ok())
      << "every replica needs its own HTTPS name too";
  EXPECT_FALSE(ReplicaMap::Create({.count = 1, .announce_host = "t:1",
                                   .plain_announce_urls = false})
                   .ok())
      << "no URL at all";
}

TEST(ReplicaMapTest, OrdinalsComeFromTheNodeIdsTrailingNumber) {
  EXPECT_EQ(OrdinalOf("p2pims-tracker-12"), 12);
  EXPECT_EQ(OrdinalOf("tracker-0"), 0);
  EXPECT_EQ(OrdinalOf("tracker"), -1);
  EXPECT_EQ(OrdinalOf(""), -1);
}

}  // namespace
}  // namespace p2pims::tracker
