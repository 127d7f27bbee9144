// The per-source limit of cold admissions as pure logic, with a clock the test moves.
#include "services/tracker/source_limiter.h"

#include <gtest/gtest.h>

namespace p2pims::tracker {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(SourceLimiterTest, ABurstThenTheSteadyRate) {
  SourceLimiter limiter(/*per_second=*/10, /*burst=*/5);
  const uint64_t a = SourceOf(PeerAddress::V4({10, 0, 0, 1}));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Allow(a, kT0)) << i;
  EXPECT_FALSE(limiter.Allow(a, kT0));
  EXPECT_FALSE(limiter.Allow(a, kT0 + absl::Milliseconds(50)));  // a tenth of a second refills one
  EXPECT_TRUE(limiter.Allow(a, kT0 + absl::Milliseconds(100)));
  EXPECT_FALSE(limiter.Allow(a, kT0 + absl::Milliseconds(100)));
  // Quiet for long: the whole burst again, never more.
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.Allow(a, kT0 + absl::Seconds(60));
  EXPECT_EQ(allowed, 5);
}

TEST(SourceLimiterTest, AddressesHaveTheirOwnLimitAndAnIpv6SlashSixtyFourIsOne) {
  SourceLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.Allow(SourceOf(PeerAddress::V4({10, 0, 0, 1})), kT0));
  EXPECT_FALSE(limiter.Allow(SourceOf(PeerAddress::V4({10, 0, 0, 1})), kT0));
  EXPECT_TRUE(limiter.Allow(SourceOf(PeerAddress::V4({10, 0, 0, 2})), kT0));
  std::array<uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};
  EXPECT_TRUE(limiter.Allow(SourceOf(PeerAddress::V6(v6)), kT0));
  v6[15] = 7;  // another host of the same /64
  EXPECT_FALSE(limiter.Allow(SourceOf(PeerAddress::V6(v6)), kT0));
}

TEST(SourceLimiterTest, NoRateOrNoSourceMeansNoLimit) {
  SourceLimiter off(0, 0);
  const uint64_t a = SourceOf(PeerAddress::V4({10, 0, 0, 1}));
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(off.Allow(a, kT0));
  SourceLimiter on(1, 1);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(on.Allow(0, kT0));
  EXPECT_NE(a, 0u);
}

}  // namespace
}  // namespace p2pims::tracker
