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

}  // namespace
}  // namespace p2pims::charging
