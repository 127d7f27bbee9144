#include "lib/http/server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <string_view>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/http/request_parser.h"
#include "lib/log/log.h"

namespace p2pims::http {
namespace {

using Clock = std::chrono::steady_clock;

// After answering, how long and how much of the client's unread input we swallow before
// closing, so that closing with unread data does not reset the connection (and lose the
// response) before the client has read it.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerBytes = 64 * 1024;

std::string ErrnoText(int error) { return strerror(error); }

void SetSendTimeout(int fd, absl::Duration timeout) {
  const timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Waits until `fd` is readable or `deadline` passes; false on timeout or error.
bool WaitReadable(int fd, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

// Ends our side of the connection and discards what the client still sends, until it closes,
// kLingerBytes have come or kLingerTime has passed (or Stop shuts the socket down).
void Linger(int fd) {
  shutdown(fd, SHUT_WR);
  const Clock::time_point deadline = Clock::now() + kLingerTime;
  char buffer[4096];
  for (size_t total = 0; total < kLingerBytes && WaitReadable(fd, deadline);) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
}

// Splits "host:port" / "[v6]:port" / ":port".
absl::Status SplitAddress(const std::string& address, std::string& host, std::string& port) {
  size_t colon;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("malformed address \"", address, "\""));
    }
    host = address.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = address.rfind(':');
    if (colon == std::string::npos || address.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\" is not host:port (IPv6 needs [addr]:port)"));
    }
    host = address.substr(0, colon);
  }
  port = address.substr(colon + 1);
  int number;
  if (!absl::SimpleAtoi(port, &number) || number < 0 || number > 65535 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in address \"", address, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() { Stop(); }

void Server::Handle(std::string path, Handler handler) {
  handlers_[std::move(path)] = std::move(handler);
}

absl::Status Server::Start(const std::string& address) {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  if (started_) return absl::FailedPreconditionError("HTTP server already started");
  std::string host;
  std::string port;
  if (absl::Status status = SplitAddress(address, host, port); !status.ok()) return status;

  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const int gai =
      getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &results);
  if (gai != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve \"", address, "\": ", gai_strerror(gai)));
  }
  std::string error = "no usable address";
  int fd = -1;
  for (addrinfo* ai = results; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = ErrnoText(errno);
      continue;
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
      error = ErrnoText(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(results);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", error));
  }
  sockaddr_storage bound = {};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listen_fd_ = fd;
  started_ = true;
  accept_thread_ = std::thread(&Server::AcceptLoop, this);
  return absl::OkStatus();
}

void Server::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  if (listen_fd_ < 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  // On Linux, shutting a listening socket down wakes a blocked accept() with EINVAL.
  shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  close(listen_fd_);
  listen_fd_ = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Connection& connection : connections_) {
      if (connection.fd >= 0) shutdown(connection.fd, SHUT_RDWR);
    }
  }
  // No thread adds connections any more, and connection threads only touch their own element.
  for (Connection& connection : connections_) connection.thread.join();
  std::lock_guard<std::mutex> lock(mu_);
  connections_.clear();
}

void Server::AcceptLoop() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
      }
      if (error == EINTR || error == ECONNABORTED) continue;
      // Out of descriptors or memory: back off instead of spinning; the client waits in the
      // backlog.
      log::Warn("http accept failed", {{"error", ErrnoText(error)}});
      poll(nullptr, 0, 100);
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    ReapLocked();
    if (stopping_) {
      close(fd);
      return;
    }
    if (active_ >= options_.max_connections) {
      lock.unlock();
      Response busy = TextResponse(503);
      busy.headers.emplace_back("Retry-After", "1");
      SetSendTimeout(fd, absl::Seconds(1));
      SendAll(fd, SerializeResponse(busy, /*head_only=*/false));
      // Swallow what already arrived so the close does not reset the connection; never block.
      shutdown(fd, SHUT_WR);
      char buffer[4096];
      while (recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0) {
      }
      close(fd);
      continue;
    }
    Connection& connection = connections_.emplace_back();
    connection.fd = fd;
    try {
      connection.thread = std::thread(&Server::Serve, this, &connection);
    } catch (const std::system_error& e) {  // out of threads: drop this client, keep accepting
      connections_.pop_back();
      close(fd);
      log::Warn("http connection thread not started", {{"error", e.what()}});
      continue;
    }
    ++active_;
  }
}

void Server::ReapLocked() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->done) {
      it->thread.join();  // it has marked itself done and only returns now
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void Server::Serve(Connection* connection) {
  const int fd = connection->fd;  // only this thread closes it
  SetSendTimeout(fd, options_.write_timeout);
  const Clock::time_point deadline =
      Clock::now() + absl::ToChronoMilliseconds(options_.read_timeout);

  std::string buffer;
  size_t head_end = std::string_view::npos;
  bool respond = true;
  Response response;
  while ((head_end = FindHeadEnd(buffer)) == std::string_view::npos) {
    if (buffer.size() > options_.max_head_bytes) break;
    if (!WaitReadable(fd, deadline)) {
      response = TextResponse(408);
      break;
    }
    char chunk[4096];
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // the client went away (or Stop shut the socket down)
      respond = false;
      break;
    }
    buffer.append(chunk, static_cast<size_t>(n));
  }

  bool head_only = false;
  if (respond && response.status != 408) {
    if (head_end == std::string_view::npos || head_end > options_.max_head_bytes) {
      response = TextResponse(431);
    } else if (absl::StatusOr<Request> request =
                   ParseRequestHead(std::string_view(buffer).substr(0, head_end));
               !request.ok()) {
      response = TextResponse(400);
    } else {
      head_only = request->method == "HEAD";
      response = Dispatch(*request);
    }
  }
  if (respond) SendAll(fd, SerializeResponse(response, head_only));
  Linger(fd);

  std::lock_guard<std::mutex> lock(mu_);
  close(fd);
  connection->fd = -1;
  connection->done = true;
  --active_;
}

Response Server::Dispatch(const Request& request) const {
  const auto it = handlers_.find(request.path);
  if (it == handlers_.end()) return TextResponse(404);
  if (request.method != "GET" && request.method != "HEAD") {
    Response response = TextResponse(405);
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  try {
    return it->second(request);
  } catch (const std::exception& e) {
    log::Error("http handler failed", {{"path", request.path}, {"error", e.what()}});
  } catch (...) {
    log::Error("http handler failed", {{"path", request.path}});
  }
  return TextResponse(500);
}

}  // namespace p2pims::http
