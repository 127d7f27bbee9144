#include "tools/p2pimsctl/interrupts.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>

namespace p2pims::ctl {
namespace {

TEST(InterruptsTest, SignalSetsTheFlagAndRunsTheCallback) {
  Interrupts interrupts;
  EXPECT_FALSE(interrupts.requested());
  std::mutex mu;
  std::condition_variable cv;
  bool called = false;
  interrupts.OnInterrupt([&] {
    std::lock_guard<std::mutex> lock(mu);
    called = true;
    cv.notify_all();
  });
  ASSERT_EQ(::raise(SIGTERM), 0);
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return called; }));
  lock.unlock();
  EXPECT_TRUE(interrupts.requested());
  interrupts.OnInterrupt(nullptr);
}

TEST(InterruptsTest, CallbackSetAfterTheSignalRunsAtOnce) {
  Interrupts interrupts;
  ASSERT_EQ(::raise(SIGINT), 0);
  // The handler ran synchronously in raise(): the flag is set.
  EXPECT_TRUE(interrupts.requested());
  bool called = false;
  interrupts.OnInterrupt([&] { called = true; });
  EXPECT_TRUE(called);
  interrupts.OnInterrupt(nullptr);
}

TEST(InterruptsTest, AFreshInstanceStartsClear) {
  { Interrupts first; }
  Interrupts second;
  EXPECT_FALSE(second.requested());
}

}  // namespace
}  // namespace p2pims::ctl
