#include "services/rights/policy.h"

#include <gtest/gtest.h>

namespace p2pims::rights {
namespace {

ContentRecord Movie() {
  ContentRecord c;
  c.content_id = "movie-1";
  c.owner = "studio";
  c.price_model = v1::PRICE_MODEL_PURCHASE;
  c.price_minor = 299;
  return c;
}

TEST(PolicyTest, UnknownContent) {
  EXPECT_EQ(Decide(std::nullopt, {}, "", false, 0).reason, v1::DENY_REASON_UNKNOWN_CONTENT);
}

TEST(PolicyTest, PaidContentNeedsAnEntitlementThatCoversIt) {
  EXPECT_EQ(Decide(Movie(), {}, "", false, 0).reason, v1::DENY_REASON_NOT_ENTITLED);
  EXPECT_FALSE(Decide(Movie(), {{"purchase", {"other"}, ""}}, "", false, 0).allowed);
  EXPECT_TRUE(Decide(Movie(), {{"purchase", {"movie-1"}, ""}}, "", false, 0).allowed);
  EXPECT_TRUE(Decide(Movie(), {{"subscription", {}, "studio"}}, "", false, 0).allowed);
}

TEST(PolicyTest, FreeContentNeedsNoEntitlement) {
  ContentRecord c = Movie();
  c.price_model = v1::PRICE_MODEL_FREE;
  EXPECT_TRUE(Decide(c, {}, "", false, 0).allowed);
}

TEST(PolicyTest, PerByteContentNeedsNoEntitlementAndIsTheOnlyOneChargedPerSession) {
  ContentRecord c = Movie();
  EXPECT_EQ(SessionPrice(c), 0);  // the purchase was paid when the entitlement was granted
  c.price_model = v1::PRICE_MODEL_PER_BYTE;
  c.price_minor = 5;
  EXPECT_TRUE(Decide(c, {}, "", false, 0).allowed);
  EXPECT_EQ(SessionPrice(c), 5);
}

TEST(PolicyTest, WithdrawnAndWindowComeBeforeEntitlement) {
  ContentRecord c = Movie();
  c.withdrawn = true;
  EXPECT_EQ(Decide(c, {{"purchase", {"movie-1"}, ""}}, "", false, 0).reason,
            v1::DENY_REASON_WITHDRAWN);
  c = Movie();
  c.window_start = 100;
  c.window_end = 200;
  EXPECT_EQ(Decide(c, {{"purchase", {"movie-1"}, ""}}, "", false, 99).reason,
            v1::DENY_REASON_OUTSIDE_WINDOW);
  EXPECT_TRUE(Decide(c, {{"purchase", {"movie-1"}, ""}}, "", false, 100).allowed);
  EXPECT_EQ(Decide(c, {{"purchase", {"movie-1"}, ""}}, "", false, 200).reason,
            v1::DENY_REASON_OUTSIDE_WINDOW);
}

TEST(PolicyTest, TerritoryNeedsVerifiedLocalityOnAPathBoundary) {
  ContentRecord c = Movie();
  c.price_model = v1::PRICE_MODEL_FREE;
  c.territories = {"262-01"};
  EXPECT_EQ(Decide(c, {}, "262-01/a1/c1", false, 0).reason, v1::DENY_REASON_TERRITORY);
  EXPECT_TRUE(Decide(c, {}, "262-01/a1/c1", true, 0).allowed);
  EXPECT_EQ(Decide(c, {}, "262-012/a1", true, 0).reason, v1::DENY_REASON_TERRITORY);
  EXPECT_EQ(Decide(c, {}, "", true, 0).reason, v1::DENY_REASON_TERRITORY);
}

TEST(PolicyTest, PriceModelNamesRoundTrip) {
  for (auto m : {v1::PRICE_MODEL_FREE, v1::PRICE_MODEL_PURCHASE, v1::PRICE_MODEL_RENTAL,
                 v1::PRICE_MODEL_SUBSCRIPTION, v1::PRICE_MODEL_PER_BYTE}) {
    EXPECT_EQ(PriceModelFromName(PriceModelName(m)), m);
  }
  EXPECT_EQ(PriceModelFromName("bogus"), v1::PRICE_MODEL_UNSPECIFIED);
}

}  // namespace
}  // namespace p2pims::rights
