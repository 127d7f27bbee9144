#include "tools/p2pimsctl/hash_progress.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2pims::ctl {
namespace {

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
