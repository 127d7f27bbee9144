#include "tools/p2pimsctl/charging_output.h"

#include <gtest/gtest.h>

namespace p2pims::ctl {
namespace {

cv1::Account Postpaid() {
  cv1::Account a;
  a.set_subject("sip:bob@ims.example.net");
  a.set_kind(cv1::ACCOUNT_KIND_POSTPAID);
  a.mutable_balance()->set_minor(-100);
  a.mutable_balance()->set_currency("EUR");
  a.mutable_reserved()->set_minor(50);
  a.mutable_credit_limit()->set_minor(1000);
  return a;
}

TEST(ChargingOutputTest, AccountKinds) {
  EXPECT_EQ(AccountKindFromName("prepaid"), cv1::ACCOUNT_KIND_PREPAID);
  EXPECT_EQ(AccountKindFromName("postpaid"), cv1::ACCOUNT_KIND_POSTPAID);
  EXPECT_EQ(AccountKindFromName("Prepaid"), std::nullopt);
  EXPECT_EQ(AccountKindName(cv1::ACCOUNT_KIND_POSTPAID), "postpaid");
}

TEST(ChargingOutputTest, AvailableCountsTheCreditLimitOnlyForPostpaid) {
  cv1::Account a = Postpaid();
  EXPECT_EQ(Available(a), -100 + 1000 - 50);
  a.set_kind(cv1::ACCOUNT_KIND_PREPAID);
  EXPECT_EQ(Available(a), -150);
}

TEST(ChargingOutputTest, AccountJsonAndDetails) {
  const std::string json = AccountJson(Postpaid(), "k1");
  EXPECT_EQ(json,
            "{\"subject\":\"sip:bob@ims.example.net\",\"kind\":\"postpaid\",\"currency\":\"EUR\","
            "\"balance_minor\":-100,\"reserved_minor\":50,\"credit_limit_minor\":1000,"
            "\"incentive_earned_minor\":0,\"available_minor\":850,\"idempotency_key\":\"k1\"}");
  const std::string text = AccountDetails(Postpaid());
  EXPECT_NE(text.find("balance:          -100 EUR\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("idempotency_key"), std::string::npos);
}

TEST(ChargingOutputTest, TariffTableMarksTheVersionInForce) {
  cv1::Tariff future, current, old;
  future.set_tariff_id("2027");
  future.set_effective_from(2000);
  current.set_tariff_id("2026");
  current.set_effective_from(1000);
  old.set_tariff_id("default");
  old.set_effective_from(0);
  const std::string table = TariffTable({future, current, old}, 1500);
  EXPECT_NE(table.find("future"), std::string::npos) << table;
  EXPECT_NE(table.find("in force"), std::string::npos) << table;
  EXPECT_NE(table.find("past"), std::string::npos) << table;
  EXPECT_LT(table.find("2026"), table.find("in force"));
}

TEST(ChargingOutputTest, SettlementJsonTableAndCsvShareTheFields) {
  cv1::Settlement s;
  s.set_owner("blender, inc");
  s.mutable_gross()->set_minor(1000);
  s.mutable_gross()->set_currency("EUR");
  s.mutable_owner_share()->set_minor(700);
  s.mutable_operator_share()->set_minor(300);
  s.mutable_incentive_cost()->set_minor(12);
  s.set_cdr_count(4);
  s.set_sessions(3);
  s.set_bytes_down(5);
  s.set_bytes_up(6);
  EXPECT_EQ(SettlementJson(s),
            "{\"owner\":\"blender, inc\",\"currency\":\"EUR\",\"sessions\":3,\"bytes_down\":5,"
            "\"bytes_up\":6,\"gross_minor\":1000,\"owner_share_minor\":700,"
            "\"operator_share_minor\":300,\"incentive_cost_minor\":12,\"cdr_count\":4}");
  EXPECT_EQ(SettlementCsv({s}),
            "owner,currency,sessions,bytes_down,bytes_up,gross_minor,owner_share_minor,"
            "operator_share_minor,incentive_cost_minor,cdr_count\r\n"
            "\"blender, inc\",EUR,3,5,6,1000,700,300,12,4\r\n");
  const std::string table = SettlementTable({s});
  EXPECT_EQ(table.find("OWNER"), 0u) << table;
  EXPECT_NE(table.find("INCENTIVE_COST_MINOR"), std::string::npos) << table;
}

}  // namespace
}  // namespace p2pims::ctl
