#include "services/origin/seed_access.h"

#include <gtest/gtest.h>

namespace p2pims::origin {
namespace {

TEST(RenewalDueTest, ThreeQuartersOfTheTokensLife) {
  const absl::Time issued = absl::FromUnixSeconds(1'000'000);
  SeedGrant g{.issued_at = issued, .expires_at = issued + absl::Hours(4)};
  EXPECT_EQ(RenewalDue(g), issued + absl::Hours(3));
  g.expires_at = issued + absl::Minutes(8);
  EXPECT_EQ(RenewalDue(g), issued + absl::Minutes(6)) << "short tokens too, never at once";
}

}  // namespace
}  // namespace p2pims::origin
