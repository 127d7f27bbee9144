#include "lib/http/server.h"

#include <errno.h>
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

#include "absl/strings/str_cat.h"
#include "lib/http/request_parser.h"
#include "lib/log/log.h"
#include "lib/net/listen_socket.h"

namespace p2pims::http {
namespace {

using Clock = std::chrono::steady_clock;

// After answering, how long and how much of the client's unread input we swallow before
// closing, so that closing with unread data does not reset the connection (and lose the
// response) before the client has read it.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerBytes = 64 * 1024;

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

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() { Stop(); }

void Server::Handle(std::string path, Handler handler) {
  handlers_[std::move(path)] = std::move(handler);
}

absl::Status Server::Start(const std::string& address) {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  if (started_) return absl::FailedPreconditionError("HTTP server already started");
  absl::StatusOr<net::BoundSocket> bound = net::OpenServerSocket(address, SOCK_STREAM, {});
  if (!bound.ok()) return bound.status();
  port_ = bound->port;
  const int fd = bound->fd;
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
      log::Warn("http accept failed", {{"error", net::ErrnoText(error)}});
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
