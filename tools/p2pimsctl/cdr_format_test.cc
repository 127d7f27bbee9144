#include "tools/p2pimsctl/cdr_format.h"

#include <gtest/gtest.h>

#include <set>

namespace p2pims::ctl {
namespace {

cv1::Cdr Sample() {
  cv1::Cdr c;
  c.set_sequence(42);
  c.set_record_type("session");
  c.set_icid("icid,1");
  c.set_served_identity("sip:alice@ims.example.net");
  c.set_content_id("sintel");
  c.set_owner("blender \"foundation\"");
  c.set_bytes_down(1048576);
  c.mutable_charge()->set_minor(299);
  c.mutable_charge()->set_currency("EUR");
  c.set_retransmission(true);
  c.set_cause_for_record_closing(cv1::CAUSE_FOR_RECORD_CLOSING_NORMAL_RELEASE);
  c.set_incomplete(false);
  c.set_owner_share_bp(7000);
  c.mutable_owner_share()->set_minor(209);
  c.mutable_owner_share()->set_currency("EUR");
  return c;
}

TEST(CdrFormatTest, NamesFollowTheProtoWithMoneyFlattened) {
  const std::vector<std::string> names = CdrFieldNames(CdrFields::kFile);
  ASSERT_GE(names.size(), 3u);
  EXPECT_EQ(names[0], "sequence");
  EXPECT_EQ(names[1], "record_type");
  const std::set<std::string> set(names.begin(), names.end());
  EXPECT_EQ(set.size(), names.size()) << "names are unique";
  for (const char* n : {"charge_minor", "charge_currency", "incentive_minor", "rated_price_minor",
                        "owner_share_minor", "owner_share_currency", "cause_for_record_closing",
                        "record_closure_time_ms", "served_identity"}) {
    EXPECT_TRUE(set.contains(n)) << n;
  }
  EXPECT_FALSE(set.contains("charge"));
  EXPECT_FALSE(set.contains("retransmission")) << "a delivery property, not in files";
  const std::vector<std::string> delivery = CdrFieldNames(CdrFields::kDelivery);
  EXPECT_EQ(delivery.size(), names.size() + 1);
}

TEST(CdrFormatTest, EveryProtoFieldIsCovered) {
  const auto* d = cv1::Cdr::descriptor();
  size_t expected = 0;
  for (int i = 0; i < d->field_count(); ++i) {
    expected += d->field(i)->message_type() == cv1::Money::descriptor() ? 2 : 1;
  }
  EXPECT_EQ(CdrFieldNames(CdrFields::kDelivery).size(), expected);
}

TEST(CdrFormatTest, ValuesMatchNames) {
  const std::vector<CdrValue> values = CdrValues(Sample(), CdrFields::kFile);
  const std::vector<std::string> names = CdrFieldNames(CdrFields::kFile);
  ASSERT_EQ(values.size(), names.size());
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(values[i].name, names[i]);
}

TEST(CdrFormatTest, JsonAndCsvCarryTheSameValues) {
  const std::string json = CdrJson(Sample(), CdrFields::kFile);
  EXPECT_NE(json.find("\"sequence\":42,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"charge_minor\":299,\"charge_currency\":\"EUR\""), std::string::npos);
  EXPECT_NE(json.find("\"cause_for_record_closing\":\"normal_release\""), std::string::npos);
  EXPECT_NE(json.find("\"owner\":\"blender \\\"foundation\\\"\""), std::string::npos);
  EXPECT_NE(json.find("\"incomplete\":false"), std::string::npos);
  EXPECT_EQ(json.find("retransmission"), std::string::npos);
  EXPECT_NE(CdrJson(Sample(), CdrFields::kDelivery).find("\"retransmission\":true"),
            std::string::npos);

  const std::string csv = CdrCsvRecord(Sample());
  EXPECT_EQ(csv.substr(0, 20), "42,session,\"icid,1\",") << csv;
  EXPECT_NE(csv.find(",\"blender \"\"foundation\"\"\","), std::string::npos) << csv;
  EXPECT_NE(csv.find(",299,EUR,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",normal_release,"), std::string::npos) << csv;
  EXPECT_EQ(csv.substr(csv.size() - 2), "\r\n");
  EXPECT_EQ(CdrCsvHeader().substr(0, 25), "sequence,record_type,icid");
}

TEST(CdrFormatTest, UnspecifiedEnumIsEmpty) {
  cv1::Cdr c;
  const std::string json = CdrJson(c, CdrFields::kFile);
  EXPECT_NE(json.find("\"cause_for_record_closing\":\"\""), std::string::npos) << json;
  c.set_cause_for_record_closing(static_cast<cv1::CauseForRecordClosing>(99));
  EXPECT_NE(CdrJson(c, CdrFields::kFile).find("\"cause_for_record_closing\":\"99\""),
            std::string::npos);
}

TEST(CdrFormatTest, HumanOutput) {
  cv1::Cdr c = Sample();
  c.set_record_closure_time_ms(1767225600123);
  const std::string table = CdrTable({c});
  EXPECT_NE(table.find("2026-01-01T00:00:00Z"), std::string::npos) << table;
  EXPECT_NE(table.find("299 EUR"), std::string::npos) << table;
  EXPECT_NE(table.find("yes"), std::string::npos) << table;
  c.set_served_identity("sip:a b\x1b@x");
  const std::string line = CdrLine(c);
  EXPECT_NE(line.find("sequence=42 closed=2026-01-01T00:00:00Z served_identity=sip:a_b?@x "),
            std::string::npos)
      << line;
  EXPECT_EQ(line.back(), '\n');
}

}  // namespace
}  // namespace p2pims::ctl
