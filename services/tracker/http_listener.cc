#include "services/tracker/http_listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/log/log.h"
#include "lib/net/listen_socket.h"
#include "lib/net/receive_timestamp.h"
#include "services/tracker/listener_workers.h"
#include "services/tracker/announce_response.h"
#include "services/tracker/socket_peer.h"

namespace p2pims::tracker {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
// Output waiting for a slow reader beyond which its later requests are not read yet.
constexpr size_t kMaxPendingOutput = 256 * 1024;
// What a TLS read or write returns besides a byte count and 0 (the peer closed).
constexpr ssize_t kTlsWouldBlock = -1;
constexpr ssize_t kTlsFailed = -2;
// New connections a worker accepts (and serves) per wake-up, so that under a flood of them the
// connections it keeps open still get their turn.
constexpr int kAcceptBatch = 64;
constexpr int kMinAdaptiveBacklog = 16;
// How long an HTTPS handshake in progress keeps the worker from accepting more (max_handshakes).
constexpr absl::Duration kHandshakePlaceHeld = absl::Seconds(1);

struct Connection {
  int fd = -1;
  PeerAddress remote;
  std::string in;
  std::string out;
  size_t out_sent = 0;
  size_t scanned = 0;  // bytes of `in` already searched for the end of the head
  bool close_after_output = false;
  bool writing = false;  // waiting for EPOLLOUT
  bool watched = false;  // registered with epoll (not before its first read came up short)
  bool nodelay = false;  // TCP_NODELAY set (only once the connection is kept alive)
  bool late = false;     // what was just read waited beyond max_wait: answered busy
  absl::Time last_active;
  // HTTPS only; null on a plain listener.
  SSL* ssl = nullptr;
  bool handshake_done = false;
  bool tls_broken = false;            // a fatal TLS error: no close_notify
  bool tls_read_wants_write = false;  // SSL_read must write first: wait for EPOLLOUT
  bool tls_write_wants_read = false;  // SSL_write must read first: wait for EPOLLIN
  absl::Time accepted_at;             // the handshake must finish within the idle timeout
  bool holds_handshake_place = false;  // counted in the worker's handshakes in progress
};

// What the head says about the request, besides its first line.
struct Head {
  std::string_view request_line;
  int http_minor = 1;
  bool keep_alive = true;
  bool has_body = false;
};

// The offset just past the blank line ending the head in `in`, searching from `from`; 0 while
// the head is incomplete. Bare LF line ends are tolerated.
size_t HeadEnd(std::string_view in, size_t from) {
  for (size_t i = from; i < in.size(); ++i) {
    if (in[i] != '\n') continue;
    if (i + 1 < in.size() && in[i + 1] == '\n') return i + 2;
    if (i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') return i + 3;
  }
  return 0;
}

Head ParseHead(std::string_view head) {
  Head h;
  size_t eol = head.find('\n');
  h.request_line = head.substr(0, eol);
  if (!h.request_line.empty() && h.request_line.back() == '\r') h.request_line.remove_suffix(1);
  h.http_minor = h.request_line.ends_with("HTTP/1.0") ? 0 : 1;
  h.keep_alive = h.http_minor == 1;
  while (eol != std::string_view::npos && eol + 1 < head.size()) {
    const size_t start = eol + 1;
    eol = head.find('\n', start);
    std::string_view line = head.substr(start, eol == std::string_view::npos ? eol : eol - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const absl::string_view name(line.data(), colon);
    const absl::string_view value =
        absl::StripAsciiWhitespace(absl::string_view(line.data() + colon + 1, line.size() - colon - 1));
    if (absl::EqualsIgnoreCase(name, "connection")) {
      const std::string lower = absl::AsciiStrToLower(value);
      if (lower.find("close") != std::string::npos) h.keep_alive = false;
      if (lower.find("keep-alive") != std::string::npos) h.keep_alive = true;
    } else if (absl::EqualsIgnoreCase(name, "content-length")) {
      int64_t n = 0;
      if (!absl::SimpleAtoi(value, &n) || n != 0) h.has_body = true;
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      h.has_body = true;
    }
  }
  return h;
}

void AppendResponse(int http_minor, int status, std::string_view reason, bool keep_alive,
                    std::string_view body, std::string* out) {
  out->append(http_minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
  absl::StrAppend(out, status, " ");
  out->append(reason);
  absl::StrAppend(out, "\r\nContent-Type: text/plain\r\nContent-Length: ", body.size(), "\r\n");
  // HTTP/1.1 keeps alive unless told; HTTP/1.0 closes unless told.
  if (!keep_alive) {
    out->append("Connection: close\r\n");
  } else if (http_minor == 0) {
    out->append("Connection: keep-alive\r\n");
  }
  out->append("\r\n");
  out->append(body);
}

}  // namespace

class HttpListener::Worker {
 public:
  Worker(HttpListener& owner, int listen_fd) : owner_(owner), listen_fd_(listen_fd) {}
  ~Worker() {
    for (auto& [fd, c] : connections_) Close(*c, false);
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
    close(listen_fd_);
  }

  absl::Status Start() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      return absl::InternalError(absl::StrCat("epoll: ", net::ErrnoText(errno)));
    }
    // Accept a connection only once its request has arrived: the request is then read right
    // after accept, and a connection closed after one answer never touches epoll.
    const int defer_seconds = 1;
    setsockopt(listen_fd_, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof defer_seconds);
    // listen() again changes the backlog of the socket listening already.
    if (owner_.options_.listen_backlog > 0) listen(listen_fd_, owner_.options_.listen_backlog);
    else if (timed()) SetBacklog(kMinAdaptiveBacklog * 8);  // until a rate is measured
    if (timed()) {
      // Accepted sockets inherit it: each read then says when its bytes arrived.
      const int on = 1;
      setsockopt(listen_fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    }
    Watch(listen_fd_, EPOLLIN, EPOLL_CTL_ADD);
    Watch(wake_fd_, EPOLLIN, EPOLL_CTL_ADD);
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  int Queued() const {
    tcp_info info{};
    socklen_t length = sizeof info;
    // Of a listening socket, tcpi_unacked is its accept queue's length.
    if (getsockopt(listen_fd_, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return 0;
    return static_cast<int>(info.tcpi_unacked);
  }

  void Stop() {
    if (!thread_.joinable()) return;
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
    thread_.join();
  }

 private:
  void Watch(int fd, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, op, fd, &ev);
  }

  // Registers the connection for `events`, or changes its registration.
  void Watch(Connection& c, uint32_t events) {
    Watch(c.fd, events, c.watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD);
    c.watched = true;
  }

  void Run() {
    rng_.seed(std::random_device{}());
    epoll_event events[128];
    absl::Time last_sweep = absl::Now();
    for (;;) {
      const int n = epoll_wait(epoll_fd_, events, 128, 1000);
      const absl::Time now = absl::Now();
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd_) return;
        if (fd == listen_fd_) {
          Accept(now);
          continue;
        }
        auto it = connections_.find(fd);
        if (it == connections_.end()) continue;
        Connection& c = *it->second;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          // A reset mid-handshake (a client that distrusts the certificate may close with the
          // server's flight unread) is a failed handshake too.
          if (c.ssl != nullptr && !c.handshake_done) {
            https_->CountHandshakeFailure(HandshakeFailure::kClosed);
            c.tls_broken = true;
          }
          Close(c, true);
        } else if (c.writing) {
          Flush(c, now);
        } else {
          Read(c, now);
        }
      }
      if (n > 0) busy_ += absl::Now() - now;
      if (now - last_sweep >= absl::Seconds(1)) {
        last_sweep = now;
        AdaptBacklog();
        SweepIdle(now);
        if (https_ != nullptr) https_->MaybeReload(now);
      }
    }
  }

  // Arrivals are checked for their wait: a plain request as it is read, an HTTPS connection's
  // first bytes (its ClientHello) before the handshake, as OpenSSL reads the socket itself.
  bool timed() const {
    return owner_.options_.max_wait > absl::ZeroDuration() && owner_.busy_handler_ != nullptr;
  }

  // Whether what the accepted HTTPS connection `fd` sent first has waited beyond max_wait
  // (peeked, so OpenSSL still reads it all). Nothing arrived yet: not late.
  bool LateHello(int fd) {
    char first;
    std::optional<timespec> at;
    return net::ReceiveStamped(fd, &first, 1, MSG_PEEK, &at) == 1 && at &&
           absl::Now() - absl::TimeFromTimespec(*at) > owner_.options_.max_wait;
  }

  // The backlog as what this worker answers in half of max_wait, measured over the last second
  // of its work (time spent handling events, not waiting for them).
  void AdaptBacklog() {
    const absl::Duration busy = std::exchange(busy_, absl::ZeroDuration());
    const uint64_t answered = std::exchange(answered_, 0);
    if (owner_.options_.listen_backlog > 0 || !timed() || answered < 100 ||
        busy < absl::Milliseconds(10)) {
      return;
    }
    const double per_second = static_cast<double>(answered) / absl::ToDoubleSeconds(busy);
    const int backlog = static_cast<int>(std::clamp(
        per_second * absl::ToDoubleSeconds(owner_.options_.max_wait) / 2,
        static_cast<double>(kMinAdaptiveBacklog), static_cast<double>(SOMAXCONN)));
    // Moves of less than a fifth are noise.
    if (std::abs(backlog - backlog_) * 5 > backlog_) SetBacklog(backlog);
    MaybeResumeAccepts();  // the handshake cap follows the backlog
  }

  void SetBacklog(int backlog) {
    if (listen(listen_fd_, backlog) == 0) backlog_ = backlog;
  }

  void Accept(absl::Time now) {
    for (int accepted = 0; accepted < kAcceptBatch; ++accepted) {
      if (https_ != nullptr && timed() && handshaking_ >= HandshakeCap()) return PauseAccepts();
      sockaddr_storage from{};
      socklen_t length = sizeof from;
      const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&from), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          log::Warn("tracker http accept failed", {{"error", net::ErrnoText(errno)}});
        }
        return;
      }
      if (owner_.open_.load(std::memory_order_relaxed) >= owner_.options_.max_connections) {
        // Over the cap: a failure reply with BEP 31's "retry in", written once without waiting
        // (the request is most likely here: TCP_DEFER_ACCEPT), then closed. No state is kept.
        // The request is read first, so that the close is a FIN, not a reset that could
        // discard the reply before the client reads it.
        if (owner_.busy_ != nullptr) owner_.busy_->Increment();
        if (https_ == nullptr) {
          char request[4096];
          (void)!read(fd, request, sizeof request);
          (void)!write(fd, owner_.busy_reply_.data(), owner_.busy_reply_.size());
        }
        close(fd);
        continue;
      }
      if (https_ != nullptr && timed() && LateHello(fd)) {
        // Too late to be served in time, and the handshake is most of what serving it costs:
        // closed unread, as over the cap; the client connects again later.
        https_->CountHandshakeFailure(HandshakeFailure::kLate);
        close(fd);
        continue;
      }
      auto owned = std::make_unique<Connection>();
      Connection& c = *owned;
      c.fd = fd;
      c.remote = PeerOf(from).address;
      c.last_active = now;
      connections_.emplace(fd, std::move(owned));
      owner_.open_.fetch_add(1, std::memory_order_relaxed);
      if (owner_.connections_ != nullptr) owner_.connections_->Increment();
      if (https_ != nullptr) {
        if (!StartTls(c, now)) continue;
        c.holds_handshake_place = true;
        ++handshaking_;
        https_->HandshakePlaceTaken();
      }
      // The request is most likely here already (TCP_DEFER_ACCEPT): serve it now, and watch
      // the connection only if it stays open.
      if (Read(c, now) && !c.watched) Watch(c, EPOLLIN | EPOLLRDHUP);
    }
  }

  // Reads what has arrived and answers it; false when the connection was closed.
  bool Read(Connection& c, absl::Time now) {
    bool peer_closed = false;
    for (;;) {
      // Into the worker's buffer, then appended: no zero-filling of a chunk per read.
      const ssize_t n = c.ssl != nullptr ? TlsRead(c)
                        : timed()        ? TimedRead(c)
                                         : recv(c.fd, read_buffer_, sizeof read_buffer_, 0);
      if (n > 0) {
        c.in.append(read_buffer_, static_cast<size_t>(n));
        // A short read took all there was; level-triggered epoll reports anything later, so
        // no second recv just to see EAGAIN. (SSL_read returns a record at a time: read on.)
        if (static_cast<size_t>(n) < sizeof read_buffer_ && c.ssl == nullptr) break;
        if (c.in.size() > owner_.options_.max_head_bytes * 4) break;  // serve what came first
        continue;
      }
      if (n == 0) peer_closed = true;
      else if (c.ssl != nullptr) {
        if (n == kTlsFailed) return TlsFailed(c);
      } else if (errno == EINTR) continue;
      else if (errno != EAGAIN && errno != EWOULDBLOCK) return Close(c, true);
      break;
    }
    if (peer_closed && c.ssl != nullptr && !c.handshake_done) return TlsFailed(c);
    c.last_active = now;
    Serve(c, now);
    if (peer_closed && c.out_sent == c.out.size()) return Close(c, true);
    if (peer_closed) c.close_after_output = true;
    if (!Flush(c, now)) return false;
    if (c.tls_read_wants_write && !c.writing) {  // handshake data waits for room to write
      c.writing = true;
      Watch(c, EPOLLOUT);
    }
    return true;
  }

  // recv that also notes whether the bytes waited beyond max_wait (c.late).
  ssize_t TimedRead(Connection& c) {
    std::optional<timespec> at;
    const ssize_t n = net::ReceiveStamped(c.fd, read_buffer_, sizeof read_buffer_, 0, &at);
    if (n > 0 && at) c.late |= absl::Now() - absl::TimeFromTimespec(*at) > owner_.options_.max_wait;
    return n;
  }

  // Makes the accepted connection a TLS server connection; false when it was closed instead.
  bool StartTls(Connection& c, absl::Time now) {
    c.ssl = https_->NewConnection();
    if (c.ssl == nullptr || SSL_set_fd(c.ssl, c.fd) != 1) {
      ERR_clear_error();
      return Close(c, true);
    }
    SSL_set_accept_state(c.ssl);  // SSL_read does the handshake
    c.accepted_at = now;
    // Without it the answer after a TLS 1.3 session ticket waits for the client's delayed ACK.
    const int on = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    c.nodelay = true;
    return true;
  }

  // SSL_read into the worker's buffer: bytes, 0 (the peer closed), kTlsWouldBlock or kTlsFailed.
  ssize_t TlsRead(Connection& c) {
    ERR_clear_error();  // SSL_get_error reads this thread's queue
    const int n = SSL_read(c.ssl, read_buffer_, static_cast<int>(sizeof read_buffer_));
    if (!c.handshake_done && SSL_is_init_finished(c.ssl)) {
      c.handshake_done = true;
      https_->CountHandshake();
      LeaveHandshakePlace(c);
    }
    return n > 0 ? n : TlsOutcome(c, n, SSL_ERROR_WANT_READ, &c.tls_read_wants_write);
  }

  // SSL_write of the pending output; as TlsRead.
  ssize_t TlsWrite(Connection& c) {
    ERR_clear_error();
    const size_t left = std::min<size_t>(c.out.size() - c.out_sent, INT_MAX);
    const int n = SSL_write(c.ssl, c.out.data() + c.out_sent, static_cast<int>(left));
    return n > 0 ? n : TlsOutcome(c, n, SSL_ERROR_WANT_WRITE, &c.tls_write_wants_read);
  }

  // What a failed SSL_read or SSL_write means. It would block waiting for `waits_for`, or for
  // the other direction (`*crossed` set: a handshake message to send or to receive first).
  static ssize_t TlsOutcome(Connection& c, int result, int waits_for, bool* crossed) {
    const int e = SSL_get_error(c.ssl, result);
    if (e == waits_for) return kTlsWouldBlock;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      *crossed = true;
      return kTlsWouldBlock;
    }
    return e == SSL_ERROR_ZERO_RETURN ? 0 : kTlsFailed;
  }

  // Closes a connection whose TLS failed (or that ended mid-handshake); a failed handshake is
  // counted, and a plain HTTP request gets a plain answer saying where it went wrong. False.
  bool TlsFailed(Connection& c) {
    c.tls_broken = true;
    if (!c.handshake_done) {
      const unsigned long e = ERR_peek_error();
      const bool plain_http =
          ERR_GET_LIB(e) == ERR_LIB_SSL && (ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST ||
                                            ERR_GET_REASON(e) == SSL_R_HTTPS_PROXY_REQUEST);
      if (plain_http) {
        // OpenSSL read only a record header: read the rest first, so that the close is a FIN
        // and not a reset that could discard the answer.
        (void)!recv(c.fd, read_buffer_, sizeof read_buffer_, 0);
        (void)!send(c.fd, owner_.plain_on_https_reply_.data(),
                    owner_.plain_on_https_reply_.size(), MSG_NOSIGNAL);
      }
      https_->CountHandshakeFailure(plain_http ? HandshakeFailure::kPlainHttp
                                    : e == 0   ? HandshakeFailure::kClosed
                                               : HandshakeFailure::kProtocol);
    }
    ERR_clear_error();
    return Close(c, true);
  }

  // Answers every complete request in the input, in order.
  void Serve(Connection& c, absl::Time now) {
    size_t consumed = 0;
    while (!c.close_after_output && c.out.size() - c.out_sent < kMaxPendingOutput) {
      const std::string_view pending = std::string_view(c.in).substr(consumed);
      const size_t end = HeadEnd(pending, c.scanned > consumed ? c.scanned - consumed : 0);
      if (end == 0) {
        if (pending.size() > owner_.options_.max_head_bytes) {
          Refuse(c, 431, "Request Header Fields Too Large", "request head too large");
          consumed = c.in.size();
        } else {
          c.scanned = c.in.size() >= 2 ? c.in.size() - 2 : 0;
        }
        break;
      }
      if (end > owner_.options_.max_head_bytes) {
        Refuse(c, 431, "Request Header Fields Too Large", "request head too large");
        consumed = c.in.size();
        break;
      }
      const Head head = ParseHead(pending.substr(0, end));
      consumed += end;
      c.scanned = consumed;
      if (head.has_body) {
        Refuse(c, 400, "Bad Request", "a tracker request has no body");
        consumed = c.in.size();
        break;
      }
      ++answered_;
      // Late: the cheap answer, so that the backlog drains and the rest keep their bound.
      (c.late ? owner_.busy_handler_ : owner_.handler_)(head.request_line, c.remote, now, rng_,
                                                         &body_);
      AppendResponse(head.http_minor, 200, "OK", head.keep_alive, body_, &c.out);
      if (!head.keep_alive) c.close_after_output = true;
    }
    c.late = false;
    c.in.erase(0, consumed);
    c.scanned = c.scanned >= consumed ? c.scanned - consumed : 0;
  }

  // A bencoded failure with an HTTP error status, then the connection closes.
  void Refuse(Connection& c, int status, std::string_view reason, std::string_view failure) {
    body_.clear();
    AppendFailureReply({.reason = failure}, &body_);
    AppendResponse(1, status, reason, false, body_, &c.out);
    c.close_after_output = true;
  }

  // Sends pending output; false when the connection was closed.
  bool Flush(Connection& c, absl::Time now) {
    if (!c.nodelay && !c.close_after_output && !c.out.empty()) {
      // Later answers must not wait for the client's ACK of earlier ones; a connection closed
      // after its one answer needs no such option.
      const int on = 1;
      setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      c.nodelay = true;
    }
    while (c.out_sent < c.out.size()) {
      const ssize_t n =
          c.ssl == nullptr
              ? send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL)
              : TlsWrite(c);
      if (n > 0) {
        c.out_sent += static_cast<size_t>(n);
        c.last_active = now;
        continue;
      }
      if (c.ssl != nullptr) {
        if (n != kTlsWouldBlock) return TlsFailed(c);
        c.writing = true;
        Watch(c, std::exchange(c.tls_write_wants_read, false) ? EPOLLIN : EPOLLOUT);
        return true;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!c.writing) {
          c.writing = true;
          Watch(c, EPOLLOUT);  // not RDHUP: it would fire on and on
        }
        return true;
      }
      return Close(c, true);
    }
    c.out.clear();
    c.out_sent = 0;
    if (c.close_after_output) return Close(c, true);
    if (c.writing) {
      c.writing = false;
      Watch(c, EPOLLIN | EPOLLRDHUP);
      // TLS: SSL_read stopped to write handshake data, or holds a record read already.
      if (c.ssl != nullptr &&
          (std::exchange(c.tls_read_wants_write, false) || SSL_has_pending(c.ssl) == 1)) {
        return Read(c, now);
      }
    }
    // Requests held back while output was pending.
    if (!c.in.empty()) {
      Serve(c, now);
      if (!c.out.empty()) return Flush(c, now);
    }
    return true;
  }

  // The most handshakes in progress before the worker stops accepting (max_handshakes).
  int HandshakeCap() const {
    if (owner_.options_.max_handshakes > 0) return owner_.options_.max_handshakes;
    const int backlog =
        owner_.options_.listen_backlog > 0 ? owner_.options_.listen_backlog : backlog_;
    return std::max(kMinAdaptiveBacklog, backlog);
  }

  void PauseAccepts() {
    if (accepts_paused_) return;
    accepts_paused_ = true;
    https_->CountAcceptPause();
    Watch(listen_fd_, 0, EPOLL_CTL_MOD);
  }

  // The connection's handshake no longer counts (done, failed, or held its place long enough).
  void LeaveHandshakePlace(Connection& c) {
    if (!c.holds_handshake_place) return;
    c.holds_handshake_place = false;
    --handshaking_;
    https_->HandshakePlaceLeft();
    MaybeResumeAccepts();
  }

  void MaybeResumeAccepts() {
    if (accepts_paused_ && handshaking_ < HandshakeCap()) {
      accepts_paused_ = false;
      Watch(listen_fd_, EPOLLIN, EPOLL_CTL_MOD);
    }
  }

  void SweepIdle(absl::Time now) {
    std::vector<Connection*> idle;
    for (auto& [fd, c] : connections_) {
      if (c->holds_handshake_place && now - c->accepted_at > kHandshakePlaceHeld) {
        LeaveHandshakePlace(*c);
      }
      // A handshake trickling in byte by byte is bounded from the accept, not the last read.
      if (c->ssl != nullptr && !c->handshake_done &&
          now - c->accepted_at > owner_.options_.idle_timeout) {
        https_->CountHandshakeFailure(HandshakeFailure::kTimeout);
        c->tls_broken = true;
        idle.push_back(c.get());
      } else if (now - c->last_active > owner_.options_.idle_timeout) {
        idle.push_back(c.get());
      }
    }
    for (Connection* c : idle) Close(*c, true);
  }

  // Closes the socket; `erase` drops it from the map (not while the destructor iterates it).
  // Returns false (the connection is gone), for Read and Flush to pass on.
  bool Close(Connection& c, bool erase) {
    LeaveHandshakePlace(c);
    if (c.ssl != nullptr) {
      // close_notify, best effort: tells a client reading to the end that nothing is cut off.
      if (c.handshake_done && !c.tls_broken) SSL_shutdown(c.ssl);
      SSL_free(c.ssl);
      ERR_clear_error();
    }
    const int fd = c.fd;
    // Counted off before the close, so that a client seeing its end sees the gauge without it.
    owner_.open_.fetch_sub(1, std::memory_order_relaxed);
    if (owner_.connections_ != nullptr) owner_.connections_->Decrement();
    close(fd);
    if (erase) connections_.erase(fd);
    return false;
  }

  HttpListener& owner_;
  HttpsContext* const https_ = owner_.options_.https;
  const int listen_fd_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  absl::flat_hash_map<int, std::unique_ptr<Connection>> connections_;
  Rng rng_;
  std::string body_;
  // The adaptive backlog's measure, reset each second.
  absl::Duration busy_;
  uint64_t answered_ = 0;
  int backlog_ = 0;
  // HTTPS: handshakes in progress that hold a place (max_handshakes), and whether the listen
  // socket is out of epoll's interest because of them.
  int handshaking_ = 0;
  bool accepts_paused_ = false;
  char read_buffer_[kReadChunk];
};

namespace {
std::string BusyReply() {
  std::string body, out;
  AppendFailureReply({.reason = "tracker busy; retry later", .retry_in_minutes = 1}, &body);
  AppendResponse(1, 200, "OK", false, body, &out);
  return out;
}

std::string PlainOnHttpsReply() {
  std::string body, out;
  AppendFailureReply({.reason = "this port speaks HTTPS: announce to the https:// URL"}, &body);
  AppendResponse(1, 400, "Bad Request", false, body, &out);
  return out;
}
}  // namespace

HttpListener::HttpListener(Handler handler, Handler busy_handler, HttpListenerOptions options,
                           metrics::Gauge* connections, metrics::Counter* busy)
    : handler_(std::move(handler)),
      busy_handler_(std::move(busy_handler)),
      options_(options),
      connections_(connections),
      busy_(busy),
      busy_reply_(BusyReply()),
      plain_on_https_reply_(PlainOnHttpsReply()),
      open_(options_.shared_open != nullptr ? *options_.shared_open : own_open_) {}

HttpListener::~HttpListener() { Stop(); }

absl::Status HttpListener::Start(const std::string& address) {
  return StartWorkers(
      address, SOCK_STREAM, options_.threads,
      [this](int fd) { return std::make_unique<Worker>(*this, fd); }, workers_, &port_);
}

void HttpListener::Stop() { StopWorkers(workers_); }

int HttpListener::Queued() const {
  int queued = 0;
  for (const auto& w : workers_) queued += w->Queued();
  return queued;
}

}  // namespace p2pims::tracker
