#include "services/tracker/usage_meter.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace p2pims::tracker {
namespace {

using Totals = std::map<std::string, std::pair<int64_t, int64_t>>;

// A token as the meter sees it: its usage cell and its session, owned by a shared pointer.
struct Token {
  explicit Token(std::string id) : session_id(std::move(id)) {}
  UsageCell usage;
  std::string session_id;
};

// One token per session id, made on first use (as admission caches a token).
class Tokens {
 public:
  explicit Tokens(UsageMeter& meter) : meter_(meter) {}
  void Add(const std::string& session_id, int64_t up, int64_t down) {
    std::shared_ptr<Token>& t = tokens_[session_id];
    if (!t) t = std::make_shared<Token>(session_id);
    meter_.Add(t, t->usage, t->session_id, up, down);
  }

 private:
  UsageMeter& meter_;
  std::map<std::string, std::shared_ptr<Token>> tokens_;
};
// Flushes into a map (failing with `fail`), checking that no session appears twice in a batch.
absl::Status FlushInto(UsageMeter& meter, Totals* written, bool fail = false) {
  return meter.Flush([&](const std::vector<SessionUsage>& batch) -> absl::Status {
    Totals seen;
    for (const SessionUsage& u : batch) {
      EXPECT_TRUE(seen.try_emplace(u.session_id, u.bytes_up, u.bytes_down).second)
          << u.session_id << " twice in one batch";
    }
    if (fail) return absl::UnavailableError("database away");
    for (const auto& [id, t] : seen) {
      (*written)[id].first += t.first;
      (*written)[id].second += t.second;
    }
    return absl::OkStatus();
  });
}

TEST(UsageMeterTest, SumsPerSessionAndEmptiesOnFlush) {
  UsageMeter meter(4);
  Tokens tokens(meter);
  tokens.Add("s1", 10, 100);
  tokens.Add("s2", 1, 2);
  tokens.Add("s1", 5, 50);
  EXPECT_EQ(meter.pending(), 2u);
  Totals written;
  ASSERT_TRUE(FlushInto(meter, &written).ok());
  EXPECT_EQ(written, (Totals{{"s1", {15, 150}}, {"s2", {1, 2}}}));
  EXPECT_EQ(meter.pending(), 0u);
  Totals again;
  ASSERT_TRUE(FlushInto(meter, &again).ok());
  EXPECT_TRUE(again.empty());
}

TEST(UsageMeterTest, AFailedBatchIsMergedIntoTheNextOnce) {
  UsageMeter meter(4);
  Tokens tokens(meter);
  for (int i = 0; i < 100; ++i) tokens.Add(absl::StrCat("s", i), i, 2 * i);
  Totals written;
  EXPECT_FALSE(FlushInto(meter, &written, /*fail=*/true).ok());
  EXPECT_TRUE(written.empty());
  EXPECT_EQ(meter.pending(), 99u) << "s0 moved no bytes: nothing to write";
  // New usage of some of the same sessions and of new ones.
  for (int i = 50; i < 150; ++i) tokens.Add(absl::StrCat("s", i), 1, 1);
  EXPECT_FALSE(FlushInto(meter, &written, /*fail=*/true).ok());
  tokens.Add("s0", 1000, 1000);
  ASSERT_TRUE(FlushInto(meter, &written).ok());
  ASSERT_EQ(written.size(), 150u);
  for (int i = 0; i < 150; ++i) {
    const int64_t up = (i < 100 ? i : 0) + (i >= 50 ? 1 : 0) + (i == 0 ? 1000 : 0);
    const int64_t down = (i < 100 ? 2 * i : 0) + (i >= 50 ? 1 : 0) + (i == 0 ? 1000 : 0);
    EXPECT_EQ(written[absl::StrCat("s", i)], std::make_pair(up, down)) << i;
  }
  EXPECT_EQ(meter.pending(), 0u);
}

TEST(UsageMeterTest, ConcurrentAddsAreAllCountedOnce) {
  UsageMeter meter;
  constexpr int kThreads = 4, kAdds = 20000, kSessions = 300;
  // Two tokens a session (a renewed one), each announced on every thread.
  std::vector<std::shared_ptr<Token>> tokens;
  for (int i = 0; i < 2 * kSessions; ++i) {
    tokens.push_back(std::make_shared<Token>(absl::StrCat("s", i % kSessions)));
  }
  Totals written;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&meter, &tokens] {
      for (int i = 0; i < kAdds; ++i) {
        const std::shared_ptr<Token>& token = tokens[static_cast<size_t>(i) % tokens.size()];
        meter.Add(token, token->usage, token->session_id, 1, 2);
      }
    });
  }
  // Flushes while the adds go on; whatever a flush misses, the next one takes.
  // Every third write fails (a flush with nothing pending writes nothing and succeeds).
  for (int f = 0; f < 20; ++f) (void)FlushInto(meter, &written, /*fail=*/f % 3 == 1);
  for (std::thread& th : threads) th.join();
  ASSERT_TRUE(FlushInto(meter, &written).ok());
  int64_t up = 0, down = 0;
  for (const auto& [id, t] : written) up += t.first, down += t.second;
  EXPECT_EQ(up, int64_t{kThreads} * kAdds);
  EXPECT_EQ(down, 2 * int64_t{kThreads} * kAdds);
  EXPECT_EQ(written.size(), static_cast<size_t>(kSessions));
}

TEST(UsageMeterTest, TheTokensOfOneSessionAreOneEntryAndOutliveTheirCaller) {
  UsageMeter meter;
  auto first = std::make_shared<Token>("s1");
  auto renewed = std::make_shared<Token>("s1");
  meter.Add(first, first->usage, first->session_id, 10, 100);
  meter.Add(renewed, renewed->usage, renewed->session_id, 1, 2);
  // Admission drops a token (expired, or its cache shard full) before the flush.
  std::weak_ptr<Token> dropped = first;
  first.reset();
  EXPECT_FALSE(dropped.expired()) << "the meter keeps it until its usage is collected";
  Totals written;
  ASSERT_TRUE(FlushInto(meter, &written).ok());
  EXPECT_EQ(written, (Totals{{"s1", {11, 102}}}));
  EXPECT_TRUE(dropped.expired()) << "and lets it go then";
  meter.Add(renewed, renewed->usage, renewed->session_id, 3, 4);
  Totals next;
  ASSERT_TRUE(FlushInto(meter, &next).ok());
  EXPECT_EQ(next, (Totals{{"s1", {3, 4}}})) << "listed again after the flush";
}

}  // namespace
}  // namespace p2pims::tracker
