#include "services/tracker/peer_policy.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace p2pims::tracker {
namespace {

PeerTraits Peer(const std::string& path, bool seeder = false) {
  PeerTraits p;
  p.locality = ParseLocality(path);
  p.seeder = seeder;
  return p;
}

std::vector<uint32_t> Choose(PeerPolicy& policy, const PeerTraits& self,
                             const std::vector<PeerTraits>& candidates, int numwant,
                             uint64_t seed = 7) {
  Rng rng(seed);
  std::vector<uint32_t> out;
  policy.Choose(self, -1, candidates, numwant, rng, &out);
  return out;
}

TEST(LocalityTest, TiersCountTheSharedPrefix) {
  const Locality cell = ParseLocality("262-01/area-7/cell-31");
  EXPECT_EQ(SharedTier(cell, ParseLocality("262-01/area-7/cell-31")), 3);
  EXPECT_EQ(SharedTier(cell, ParseLocality("262-01/area-7/cell-32")), 2);
  EXPECT_EQ(SharedTier(cell, ParseLocality("262-01/area-8/cell-31")), 1);  // same name elsewhere
  EXPECT_EQ(SharedTier(cell, ParseLocality("262-02/area-7/cell-31")), 0);
  EXPECT_EQ(SharedTier(cell, ParseLocality("262-01")), 1);
  EXPECT_EQ(SharedTier(cell, ParseLocality("262-01/area-7/cell-31/sector-2")), 3);
  // Unknown localities share nothing, not even with each other.
  EXPECT_EQ(SharedTier(ParseLocality(""), ParseLocality("")), 0);
  EXPECT_EQ(SharedTier(ParseLocality("/x/y"), ParseLocality("/x/y")), 0);
  EXPECT_EQ(SharedTier(ParseLocality("262-01//cell-1"), ParseLocality("262-01//cell-1")), 1);
}

TEST(PeerPolicyTest, ALeecherGetsItsCellThenAreaThenNetworkThenElsewhere) {
  PeerPolicy policy(PolicyConfig{});
  const std::vector<PeerTraits> candidates = {
      Peer("262-02/a/c", true), Peer("262-01/b/d", true), Peer("262-01/a/d", true),
      Peer("262-01/a/c", true)};
  EXPECT_EQ(Choose(policy, Peer("262-01/a/c"), candidates, 10),
            (std::vector<uint32_t>{3, 2, 1, 0}));
  EXPECT_EQ(Choose(policy, Peer("262-01/a/c"), candidates, 2), (std::vector<uint32_t>{3, 2}));
}

TEST(PeerPolicyTest, WithinATierSeedersComeFirstForLeechersOnly) {
  PeerPolicy policy(PolicyConfig{});
  const std::vector<PeerTraits> candidates = {Peer("n/a/c"), Peer("n/a/c", true), Peer("n/a/c"),
                                              Peer("n/a/c", true)};
  const auto got = Choose(policy, Peer("n/a/c"), candidates, 4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(std::set<uint32_t>(got.begin(), got.begin() + 2), (std::set<uint32_t>{1, 3}));
  // A seeder is offered leechers only.
  const auto for_seeder = Choose(policy, Peer("n/a/c", true), candidates, 4);
  EXPECT_EQ(std::set<uint32_t>(for_seeder.begin(), for_seeder.end()), (std::set<uint32_t>{0, 2}));
}

TEST(PeerPolicyTest, ConstrainedPeersServeOnlyTheirOwnCell) {
  PeerPolicy policy(PolicyConfig{});
  PeerTraits mobile_here = Peer("n/a/c", true), mobile_there = Peer("n/a/d", true);
  mobile_here.constrained = mobile_there.constrained = true;
  const std::vector<PeerTraits> candidates = {mobile_here, mobile_there, Peer("n/b/e", true)};
  EXPECT_EQ(Choose(policy, Peer("n/a/c"), candidates, 10), (std::vector<uint32_t>{0, 2}));
}

TEST(PeerPolicyTest, PeersThatMayNotUploadAreOfferedOnlyToSeeders) {
  PeerPolicy policy(PolicyConfig{});
  PeerTraits mute = Peer("n/a/c");
  mute.upload_allowed = false;
  const std::vector<PeerTraits> candidates = {mute, Peer("n/a/c")};
  EXPECT_EQ(Choose(policy, Peer("n/a/c"), candidates, 10), (std::vector<uint32_t>{1}));
  EXPECT_EQ(Choose(policy, Peer("n/a/c", true), candidates, 10).size(), 2u);
}

TEST(PeerPolicyTest, OriginSeedsFillInOnlyWhenLocalSupplyIsShort) {
  PolicyConfig config;
  config.max_origin = 1;
  config.short_supply_below = 2;
  PeerPolicy policy(config);
  PeerTraits origin = Peer("core/dc/1", true);
  origin.origin = true;
  // One local leecher and no seeder: short, the origin comes last.
  std::vector<PeerTraits> candidates = {origin, Peer("n/a/c"), origin};
  const auto got = Choose(policy, Peer("n/a/c"), candidates, 10);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], 1u);
  EXPECT_TRUE(got[1] == 0 || got[1] == 2);
  // Enough local peers with a seeder among them: no origin.
  candidates.push_back(Peer("n/a/d", true));
  candidates.push_back(Peer("n/b/e"));
  const auto plenty = Choose(policy, Peer("n/a/c"), candidates, 10);
  EXPECT_EQ(std::set<uint32_t>(plenty.begin(), plenty.end()), (std::set<uint32_t>{1, 3, 4}));
  // Enough peers but no seeder: the origin still comes.
  std::vector<PeerTraits> leechers = {origin, Peer("n/a/c"), Peer("n/a/c"), Peer("n/a/d")};
  EXPECT_EQ(Choose(policy, Peer("n/a/c"), leechers, 10).back(), 0u);
  // Seeders never get origin seeds.
  EXPECT_TRUE(Choose(policy, Peer("n/a/c", true), leechers, 10).size() == 3);
}

TEST(PeerPolicyTest, EachAnnounceDrawsAFreshSampleWithinATier) {
  PeerPolicy policy(PolicyConfig{});
  std::vector<PeerTraits> candidates(40, Peer("n/a/c", true));
  Rng rng(42);
  std::set<uint32_t> firsts;
  std::vector<uint32_t> previous;
  int same_as_previous = 0;
  for (int i = 0; i < 200; ++i) {
    std::vector<uint32_t> got;
    policy.Choose(Peer("n/a/c"), -1, candidates, 5, rng, &got);
    ASSERT_EQ(got.size(), 5u);
    ASSERT_EQ(std::set<uint32_t>(got.begin(), got.end()).size(), 5u);  // no repeats
    firsts.insert(got[0]);
    if (got == previous) ++same_as_previous;
    previous = got;
  }
  EXPECT_EQ(firsts.size(), 40u);  // every peer is sometimes first
  EXPECT_EQ(same_as_previous, 0);
}

TEST(PeerPolicyTest, ATierShareLeavesRoomForTheNextTier) {
  PolicyConfig config;
  config.tier_share = {0.5, 1.0, 1.0, 1.0};
  PeerPolicy policy(config);
  std::vector<PeerTraits> candidates(10, Peer("n/a/c", true));
  candidates.push_back(Peer("n/a/d", true));
  candidates.push_back(Peer("n/a/e", true));
  const auto got = Choose(policy, Peer("n/a/c"), candidates, 4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_LT(got[0], 10u);
  EXPECT_LT(got[1], 10u);
  EXPECT_EQ(std::set<uint32_t>(got.begin() + 2, got.end()), (std::set<uint32_t>{10, 11}));
}

TEST(PeerPolicyTest, ASmallShareGivesATierPeerToThatFractionOfReplies) {
  PolicyConfig config;
  config.tier_share = {1.0, 0.001, 0.001, 0.001};  // 0.2 of a peer per reply of 200
  PeerPolicy policy(config);
  std::vector<PeerTraits> candidates(5, Peer("n/a/c", true));  // 0..4: same cell
  candidates.resize(10, Peer("n/a/d", true));                  // 5..9: same area
  Rng rng(42);
  int with_area_peer = 0;
  for (int i = 0; i < 1000; ++i) {
    std::vector<uint32_t> got;
    policy.Choose(Peer("n/a/c"), -1, candidates, 200, rng, &got);
    ASSERT_GE(got.size(), 5u);
    ASSERT_LE(got.size(), 6u);  // the cell, and at most one from the area
    with_area_peer += got.size() == 6 ? 1 : 0;
  }
  EXPECT_GT(with_area_peer, 150);  // about a fifth of 1,000
  EXPECT_LT(with_area_peer, 250);
}

TEST(PeerPolicyTest, WithoutLocalityAllTiersAreOneRandomSample) {
  PolicyConfig config;
  config.tier_share = {0.2, 0.2, 0.2, 0.2};  // not applied without locality
  config.locality = false;
  PeerPolicy random(config);
  PeerPolicy ranked(PolicyConfig{});
  std::vector<PeerTraits> candidates(10, Peer("n/a/c", true));  // 0..9: same cell
  candidates.resize(20, Peer("m/x/y", true));                   // 10..19: another network
  Rng rng(42), rng_ranked(42);
  int elsewhere = 0, elsewhere_ranked = 0;
  for (int i = 0; i < 200; ++i) {
    std::vector<uint32_t> got, got_ranked;
    random.Choose(Peer("n/a/c"), -1, candidates, 5, rng, &got);
    ranked.Choose(Peer("n/a/c"), -1, candidates, 5, rng_ranked, &got_ranked);
    ASSERT_EQ(got.size(), 5u);
    for (uint32_t g : got) elsewhere += g >= 10 ? 1 : 0;
    for (uint32_t g : got_ranked) elsewhere_ranked += g >= 10 ? 1 : 0;
  }
  EXPECT_EQ(elsewhere_ranked, 0);  // with locality the cell fills every reply
  EXPECT_GT(elsewhere, 400);       // without, half of the 1,000 picks, give or take
  EXPECT_LT(elsewhere, 600);
  // Everything when numwant allows it, whatever the shares.
  EXPECT_EQ(Choose(random, Peer("n/a/c"), candidates, 50).size(), 20u);
}

TEST(PeerPolicyTest, WithoutLocalityEligibilityAndOriginFillInStay) {
  PolicyConfig config;
  config.locality = false;
  config.max_origin = 1;
  PeerPolicy policy(config);
  PeerTraits mobile_there = Peer("n/a/d", true), origin = Peer("core/dc/1", true);
  mobile_there.constrained = true;
  origin.origin = true;
  // The metered peer of another cell is no source; the supply is short, so the origin fills in.
  const std::vector<PeerTraits> candidates = {mobile_there, Peer("m/x/y", true), origin};
  EXPECT_EQ(Choose(policy, Peer("n/a/c"), candidates, 10), (std::vector<uint32_t>{1, 2}));
}

TEST(PeerPolicyTest, NeverSelfAndNothingForNothing) {
  PeerPolicy policy(PolicyConfig{});
  const std::vector<PeerTraits> candidates = {Peer("n/a/c", true), Peer("n/a/c", true)};
  Rng rng(1);
  std::vector<uint32_t> got;
  policy.Choose(Peer("n/a/c"), 0, candidates, 10, rng, &got);
  EXPECT_EQ(got, (std::vector<uint32_t>{1}));
  got.clear();
  policy.Choose(Peer("n/a/c"), -1, candidates, 0, rng, &got);
  EXPECT_TRUE(got.empty());
  policy.Choose(Peer("n/a/c"), -1, {}, 5, rng, &got);
  EXPECT_TRUE(got.empty());
}

TEST(PolicyConfigTest, OutOfRangeValuesAreRefusedByName) {
  PolicyConfig c;
  EXPECT_TRUE(c.Validate().ok());
  c.max_origin = -1;
  EXPECT_NE(c.Validate().message().find("max_origin"), std::string::npos);
  c = PolicyConfig{};
  c.tier_share[2] = 0;
  EXPECT_NE(c.Validate().message().find("tier_share"), std::string::npos);
  c = PolicyConfig{};
  c.short_supply_below = 5000;
  EXPECT_EQ(c.Validate().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace p2pims::tracker
