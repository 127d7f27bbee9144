// The UDP tracker front on real loopback sockets, under overload: datagrams that waited in the
// socket beyond max_wait are shed (the first of a batch answered by the busy handler, the rest
// dropped and counted), fresh ones are served. The handlers echo a word.
#include "services/tracker/udp_listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "lib/net/receive_timestamp.h"
#include "services/tracker/loopback_testing.h"

namespace p2pims::tracker {
namespace {

class UdpListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  void TearDown() override {
    if (!release_.HasBeenNotified()) release_.Notify();  // a worker still held
    if (listener_) listener_->Stop();
    close(fd_);
  }

  // The first datagram's handler holds the worker until release_, so later ones queue up.
  void Start(absl::Duration max_wait) {
    listener_ = std::make_unique<UdpListener>(
        [this](std::span<const uint8_t>, const PeerEndpoint&, absl::Time, Rng&, std::string* r) {
          if (!held_.HasBeenNotified()) {
            held_.Notify();
            release_.WaitForNotification();
          }
          *r = "served";
        },
        [](std::span<const uint8_t>, const PeerEndpoint&, absl::Time, Rng&, std::string* r) {
          *r = "busy";
        },
        UdpListenerOptions{.threads = 1, .max_wait = max_wait});
    ASSERT_TRUE(listener_->Start("127.0.0.1:0").ok());
    // The listener's socket keeps them on from now.
    if (max_wait > absl::ZeroDuration()) {
      ASSERT_TRUE(KernelTimestampsActive());
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(listener_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }

  void Send(int n) {
    for (int i = 0; i < n; ++i) ASSERT_EQ(send(fd_, "x", 1, 0), 1);
  }

  // One datagram that holds the worker, then `n` that wait behind it 40 ms, longer than the
  // tests' bound (the bound is on age, so they must age), then the worker goes on.
  void QueueBehindAHeldOne(int n) {
    Send(1);
    held_.WaitForNotification();
    Send(n);
    absl::SleepFor(absl::Milliseconds(40));
    release_.Notify();
  }

  // The next `n` replies, counted by word.
  std::pair<int, int> Replies(int n) {
    int served = 0, busy = 0;
    char buf[64];
    for (int i = 0; i < n; ++i) {
      const ssize_t got = recv(fd_, buf, sizeof buf, 0);
      if (got <= 0) break;
      const std::string word(buf, static_cast<size_t>(got));
      served += word == "served";
      busy += word == "busy";
    }
    return {served, busy};
  }

  int fd_ = -1;
  absl::Notification held_, release_;
  std::unique_ptr<UdpListener> listener_;
};

TEST_F(UdpListenerTest, DatagramsThatWaitedTooLongAreShedAFewAnsweredBusy) {
  Start(absl::Milliseconds(20));
  QueueBehindAHeldOne(20);
  // The held one, then one reply group of "busy" (8); the other 12 are dropped unanswered.
  EXPECT_EQ(Replies(9), std::make_pair(1, 8));
  // Served again once the backlog is gone; the drops are counted when housekeeping asks.
  Send(1);
  EXPECT_EQ(Replies(1), std::make_pair(1, 0));
  const UdpListener::Drops drops = listener_->TakeDrops();
  EXPECT_EQ(drops.too_late, 12u);
  EXPECT_EQ(drops.buffer_full, 0u);
  EXPECT_EQ(listener_->TakeDrops().too_late, 0u) << "counted once";
}

TEST_F(UdpListenerTest, WithoutABoundEveryDatagramIsServedHoweverLate) {
  Start(absl::ZeroDuration());
  QueueBehindAHeldOne(20);
  EXPECT_EQ(Replies(21), std::make_pair(21, 0));
  EXPECT_EQ(listener_->TakeDrops().too_late, 0u);
}

}  // namespace
}  // namespace p2pims::tracker
