#include "lib/log/log.h"

#include <gtest/gtest.h>

namespace p2pims::log {
namespace {

TEST(LogTest, OneJsonObjectPerLineWithFields) {
  Init("svc");
  std::string line = Format(Level::kWarn, "say \"hi\"", {{"n", int64_t{7}}, {"ok", true}, {"s", "x"}});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find(R"("level":"warn","service":"svc","msg":"say \"hi\"","n":7,"ok":true,"s":"x"})"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u);
}

TEST(LogTest, ParsesLevels) {
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(ParseLevel("error"), Level::kError);
  EXPECT_EQ(ParseLevel("bogus"), Level::kInfo);
}

}  // namespace
}  // namespace p2pims::log
