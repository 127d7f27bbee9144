// The HTTP tracker front on real loopback sockets: keep-alive, pipelining, HTTP/1.0, bounded
// heads, bodies refused, idle connections closed, late requests shed. The handler echoes the
// request line.
#include "services/tracker/http_listener.h"
#include "services/tracker/loopback_testing.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace p2pims::tracker {
namespace {

class HttpListenerTest : public ::testing::Test {
 protected:
  void StartListener(HttpListenerOptions options) {
    listener_ = std::make_unique<HttpListener>(
        [](std::string_view line, const PeerAddress& remote, absl::Time, Rng&,
           std::string* body) {
          *body = std::string(line) + (remote.v6 ? " v6" : " v4");
        },
        [](std::string_view line, const PeerAddress&, absl::Time, Rng&, std::string* body) {
          *body = "busy: " + std::string(line);
        },
        options, &connections_);
    ASSERT_TRUE(listener_->Start("127.0.0.1:0").ok());
  }

  int Connect() {
    const int fd = ConnectLoopback(listener_->port());
    EXPECT_GE(fd, 0);
    return fd;
  }

  static void Send(int fd, const std::string& data) {
    ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }

  // Reads until `responses` complete responses have arrived, or the peer closes.
  static std::string Receive(int fd, int responses) {
    std::string in;
    char buf[4096];
    for (;;) {
      if (CompleteHttpResponses(in) >= responses) return in;
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return in;
      in.append(buf, static_cast<size_t>(n));
    }
  }

  // True when the server closed the connection (read returns 0 before the 5 s timeout).
  static bool ClosedByServer(int fd) {
    char c;
    return read(fd, &c, 1) == 0;
  }

  metrics::Gauge connections_;
  std::unique_ptr<HttpListener> listener_;
};

TEST_F(HttpListenerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartListener({.threads = 2});
  const int fd = Connect();
  for (int i = 0; i < 3; ++i) {
    Send(fd, absl::StrCat("GET /a/t/announce?n=", i, " HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string r = Receive(fd, 1);
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find(absl::StrCat("GET /a/t/announce?n=", i, " HTTP/1.1 v4")), std::string::npos);
    EXPECT_EQ(r.find("Connection: close"), std::string::npos);
  }
  EXPECT_EQ(connections_.Value(), 1);
  close(fd);
}

TEST_F(HttpListenerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartListener({.threads = 1});
  const int fd = Connect();
  Send(fd, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string r = Receive(fd, 3);
  const size_t one = r.find("GET /1"), two = r.find("GET /2"), three = r.find("GET /3");
  ASSERT_NE(three, std::string::npos) << r;
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(ClosedByServer(fd));
  close(fd);
}

TEST_F(HttpListenerTest, Http10ClosesUnlessKeepAliveIsAsked) {
  StartListener({.threads = 1});
  int fd = Connect();
  Send(fd, "GET /x HTTP/1.0\r\n\r\n");
  std::string r = Receive(fd, 1);
  EXPECT_EQ(r.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << r;
  EXPECT_TRUE(ClosedByServer(fd));
  close(fd);
  fd = Connect();
  Send(fd, "GET /y HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  r = Receive(fd, 1);
  EXPECT_NE(r.find("Connection: keep-alive"), std::string::npos) << r;
  Send(fd, "GET /z HTTP/1.0\r\n\r\n");
  EXPECT_NE(Receive(fd, 1).find("GET /z"), std::string::npos);
  close(fd);
}

TEST_F(HttpListenerTest, OversizedHeadsAndBodiesAreRefusedAndClosed) {
  StartListener({.threads = 1, .max_head_bytes = 512});
  int fd = Connect();
  Send(fd, "GET /" + std::string(2000, 'a'));
  std::string r = Receive(fd, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 431 ", 0), 0u) << r;
  EXPECT_NE(r.find("failure reason"), std::string::npos);
  EXPECT_TRUE(ClosedByServer(fd));
  close(fd);
  fd = Connect();
  Send(fd, "GET /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  r = Receive(fd, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 400 ", 0), 0u) << r;
  EXPECT_TRUE(ClosedByServer(fd));
  close(fd);
}

TEST_F(HttpListenerTest, IdleConnectionsAreClosed) {
  StartListener({.threads = 1, .idle_timeout = absl::Milliseconds(100)});
  const int fd = Connect();
  Send(fd, "GET /a HTTP/1.1\r\n");  // never finished
  EXPECT_TRUE(ClosedByServer(fd));  // within the sweep period, well before the read timeout
  close(fd);
}

TEST_F(HttpListenerTest, ConnectionsBeyondTheCapGetABusyFailureAndAreClosed) {
  metrics::Counter busy;
  listener_ = std::make_unique<HttpListener>(
      [](std::string_view line, const PeerAddress&, absl::Time, Rng&, std::string* body) {
        *body = std::string(line);
      },
      nullptr, HttpListenerOptions{.threads = 1, .max_connections = 1}, &connections_, &busy);
  ASSERT_TRUE(listener_->Start("127.0.0.1:0").ok());
  const int first = Connect();
  Send(first, "GET /a HTTP/1.1\r\n\r\n");
  EXPECT_NE(Receive(first, 1).find("GET /a"), std::string::npos);
  const int second = Connect();
  Send(second, "GET /b HTTP/1.1\r\n\r\n");
  const std::string r = Receive(second, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("d14:failure reason25:tracker busy; retry later8:retry ini1ee"), std::string::npos)
      << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(ClosedByServer(second));
  EXPECT_EQ(busy.Value(), 1);
  close(second);
  // The first connection is still served.
  Send(first, "GET /c HTTP/1.1\r\n\r\n");
  EXPECT_NE(Receive(first, 1).find("GET /c"), std::string::npos);
  close(first);
}

// One worker is held inside the handler of a first request while a second connection's request
// arrives and waits `held`; returns the answer to the second, then checks that a request that
// did not wait, on the same connection, is served.
std::string AnswerAfterAWait(absl::Duration max_wait, absl::Duration held) {
  absl::Notification entered, release;
  metrics::Gauge connections;
  HttpListener listener(
      [&](std::string_view line, const PeerAddress&, absl::Time, Rng&, std::string* body) {
        if (line.starts_with("GET /hold")) {
          entered.Notify();
          release.WaitForNotification();
        }
        *body = std::string(line);
      },
      [](std::string_view line, const PeerAddress&, absl::Time, Rng&, std::string* body) {
        *body = "busy: " + std::string(line);
      },
      {.threads = 1, .max_wait = max_wait}, &connections);
  EXPECT_TRUE(listener.Start("127.0.0.1:0").ok());
  // Else the late request may be stamped when read, and look fresh.
  if (max_wait > absl::ZeroDuration()) {
    EXPECT_TRUE(KernelTimestampsActive());
  }
  const int first = ConnectLoopback(listener.port());
  const int second = ConnectLoopback(listener.port());
  const std::string hold = "GET /hold HTTP/1.1\r\n\r\n", late = "GET /late HTTP/1.1\r\n\r\n";
  EXPECT_EQ(write(first, hold.data(), hold.size()), static_cast<ssize_t>(hold.size()));
  entered.WaitForNotification();
  EXPECT_EQ(write(second, late.data(), late.size()), static_cast<ssize_t>(late.size()));
  absl::SleepFor(held);  // the second request waits in the kernel: the wait is what is tested
  release.Notify();
  std::string in;
  char buf[4096];
  while (CompleteHttpResponses(in) < 1) {
    const ssize_t n = read(second, buf, sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  // Kept alive either way; the next request did not wait.
  const std::string fresh = "GET /fresh HTTP/1.1\r\n\r\n";
  EXPECT_EQ(write(second, fresh.data(), fresh.size()), static_cast<ssize_t>(fresh.size()));
  std::string next;
  while (CompleteHttpResponses(next) < 1) {
    const ssize_t n = read(second, buf, sizeof buf);
    if (n <= 0) break;
    next.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(next.find("\r\n\r\nGET /fresh"), std::string::npos) << next;
  close(first);
  close(second);
  return in;
}

TEST(HttpListenerOverloadTest, ARequestThatWaitedBeyondTheBoundGetsTheBusyAnswer) {
  const std::string r = AnswerAfterAWait(absl::Milliseconds(200), absl::Milliseconds(700));
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("\r\n\r\nbusy: GET /late"), std::string::npos) << r;
}

TEST(HttpListenerOverloadTest, WithoutABoundALateRequestIsServed) {
  const std::string r = AnswerAfterAWait(absl::ZeroDuration(), absl::Milliseconds(700));
  EXPECT_NE(r.find("\r\n\r\nGET /late"), std::string::npos) << r;
}

}  // namespace
}  // namespace p2pims::tracker
