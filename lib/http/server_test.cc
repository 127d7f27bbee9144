#include "lib/http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "lib/http/admin.h"
#include "lib/http/request_parser.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/registry.h"

namespace p2pims::http {
namespace {

// A blocking client socket connected to 127.0.0.1:port, or -1.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const timeval timeout = {.tv_sec = 10,
                           .tv_usec = 0};  // a broken server fails the test, not hangs it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  // The header's value, empty when absent.
  std::string Header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Reads until the server closes the connection and parses what came.
Reply ReadReply(int fd) {
  std::string raw;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) raw.append(buffer, n);
  Reply reply;
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) return reply;
  if (!absl::SimpleAtoi(raw.substr(9, 3), &reply.status)) return reply;
  size_t line = raw.find("\r\n") + 2;
  while (line < head_end) {
    const size_t end = raw.find("\r\n", line);
    const std::string field = raw.substr(line, end - line);
    const size_t colon = field.find(": ");
    reply.headers[absl::AsciiStrToLower(field.substr(0, colon))] = field.substr(colon + 2);
    line = end + 2;
  }
  reply.body = raw.substr(head_end + 4);
  return reply;
}

Reply Exchange(int port, const std::string& request) {
  const int fd = Connect(port);
  if (fd < 0) return {};
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  Reply reply = ReadReply(fd);
  close(fd);
  return reply;
}

Reply Get(int port, const std::string& target, const std::string& method = "GET") {
  return Exchange(port, method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    requests_ = &metrics::BuildCounter()
                     .Name("p2pims_test_requests_total")
                     .Help("Requests.")
                     .Register(registry_)
                     .Add({});
    AddAdminHandlers(server_, registry_, [this]() -> absl::Status {
      if (ready_) return absl::OkStatus();
      return absl::UnavailableError("database unreachable");
    });
    server_.Handle("/echo", [](const Request& request) {
      const auto agent = request.headers.find("x-test");
      return Response{.body = request.method + " " + request.path + " ? " + request.query + " " +
                              (agent == request.headers.end() ? "-" : agent->second)};
    });
    server_.Handle("/throw", [](const Request&) -> Response { throw std::runtime_error("boom"); });
    ASSERT_TRUE(server_.Start("127.0.0.1:0").ok());
    ASSERT_GT(server_.port(), 0);
  }

  metrics::Registry registry_;
  metrics::Counter* requests_ = nullptr;
  std::atomic<bool> ready_{true};
  Server server_;
};

TEST_F(AdminServerTest, HealthzIsOk) {
  const Reply reply = Get(server_.port(), "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok\n");
  EXPECT_EQ(reply.Header("content-length"), "3");
  EXPECT_EQ(reply.Header("connection"), "close");
}

TEST_F(AdminServerTest, ReadyzFollowsTheReadyFunction) {
  Reply reply = Get(server_.port(), "/readyz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ready\n");
  ready_ = false;
  reply = Get(server_.port(), "/readyz");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, "database unreachable\n");
  ready_ = true;
  EXPECT_EQ(Get(server_.port(), "/readyz").status, 200);
}

TEST_F(AdminServerTest, MetricsServesTheRegistry) {
  requests_->Increment(7);
  Reply reply = Get(server_.port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Header("content-type"), metrics::kContentType);
  EXPECT_NE(reply.body.find("\np2pims_test_requests_total 7\n"), std::string::npos) << reply.body;
  EXPECT_EQ(reply.Header("content-length"), std::to_string(reply.body.size()));

  reply = Get(server_.port(), "/metrics", "HEAD");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "");
  EXPECT_EQ(reply.Header("content-length"), std::to_string(registry_.Serialize().size()));
}

TEST_F(AdminServerTest, UnknownPathIs404AndOtherMethodsAre405) {
  EXPECT_EQ(Get(server_.port(), "/nope").status, 404);
  const Reply post =
      Exchange(server_.port(), "POST /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.Header("allow"), "GET, HEAD");
}

TEST_F(AdminServerTest, SplitsPathAndQueryAndLowerCasesHeaders) {
  const Reply reply =
      Exchange(server_.port(), "GET /echo?a=1&b=%20 HTTP/1.1\r\nX-Test:  Value \r\n\r\n");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "GET /echo ? a=1&b=%20 Value");
  EXPECT_EQ(Get(server_.port(), "http://localhost:1/echo?q").body, "GET /echo ? q -");
}

TEST_F(AdminServerTest, OversizedHeadIsRejectedAndTheServerKeepsServing) {
  const std::string big =
      "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(10 * 1024, 'a') + "\r\n\r\n";
  const Reply rejected = Exchange(server_.port(), big);
  EXPECT_EQ(rejected.status, 431);
  EXPECT_EQ(Get(server_.port(), "/healthz").status, 200);
}

TEST_F(AdminServerTest, MalformedRequestsAre400AndHandlerErrors500) {
  EXPECT_EQ(Exchange(server_.port(), "NONSENSE\r\n\r\n").status, 400);
  EXPECT_EQ(Exchange(server_.port(), "GET /healthz HTTP/2.0\r\n\r\n").status, 400);
  EXPECT_EQ(Exchange(server_.port(), "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n").status, 400);
  EXPECT_EQ(Get(server_.port(), "/throw").status, 500);
  EXPECT_EQ(Get(server_.port(), "/healthz").status, 200);
}

TEST(ServerTest, ConnectionsBeyondTheCapGet503) {
  Server server(ServerOptions{.max_connections = 1, .read_timeout = absl::Seconds(60)});
  server.Handle("/healthz", [](const Request&) { return Response{.body = "ok\n"}; });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  // The accept queue is FIFO: the idle first connection is taken (and holds the only slot)
  // before the second is looked at.
  const int idle = Connect(server.port());
  ASSERT_GE(idle, 0);
  const Reply busy = Get(server.port(), "/healthz");
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.Header("retry-after"), "1");
  close(idle);
}

TEST(ServerTest, StopReturnsPromptlyWithIdleClients) {
  Server server(ServerOptions{.read_timeout = absl::Seconds(60)});
  server.Handle("/healthz", [](const Request&) { return Response{.body = "ok\n"}; });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  const int port = server.port();
  ASSERT_EQ(Get(port, "/healthz").status, 200);  // the server is accepting
  const int idle = Connect(port);                // waits for a request that never comes
  ASSERT_GE(idle, 0);
  const auto start = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  char byte;
  EXPECT_LE(recv(idle, &byte, 1, 0), 0);  // closed without an answer
  close(idle);
  EXPECT_LT(Connect(port), 0);  // nothing listens any more
  server.Stop();                // idempotent
}

TEST(ServerTest, RejectsBadAddressesAndSecondStart) {
  Server server;
  EXPECT_EQ(server.Start("localhost").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.Start("127.0.0.1:99999").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.Start("::1:80").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.Start("[::1:80").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  EXPECT_EQ(server.Start("127.0.0.1:0").code(), absl::StatusCode::kFailedPrecondition);
  Server clash;
  EXPECT_EQ(clash.Start("127.0.0.1:" + std::to_string(server.port())).code(),
            absl::StatusCode::kUnavailable);
}

TEST(ServerTest, ListensOnIpv6Loopback) {
  Server server;
  const absl::Status status = server.Start("[::1]:0");
  if (!status.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << status;
  EXPECT_GT(server.port(), 0);
}

TEST(RequestParserTest, FindsTheEndOfTheHead) {
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nA: b\r\n"), std::string_view::npos);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\n\r\nbody"), 18u);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\n\nbody"), 16u);
  const absl::StatusOr<Request> request =
      ParseRequestHead("GET /a?b=c HTTP/1.0\r\nHost: x\r\nAccept: a\r\naccept: b\r\n\r\n");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->path, "/a");
  EXPECT_EQ(request->query, "b=c");
  EXPECT_EQ(request->headers.at("accept"), "a, b");
  EXPECT_FALSE(ParseRequestHead("GET a HTTP/1.1\r\n\r\n").ok());
  EXPECT_FALSE(ParseRequestHead("GET /a b HTTP/1.1\r\n\r\n").ok());
  EXPECT_FALSE(ParseRequestHead("GET / HTTP/1.1\r\n folded\r\n\r\n").ok());
}

TEST(RequestParserTest, RepeatedEmptyFieldsAddNothing) {
  const absl::StatusOr<Request> r =
      ParseRequestHead("GET / HTTP/1.1\r\nX-A:1\r\nX-A:\t\r\nX-B:\r\nx-b: 2\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->headers.at("x-a"), "1");
  EXPECT_EQ(r->headers.at("x-b"), "2");
}

TEST(RequestParserTest, RefusesCrAndNulInHeaderValues) {
  // RFC 9110 section 5.5: reject, or replace with SP (http_head_fuzz found the bare CR kept).
  EXPECT_FALSE(ParseRequestHead("HEAD / HTTP/1.1\r\nX-A: 1\r  2\r\n\r\n").ok());
  EXPECT_FALSE(ParseRequestHead(std::string("GET / HTTP/1.1\r\nX-A: 1\0 2\r\n\r\n", 29)).ok());
  EXPECT_TRUE(ParseRequestHead("GET / HTTP/1.1\r\nX-A: 1\t2\r\n\r\n").ok());
}

}  // namespace
}  // namespace p2pims::http
