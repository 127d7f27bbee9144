#include "tools/p2pimsctl/hash_progress.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2pims::ctl {
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
  EXPECT_EQ(ProgressLine(15 << 20, 30 << 20, absl::Seconds(3)),
            "hashing [##########..........]  50%  15.0 MiB / 30.0 MiB  5.0 MiB/s  ETA 0:03");
  EXPECT_EQ(ProgressLine(0, 30 << 20, absl::ZeroDuration()),
            "hashing [....................]   0%  0 B / 30.0 MiB  -");
  EXPECT_EQ(ProgressLine(30 << 20, 30 << 20, absl::Seconds(6)),
            "hashing [####################] 100%  30.0 MiB / 30.0 MiB  5.0 MiB/s");
}

TEST(ProgressLineTest, NeverShowsMoreThanDoneOr100Percent) {
  // 99.9 % is not rounded up to 100 %.
  EXPECT_NE(ProgressLine(999, 1000, absl::Seconds(1)).find(" 99%"), std::string::npos);
  // Clamped: more than the total, or negative.
  EXPECT_NE(ProgressLine(2000, 1000, absl::Seconds(1)).find("100%  1000 B / 1000 B"),
            std::string::npos);
  EXPECT_NE(ProgressLine(-1, 1000, absl::Seconds(1)).find("  0%  0 B / 1000 B"), std::string::npos);
  // An empty total is complete.
  EXPECT_NE(ProgressLine(0, 0, absl::Seconds(1)).find("100%"), std::string::npos);
}

TEST(ProgressLineTest, EtaInHoursWhenLong) {
  // 1 GiB of 101 GiB at 1 GiB per 36 s leaves 100 * 36 s = 1:00:00.
  EXPECT_NE(
      ProgressLine(int64_t{1} << 30, int64_t{101} << 30, absl::Seconds(36)).find("ETA 1:00:00"),
      std::string::npos);
}

TEST(FinalLineTest, SizeTimeAndRate) {
  EXPECT_EQ(FinalLine(30 << 20, absl::Milliseconds(600)), "hashed 30.0 MiB in 0.6 s (50.0 MiB/s)");
}

class ProgressMeterTest : public testing::Test {
 protected:
  ProgressMeter Make(bool interactive) {
    return ProgressMeter(
        1000, interactive, [this](std::string_view t) { writes_.emplace_back(t); },
        [this] { return now_; }, absl::Milliseconds(100));
  }
  absl::Time now_ = absl::FromUnixSeconds(1000);
  std::vector<std::string> writes_;
};

TEST_F(ProgressMeterTest, TerminalRedrawsInPlaceAtMostEveryInterval) {
  ProgressMeter m = Make(true);
  m.Update(50);  // too soon after the start for a rate
  now_ += absl::Milliseconds(100);
  m.Update(100);  // first draw
  now_ += absl::Milliseconds(50);
  m.Update(200);  // too soon
  now_ += absl::Milliseconds(60);
  m.Update(300);  // 110 ms after the first
  ASSERT_EQ(writes_.size(), 2u);
  EXPECT_NE(writes_[0].find(" 10%  100 B / 1000 B  1000 B/s  ETA 0:01"), std::string::npos)
      << writes_[0];
  EXPECT_EQ(writes_[0].rfind("\rhashing [##", 0), 0u) << writes_[0];
  EXPECT_NE(writes_[1].find(" 30%  300 B / 1000 B"), std::string::npos) << writes_[1];
  EXPECT_EQ(writes_[1].substr(writes_[1].size() - 3), "\x1b[K");
  for (const std::string& w : writes_) EXPECT_EQ(w.find('\n'), std::string::npos);
}

TEST_F(ProgressMeterTest, TerminalDrawsCompletionOnceEvenWhenSoon) {
  ProgressMeter m = Make(true);
  now_ += absl::Milliseconds(100);
  m.Update(900);
  m.Update(1000);  // at once, but complete
  m.Update(1000);  // not again
  ASSERT_EQ(writes_.size(), 2u);
  EXPECT_NE(writes_[1].find("100%"), std::string::npos);
  now_ += absl::Milliseconds(900);
  m.Finish(1000);
  ASSERT_EQ(writes_.size(), 3u);
  EXPECT_EQ(writes_[2], "\rhashed 1000 B in 1.0 s (1000 B/s)\x1b[K\n");
}

TEST_F(ProgressMeterTest, NotATerminalWritesOnlyThePlainFinalLine) {
  ProgressMeter m = Make(false);
  for (int done = 0; done <= 1000; done += 100) {
    m.Update(done);
    now_ += absl::Milliseconds(200);
  }
  EXPECT_TRUE(writes_.empty());
  m.Finish(1000);
  ASSERT_EQ(writes_.size(), 1u);
  EXPECT_EQ(writes_[0], "hashed 1000 B in 2.2 s (455 B/s)\n");
}

}  // namespace
}  // namespace p2pims::ctl
