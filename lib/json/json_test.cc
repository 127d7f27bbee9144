#include "lib/json/json.h"

#include <gtest/gtest.h>

namespace p2pims {
namespace {

TEST(JsonTest, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\nd\x01", 8));
  EXPECT_EQ(out, R"("a\"b\\c\nd\u0001")");
}

TEST(JsonTest, InvalidUtf8BecomesTheReplacementCharacter) {
  std::string out;
  AppendJsonString(out, "caf\xC3\xA9 \xFF");
  EXPECT_EQ(out, "\"caf\xC3\xA9 \xEF\xBF\xBD\"");
}

TEST(JsonTest, BuildsObjectsInInsertionOrder) {
  JsonObject o;
  o.Add("s", "v").Add("n", int64_t{-3}).Add("b", true).Add("raw", JsonObject::Raw{"[1,2]"});
  EXPECT_EQ(o.Close(), R"({"s":"v","n":-3,"b":true,"raw":[1,2]})");
  EXPECT_EQ(o.Close(), "{}");
}

TEST(JsonTest, NonFiniteDoublesBecomeNull) {
  JsonObject o;
  o.Add("x", 1.0 / 0.0);
  EXPECT_EQ(o.Close(), R"({"x":null})");
}

}  // namespace
}  // namespace p2pims
