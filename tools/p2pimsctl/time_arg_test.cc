#include "tools/p2pimsctl/time_arg.h"

#include <gtest/gtest.h>

namespace p2pims::ctl {
namespace {

TEST(TimeArgTest, UnixSeconds) {
  EXPECT_EQ(*ParseTimeArg("0"), 0);
  EXPECT_EQ(*ParseTimeArg("1767225600"), 1767225600);
}

TEST(TimeArgTest, Rfc3339WithZoneAndOffset) {
  EXPECT_EQ(*ParseTimeArg("2026-01-01T00:00:00Z"), 1767225600);
  EXPECT_EQ(*ParseTimeArg("2026-01-01T01:00:00+01:00"), 1767225600);
  EXPECT_EQ(*ParseTimeArg("2025-12-31T19:00:00-05:00"), 1767225600);
  EXPECT_EQ(*ParseTimeArg("2026-01-01T00:00:00.750Z"), 1767225600);  // fraction dropped
  EXPECT_EQ(*ParseTimeArg("1970-01-01T00:00:00Z"), 0);
}

TEST(TimeArgTest, RejectsAnythingElse) {
  for (const char* bad : {"", "-1", "+5", "now", "2026-01-01", "2026-01-01T00:00:00",
                          "2026-01-01 00:00:00Z", "2026-13-01T00:00:00Z", "1969-12-31T23:59:59Z",
                          "infinite-future", "99999999999999999999", "1.5"}) {
    EXPECT_FALSE(ParseTimeArg(bad).ok()) << bad;
  }
}

TEST(TimeArgTest, FormatsUtc) {
  EXPECT_EQ(FormatTime(1767225600), "2026-01-01T00:00:00Z");
  EXPECT_EQ(*ParseTimeArg(FormatTime(1234567890)), 1234567890);
}

}  // namespace
}  // namespace p2pims::ctl
