#include "lib/progress/progress_line.h"

#include <gtest/gtest.h>

namespace p2pims {
namespace {

TEST(FormatBytesTest, BinaryUnitsWithOneDecimal) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1.0 KiB");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(16 * 1024 * 1024 + 600 * 1024), "16.6 MiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 30), "3.0 GiB");
  // Rounds into the next unit instead of printing "1024.0 KiB".
  EXPECT_EQ(FormatBytes(1024 * 1024 - 1), "1.0 MiB");
  EXPECT_EQ(FormatBytes(-5), "0 B");
}

TEST(FormatRateTest, PerSecondAndNoneWithoutTime) {
  EXPECT_EQ(FormatRate(10 << 20, absl::Seconds(2)), "5.0 MiB/s");
  EXPECT_EQ(FormatRate(100, absl::Seconds(1)), "100 B/s");
  EXPECT_EQ(FormatRate(10 << 20, absl::ZeroDuration()), "-");
}

TEST(ProgressLineTest, BarPercentBytesRateAndEta) {
  EXPECT_EQ(ProgressLine("hashing", 15 << 20, 30 << 20, absl::Seconds(3)),
            "hashing [##########..........]  50%  15.0 MiB / 30.0 MiB  5.0 MiB/s  ETA 0:03");
  EXPECT_EQ(ProgressLine("hashing", 0, 30 << 20, absl::ZeroDuration()),
            "hashing [....................]   0%  0 B / 30.0 MiB  -");
  EXPECT_EQ(ProgressLine("hashing", 30 << 20, 30 << 20, absl::Seconds(6)),
            "hashing [####################] 100%  30.0 MiB / 30.0 MiB  5.0 MiB/s");
}

TEST(ProgressLineTest, NeverShowsMoreThanDoneOr100Percent) {
  // 99.9 % is not rounded up to 100 %.
  EXPECT_NE(ProgressLine("hashing", 999, 1000, absl::Seconds(1)).find(" 99%"), std::string::npos);
  // Clamped: more than the total, or negative.
  EXPECT_NE(ProgressLine("hashing", 2000, 1000, absl::Seconds(1)).find("100%  1000 B / 1000 B"),
            std::string::npos);
  EXPECT_NE(ProgressLine("hashing", -1, 1000, absl::Seconds(1)).find("  0%  0 B / 1000 B"), std::string::npos);
  // An empty total is complete.
  EXPECT_NE(ProgressLine("hashing", 0, 0, absl::Seconds(1)).find("100%"), std::string::npos);
}

TEST(ProgressLineTest, EtaInHoursWhenLong) {
  // 1 GiB of 101 GiB at 1 GiB per 36 s leaves 100 * 36 s = 1:00:00.
  EXPECT_NE(
      ProgressLine("hashing", int64_t{1} << 30, int64_t{101} << 30, absl::Seconds(36)).find("ETA 1:00:00"),
      std::string::npos);
}

TEST(ProgressLineTest, ExtraFieldsAndAnOwnRateBeforeTheEta) {
  // 10 MiB of 30 done, but 20 MiB moved in 4 s (the rest re-checked from disk).
  EXPECT_EQ(ProgressLine("fetching", 10 << 20, 30 << 20, absl::Seconds(4), "3 peers", 20 << 20),
            "fetching [######..............]  33%  10.0 MiB / 30.0 MiB  5.0 MiB/s  3 peers  ETA 0:04");
}

}  // namespace
}  // namespace p2pims
