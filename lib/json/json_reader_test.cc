#include "lib/json/json_reader.h"

#include <gtest/gtest.h>

#include "lib/json/json.h"

namespace p2pims {
namespace {

TEST(JsonReaderTest, ReadsADescriptorLikeDocument) {
  auto v = ParseJson(R"( {"version":1,"name":"Tears \"of\" Steel","size":129241752,
      "announce":["http://a/announce","udp://b/s/k"],"ok":true,"none":null,"ratio":-0.5e1} )");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("version")->AsInt(), 1);
  EXPECT_EQ(v->Find("name")->text, "Tears \"of\" Steel");
  EXPECT_EQ(v->Find("size")->AsInt(), 129241752);
  ASSERT_EQ(v->Find("announce")->items.size(), 2u);
  EXPECT_EQ(v->Find("announce")->items[1].text, "udp://b/s/k");
  EXPECT_TRUE(v->Find("ok")->boolean);
  EXPECT_EQ(v->Find("none")->type, JsonValue::Type::kNull);
  EXPECT_DOUBLE_EQ(v->Find("ratio")->number, -5.0);
  EXPECT_EQ(v->Find("ratio")->AsInt(-1), -1);  // not an integer
  EXPECT_EQ(v->Find("missing"), nullptr);
}

TEST(JsonReaderTest, ReadsBackWhatTheWriterWrites) {
  const std::string tricky = "caf\xC3\xA9 \"q\" \\ \n\t\x01 \xF0\x9F\x8E\xAC";
  JsonObject o;
  o.Add("s", tricky).Add("n", int64_t{-9007199254740993});
  auto v = ParseJson(o.Close());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("s")->text, tricky);
  EXPECT_EQ(v->Find("n")->AsInt(), -9007199254740993);  // exact beyond a double's precision
}

TEST(JsonReaderTest, UnescapesUnicodeAndSurrogatePairs) {
  auto v = ParseJson(R"(["\u00e9\u20ac\ud83c\udfac\/"])");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->items[0].text, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x8E\xAC/");
}

TEST(JsonReaderTest, RefusesMalformedTextNamingWhere) {
  for (const char* bad : {"", "{", "{\"a\" 1}", "[1,]", "[1 2]", "01", "1.", "\"\\x\"",
                          "\"\\ud800\"", "\"a\nb\"", "tru", "{} x", "{\"a\":1,}", "-"}) {
    auto v = ParseJson(bad);
    EXPECT_FALSE(v.ok()) << bad;
    if (!v.ok()) {
      EXPECT_NE(v.status().message().find("bad JSON at byte"), std::string::npos);
    }
  }
  EXPECT_FALSE(ParseJson(std::string(100, '[') + std::string(100, ']')).ok());  // too deep
  EXPECT_TRUE(ParseJson(std::string(60, '[') + std::string(60, ']')).ok());
}

}  // namespace
}  // namespace p2pims
