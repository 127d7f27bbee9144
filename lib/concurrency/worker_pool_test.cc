#include "lib/concurrency/worker_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace p2pims {
namespace {

// Holds the pool's only worker until released, so that later work waits in the queue.
struct Blocker {
  absl::Notification started, release;
  std::function<void()> Work() {
    return [this] {
      started.Notify();
      release.WaitForNotification();
    };
  }
};

TEST(WorkerPoolTest, RefusesWorkBeyondTheQueueButNotTeardown) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(1, 2);
    Blocker blocker;
    ASSERT_TRUE(pool.Submit(blocker.Work()));
    blocker.started.WaitForNotification();
    EXPECT_TRUE(pool.Submit([&] { ++ran; }));
    EXPECT_TRUE(pool.Submit([&] { ++ran; }));
    EXPECT_FALSE(pool.Submit([&] { ++ran; })) << "the queue holds two";
    EXPECT_TRUE(pool.SubmitAlways([&] { ++ran; })) << "teardown goes past the bound";
    EXPECT_EQ(pool.queued(), 3u);
    blocker.release.Notify();
  }  // the destructor runs what is queued
  EXPECT_EQ(ran.load(), 3);
}

TEST(WorkerPoolTest, ShedsWorkThatWaitedPastTheBound) {
  const absl::Duration max_wait = absl::Milliseconds(1);
  std::atomic<int> done{0}, shed{0}, kept{0};
  {
    WorkerPool pool(1, 10, max_wait);
    absl::Notification started;
    absl::Time queued_by = absl::InfiniteFuture();
    absl::Notification submitted;
    // The worker is held until the bound has passed for everything queued behind it.
    ASSERT_TRUE(pool.Submit([&] {
      started.Notify();
      submitted.WaitForNotification();
      while (absl::Now() - queued_by <= max_wait) {
      }
    }));
    started.WaitForNotification();
    ASSERT_TRUE(pool.Submit([&] { ++done; }, [&] { ++shed; }));
    ASSERT_TRUE(pool.Submit([&] { ++kept; }));  // no shed given: done however late
    ASSERT_TRUE(pool.SubmitAlways([&] { ++kept; }));
    queued_by = absl::Now();
    submitted.Notify();
  }
  EXPECT_EQ(done.load(), 0);
  EXPECT_EQ(shed.load(), 1);
  EXPECT_EQ(kept.load(), 2);
}

TEST(WorkerPoolTest, RefusesSheddableWorkOnArrivalWhileTheOldestIsLate) {
  const absl::Duration max_wait = absl::Milliseconds(50);  // no preemption between two Submits is that long
  std::atomic<int> done{0}, shed{0};
  {
    WorkerPool pool(1, 10, max_wait);
    Blocker blocker;
    ASSERT_TRUE(pool.Submit(blocker.Work()));
    blocker.started.WaitForNotification();
    ASSERT_TRUE(pool.Submit([&] { ++done; }, [&] { ++shed; }));
    const absl::Time first = absl::Now();  // after the oldest was queued
    EXPECT_TRUE(pool.Submit([&] { ++done; }, [&] { ++shed; })) << "the oldest is not late yet";
    while (absl::Now() - first <= max_wait) {
    }
    EXPECT_FALSE(pool.Submit([&] { ++done; }, [&] { ++shed; })) << "it would wait as long";
    EXPECT_TRUE(pool.Submit([&] { ++done; })) << "work that cannot be shed is still queued";
    EXPECT_TRUE(pool.SubmitAlways([&] { ++done; }));
    blocker.release.Notify();
  }
  EXPECT_EQ(shed.load(), 2) << "the two sheddable ones waited past the bound";
  EXPECT_EQ(done.load(), 2);
}

TEST(WorkerPoolTest, DoesWorkThatCameInTime) {
  std::atomic<int> done{0}, shed{0};
  {
    WorkerPool pool(2, 10, absl::Hours(1));
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.Submit([&] { ++done; }, [&] { ++shed; }));
  }
  EXPECT_EQ(done.load(), 5);
  EXPECT_EQ(shed.load(), 0);
}

TEST(WorkerPoolTest, AnUnboundedWaitNeverSheds) {
  std::atomic<int> done{0}, shed{0};
  {
    WorkerPool pool(1, 10);
    Blocker blocker;
    ASSERT_TRUE(pool.Submit(blocker.Work()));
    blocker.started.WaitForNotification();
    ASSERT_TRUE(pool.Submit([&] { ++done; }, [&] { ++shed; }));
    blocker.release.Notify();
  }
  EXPECT_EQ(done.load(), 1);
  EXPECT_EQ(shed.load(), 0);
}

}  // namespace
}  // namespace p2pims
