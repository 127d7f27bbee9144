#include "services/charging/rating.h"

#include <gtest/gtest.h>

namespace p2pims::charging {
namespace {

v1::Rating Rate(const std::string& model, int64_t minor) {
  v1::Rating r;
  r.set_price_model(model);
  r.mutable_price()->set_minor(minor);
  r.mutable_price()->set_currency("EUR");
  return r;
}

TEST(RatingTest, AvailableCountsReservationsAndCreditLimit) {
  EXPECT_EQ(Available("prepaid", 1000, 300, 5000), 700);
  EXPECT_EQ(Available("postpaid", -200, 100, 1000), 700);
}

TEST(RatingTest, ReservationByModel) {
  v1::ServiceUnits none;
  EXPECT_EQ(*ReservationFor(Rate("purchase", 299), none), 299);
  EXPECT_EQ(*ReservationFor(Rate("per_byte", 2), none), 200);  // default 100 MiB at 2 per MiB
  v1::ServiceUnits some;
  some.set_bytes_down(kMiB + 1);
  EXPECT_EQ(*ReservationFor(Rate("per_byte", 2), some), 3);  // pro rata, rounded up to a cent
  EXPECT_EQ(ReservationFor(Rate("bogus", 1), none).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsFree(Rate("free", 0)));
  EXPECT_TRUE(IsFree(Rate("purchase", 0)));
  EXPECT_FALSE(IsFree(Rate("purchase", 1)));
}

TEST(RatingTest, ChargeByModel) {
  EXPECT_EQ(ChargeFor("purchase", 299, 0, "normal"), 299);
  EXPECT_EQ(ChargeFor("per_byte", 10, 0, "normal"), 0);
  EXPECT_EQ(ChargeFor("per_byte", 10, 3 * kMiB, "normal"), 30);
  EXPECT_EQ(ChargeFor("free", 10, 3 * kMiB, "normal"), 0);
  EXPECT_EQ(ChargeFor("purchase", 299, 0, kCauseSetupFailed), 0);
  EXPECT_EQ(ChargeFor("per_byte", 10, 3 * kMiB, kCauseSetupFailed), 0);
}

TEST(RatingTest, SessionStateMachine) {
  using v1::REQUEST_TYPE_INITIAL, v1::REQUEST_TYPE_UPDATE, v1::REQUEST_TYPE_TERMINATION;
  EXPECT_TRUE(CheckSequence("", 0, REQUEST_TYPE_INITIAL, 0).ok());
  EXPECT_FALSE(CheckSequence("", 0, REQUEST_TYPE_INITIAL, 1).ok());
  EXPECT_FALSE(CheckSequence("open", 0, REQUEST_TYPE_INITIAL, 0).ok());
  EXPECT_FALSE(CheckSequence("", 0, REQUEST_TYPE_TERMINATION, 1).ok());
  EXPECT_TRUE(CheckSequence("open", 0, REQUEST_TYPE_UPDATE, 1).ok());
  EXPECT_FALSE(CheckSequence("open", 0, REQUEST_TYPE_UPDATE, 2).ok());
  EXPECT_TRUE(CheckSequence("open", 1, REQUEST_TYPE_TERMINATION, 2).ok());
  EXPECT_FALSE(CheckSequence("terminated", 2, REQUEST_TYPE_UPDATE, 3).ok());
  EXPECT_FALSE(CheckSequence("not_applicable", 0, REQUEST_TYPE_TERMINATION, 1).ok());
  EXPECT_EQ(CheckSequence("open", 0, v1::REQUEST_TYPE_UNSPECIFIED, 1).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RatingTest, EventsAreOneShot) {
  EXPECT_TRUE(CheckSequence("", 0, v1::REQUEST_TYPE_EVENT, 0).ok());
  EXPECT_FALSE(CheckSequence("", 0, v1::REQUEST_TYPE_EVENT, 1).ok());
  EXPECT_FALSE(CheckSequence("open", 0, v1::REQUEST_TYPE_EVENT, 0).ok());
}

TEST(RatingTest, BytesForIsTheInverseOfPerMiBRoundedInTheOperatorsFavour) {
  EXPECT_EQ(BytesFor(10, 30), 3 * kMiB);
  EXPECT_EQ(PerMiB(10, BytesFor(10, 31)), 31);
  EXPECT_LE(PerMiB(7, BytesFor(7, 1000)), 1000);
  EXPECT_EQ(BytesFor(0, 100), 0);
  EXPECT_EQ(BytesFor(10, 0), 0);
  // No overflow near the bounds the service accepts.
  EXPECT_EQ(PerMiB(1'000'000'000'000, int64_t{1} << 50), int64_t{1'000'000'000'000} << 30);
}

TEST(RatingTest, IncentiveRatesEachLocalityTierAndScalesByWhatWasCredited) {
  TariffRates t;
  t.incentive_per_gib = 1024;            // 1 per MiB
  t.incentive_same_area_per_gib = 2048;  // 2 per MiB
  t.incentive_same_cell_per_gib = 4096;  // 4 per MiB
  v1::ServiceUnits used;
  used.set_bytes_up(10 * kMiB);
  used.set_bytes_up_same_cell(2 * kMiB);
  used.set_bytes_up_same_area(3 * kMiB);
  // 2*4 + 3*2 + 5*1 = 19 for everything credited.
  EXPECT_EQ(IncentiveFor(t, used, 10 * kMiB), 19);
  EXPECT_EQ(IncentiveFor(t, used, 5 * kMiB), 9);  // half credited: 9.5 rounded down
  EXPECT_EQ(IncentiveFor(t, used, 0), 0);
  EXPECT_EQ(IncentiveFor(t, used, 20 * kMiB), 19);  // never more than claimed
  used.set_bytes_up(0);
  EXPECT_EQ(IncentiveFor(t, used, 10), 0);
}

TEST(RatingTest, PlausibleUsageFollowsTheSessionsOwnTime) {
  EXPECT_TRUE(CheckPlausible(60'000, 0, 1000).ok());  // a minute of slack
  EXPECT_FALSE(CheckPlausible(60'001, 0, 1000).ok());
  EXPECT_TRUE(CheckPlausible(70'000, 10'000, 1000).ok());
  EXPECT_EQ(CheckPlausible(1, -5, 0).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace p2pims::charging
