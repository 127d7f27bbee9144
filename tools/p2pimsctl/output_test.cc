#include "tools/p2pimsctl/output.h"

#include <gtest/gtest.h>

#include "tools/p2pimsctl/table.h"

namespace p2pims::ctl {
namespace {

v1::Content Sample() {
  v1::Content c;
  c.set_content_id("sintel");
  c.set_title("Sintel\x1b[31m");
  c.set_owner("blender");
  c.set_info_hash_v1(std::string(20, '\xab'));
  c.set_size_bytes(123);
  c.mutable_licence()->set_price_model(v1::PRICE_MODEL_PER_BYTE);
  c.mutable_licence()->mutable_price()->set_minor(2);
  c.mutable_licence()->mutable_price()->set_currency("EUR");
  c.mutable_licence()->add_territories("262-01");
  return c;
}

TEST(OutputTest, ContentJsonUsesHexNamesAndNumbers) {
  const std::string json = ContentJson(Sample());
  std::string hex;
  for (int i = 0; i < 20; ++i) hex += "ab";
  EXPECT_NE(json.find("\"info_hash_v1\":\"" + hex + "\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"info_hash_v2\":\"\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"price_model\":\"per_byte\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"territories\":[\"262-01\"]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"withdrawn\":false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"title\":\"Sintel\\u001b[31m\""), std::string::npos) << json;
}

TEST(OutputTest, HumanOutputNeutralisesControlCharacters) {
  const std::string details = ContentDetails(Sample());
  EXPECT_EQ(details.find('\x1b'), std::string::npos);
  EXPECT_NE(details.find("title:        Sintel?[31m"), std::string::npos) << details;
  EXPECT_NE(details.find("2 EUR (minor units) per MiB"), std::string::npos) << details;
  EXPECT_EQ(ContentTable({Sample()}).find('\x1b'), std::string::npos);
  EXPECT_EQ(Printable("a\tb\nc\xc2\x9b"
                      "d é"),
            "a?b?c?d é");
}

TEST(OutputTest, TableAlignsColumns) {
  Table t({"ID", "TITLE"});
  t.AddRow({"sintel", "Sintel"});
  t.AddRow({"é", "x"});
  EXPECT_EQ(t.Render(), "ID      TITLE\nsintel  Sintel\né       x\n");
}

TEST(OutputTest, EntitlementStates) {
  v1::Entitlement e;
  e.set_entitlement_id("7");
  e.set_kind(v1::ENTITLEMENT_KIND_RENTAL);
  e.set_expires_at(100);
  EXPECT_NE(EntitlementTable({e}, 99).find("active"), std::string::npos);
  EXPECT_NE(EntitlementTable({e}, 100).find("expired"), std::string::npos);
  e.set_revoked(true);
  EXPECT_NE(EntitlementTable({e}, 99).find("revoked"), std::string::npos);
  EXPECT_EQ(JsonArray({}), "[]\n");
  EXPECT_EQ(JsonArray({"1", "2"}), "[\n1,\n2\n]\n");
}

}  // namespace
}  // namespace p2pims::ctl
