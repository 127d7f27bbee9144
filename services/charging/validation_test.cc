#include "services/charging/validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace p2pims::charging {
namespace {

v1::CreditControlRequest Initial() {
  v1::CreditControlRequest r;
  r.set_session_id("s1");
  r.set_subject("sip:alice@x");
  r.set_request_type(v1::REQUEST_TYPE_INITIAL);
  r.mutable_rating()->set_price_model("per_byte");
  r.mutable_rating()->mutable_price()->set_minor(5);
  r.mutable_rating()->mutable_price()->set_currency("EUR");
  return r;
}

TEST(ChargingValidationTest, CreditControlRequests) {
  EXPECT_TRUE(CheckCreditControl(Initial()).ok());
  const std::vector<std::pair<std::string, std::function<void(v1::CreditControlRequest&)>>> bad =
      {
          {"no session", [](auto& r) { r.clear_session_id(); }},
          {"no subject", [](auto& r) { r.clear_subject(); }},
          {"negative number", [](auto& r) { r.set_request_number(-1); }},
          {"no type", [](auto& r) { r.set_request_type(v1::REQUEST_TYPE_UNSPECIFIED); }},
          {"negative bytes", [](auto& r) { r.mutable_used()->set_bytes_down(-1); }},
          {"overflowing bytes", [](auto& r) { r.mutable_used()->set_bytes_up(kMaxBytes + 1); }},
          {"cell beyond up",
           [](auto& r) {
             r.mutable_used()->set_bytes_up(5);
             r.mutable_used()->set_bytes_up_same_cell(6);
           }},
          {"negative price", [](auto& r) { r.mutable_rating()->mutable_price()->set_minor(-1); }},
          {"overflowing price",
           [](auto& r) { r.mutable_rating()->mutable_price()->set_minor(kMaxMinor + 1); }},
          {"bad currency",
           [](auto& r) { r.mutable_rating()->mutable_price()->set_currency("EURO"); }},
          {"owner share", [](auto& r) { r.mutable_rating()->set_owner_share_bp(10001); }},
      };
  for (const auto& [name, spoil] : bad) {
    v1::CreditControlRequest r = Initial();
    spoil(r);
    EXPECT_EQ(CheckCreditControl(r).code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST(ChargingValidationTest, AccountsAdjustmentsAndTariffs) {
  v1::Account a;
  a.set_subject("sip:alice@x");
  a.set_kind(v1::ACCOUNT_KIND_PREPAID);
  a.mutable_balance()->set_currency("EUR");
  EXPECT_TRUE(CheckNewAccount(a).ok());
  a.mutable_credit_limit()->set_minor(100);
  EXPECT_FALSE(CheckNewAccount(a).ok()) << "prepaid with a credit limit";
  a.set_kind(v1::ACCOUNT_KIND_POSTPAID);
  EXPECT_TRUE(CheckNewAccount(a).ok());
  a.mutable_balance()->set_currency("XAU");
  EXPECT_FALSE(CheckNewAccount(a).ok());

  v1::AdjustBalanceRequest adj;
  adj.set_subject("sip:alice@x");
  adj.set_reason("top-up");
  adj.mutable_amount()->set_minor(500);
  adj.mutable_amount()->set_currency("EUR");
  EXPECT_TRUE(CheckAdjustment(adj).ok());
  adj.mutable_amount()->set_minor(0);
  EXPECT_FALSE(CheckAdjustment(adj).ok());
  adj.mutable_amount()->set_minor(-kMaxMinor - 1);
  EXPECT_FALSE(CheckAdjustment(adj).ok());

  v1::Tariff t;
  t.set_tariff_id("2026-12");
  t.set_currency("EUR");
  t.set_validity_seconds(600);
  t.set_per_byte_grant_bytes(1 << 20);
  EXPECT_TRUE(CheckTariff(t).ok());
  t.set_tariff_id("bad id");
  EXPECT_FALSE(CheckTariff(t).ok());
  t.set_tariff_id("ok");
  t.set_validity_seconds(0);
  EXPECT_FALSE(CheckTariff(t).ok());
  t.set_validity_seconds(600);
  t.set_incentive_per_gib_minor(-1);
  EXPECT_FALSE(CheckTariff(t).ok());
}

}  // namespace
}  // namespace p2pims::charging
