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

EntitlementRecord Purchase(std::string content_id) {
  EntitlementRecord e;
  e.kind = "purchase";
  e.content_ids = {std::move(content_id)};
  return e;
}

Circumstances At(int64_t now) { return {.now = now}; }

TEST(PolicyTest, UnknownContent) {
  EXPECT_EQ(Decide(std::nullopt, {}, At(0)).reason, v1::DENY_REASON_UNKNOWN_CONTENT);
}

TEST(PolicyTest, PaidContentNeedsAnEntitlementThatCoversIt) {
  EXPECT_EQ(Decide(Movie(), {}, At(0)).reason, v1::DENY_REASON_NOT_ENTITLED);
  EXPECT_FALSE(Decide(Movie(), {Purchase("other")}, At(0)).allowed);
  EXPECT_TRUE(Decide(Movie(), {Purchase("movie-1")}, At(0)).allowed);
  EntitlementRecord sub;
  sub.kind = "subscription";
  sub.owner = "studio";
  EXPECT_TRUE(Decide(Movie(), {sub}, At(0)).allowed);
  sub.owner = "other-studio";
  EXPECT_FALSE(Decide(Movie(), {sub}, At(0)).allowed);
}

TEST(PolicyTest, FreeContentNeedsNoEntitlement) {
  ContentRecord c = Movie();
  c.price_model = v1::PRICE_MODEL_FREE;
  EXPECT_TRUE(Decide(c, {}, At(0)).allowed);
}

TEST(PolicyTest, PerByteContentNeedsNoEntitlementAndIsTheOnlyOneChargedPerSession) {
  ContentRecord c = Movie();
  EXPECT_EQ(SessionPrice(c), 0);  // the purchase was paid when the entitlement was granted
  c.price_model = v1::PRICE_MODEL_PER_BYTE;
  c.price_minor = 5;
  EXPECT_TRUE(Decide(c, {}, At(0)).allowed);
  EXPECT_EQ(SessionPrice(c), 5);
}

TEST(PolicyTest, WithdrawnAndWindowComeBeforeEntitlement) {
  ContentRecord c = Movie();
  c.withdrawn = true;
  EXPECT_EQ(Decide(c, {Purchase("movie-1")}, At(0)).reason, v1::DENY_REASON_WITHDRAWN);
  c = Movie();
  c.window_start = 100;
  c.window_end = 200;
  EXPECT_EQ(Decide(c, {Purchase("movie-1")}, At(99)).reason, v1::DENY_REASON_OUTSIDE_WINDOW);
  EXPECT_TRUE(Decide(c, {Purchase("movie-1")}, At(100)).allowed);
  EXPECT_EQ(Decide(c, {Purchase("movie-1")}, At(200)).reason, v1::DENY_REASON_OUTSIDE_WINDOW);
}

TEST(PolicyTest, OperatorSeedsNeedOnlyContentThatIsNotWithdrawn) {
  EXPECT_EQ(DecideOperatorSeed(std::nullopt).reason, v1::DENY_REASON_UNKNOWN_CONTENT);
  ContentRecord c = Movie();
  c.window_start = 100;
  c.territories = {"262-01"};
  c.device_limit = 1;
  EXPECT_TRUE(DecideOperatorSeed(c).allowed) << "no entitlement, window, territory or devices";
  c.withdrawn = true;
  EXPECT_EQ(DecideOperatorSeed(c).reason, v1::DENY_REASON_WITHDRAWN);
}

TEST(PolicyTest, TerritoryNeedsVerifiedLocalityOnAPathBoundary) {
  ContentRecord c = Movie();
  c.price_model = v1::PRICE_MODEL_FREE;
  c.territories = {"262-01"};
  auto at = [](std::string_view locality, bool verified) {
    return Circumstances{.locality = locality, .locality_verified = verified};
  };
  EXPECT_EQ(Decide(c, {}, at("262-01/a1/c1", false)).reason, v1::DENY_REASON_TERRITORY);
  EXPECT_TRUE(Decide(c, {}, at("262-01/a1/c1", true)).allowed);
  EXPECT_EQ(Decide(c, {}, at("262-012/a1", true)).reason, v1::DENY_REASON_TERRITORY);
  EXPECT_EQ(Decide(c, {}, at("", true)).reason, v1::DENY_REASON_TERRITORY);
}

TEST(PolicyTest, CountryTerritoryCoversEveryNetworkOfItsMobileCountryCodes) {
  EXPECT_TRUE(InTerritory("DE", "262-01/a1/c1"));
  EXPECT_TRUE(InTerritory("DE", "262-07"));
  EXPECT_FALSE(InTerritory("DE", "208-01/a1"));  // France
  EXPECT_TRUE(InTerritory("GB", "234-15/x"));
  EXPECT_TRUE(InTerritory("GB", "235-01/x"));
  EXPECT_TRUE(InTerritory("US", "310-260/x"));
  EXPECT_FALSE(InTerritory("DE", "wlan/ap-17"));
  EXPECT_FALSE(InTerritory("DE", "26"));
}

TEST(PolicyTest, RevokedOrExpiredEntitlementsAreToldApart) {
  EntitlementRecord revoked = Purchase("movie-1");
  revoked.revoked = true;
  Decision d = Decide(Movie(), {revoked}, At(1000));
  EXPECT_EQ(d.reason, v1::DENY_REASON_REVOKED);
  EXPECT_EQ(d.message, "entitlement revoked");

  EntitlementRecord rental = Purchase("movie-1");
  rental.kind = "rental";
  rental.expires_at = 1000;
  d = Decide(Movie(), {rental}, At(1000));
  EXPECT_EQ(d.reason, v1::DENY_REASON_NOT_ENTITLED);
  EXPECT_EQ(d.message, "entitlement expired");
  // Another active entitlement still allows, whatever else was revoked.
  EXPECT_TRUE(Decide(Movie(), {revoked, Purchase("movie-1")}, At(1000)).allowed);
}

TEST(PolicyTest, AllowedUntilTheLongestLastingEntitlementEnds) {
  EntitlementRecord short_rental = Purchase("movie-1");
  short_rental.expires_at = 2000;
  EntitlementRecord long_rental = short_rental;
  long_rental.expires_at = 5000;
  EXPECT_EQ(Decide(Movie(), {short_rental, long_rental}, At(1000)).entitled_until, 5000);
  EXPECT_EQ(Decide(Movie(), {short_rental, Purchase("movie-1")}, At(1000)).entitled_until, 0);
}

TEST(PolicyTest, ABanRefusesEvenFreeContentUntilItEnds) {
  ContentRecord c = Movie();
  c.price_model = v1::PRICE_MODEL_FREE;
  EXPECT_EQ(Decide(c, {}, {.barred_until = 2000, .now = 1000}).reason, v1::DENY_REASON_REVOKED);
  EXPECT_TRUE(Decide(c, {}, {.barred_until = 2000, .now = 2000}).allowed);
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
