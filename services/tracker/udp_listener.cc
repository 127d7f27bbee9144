#include "services/tracker/udp_listener.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/log/log.h"
#include "lib/net/listen_socket.h"
#include "lib/net/receive_timestamp.h"
#include "services/tracker/listener_workers.h"
#include "services/tracker/socket_peer.h"

namespace p2pims::tracker {
namespace {

constexpr unsigned kReplyGroup = 8;
// Datagrams of one batch that waited too long and still get the busy handler's reply: one reply
// group, so that refusing costs at most one more sendmmsg a batch.
constexpr unsigned kBusyPerBatch = kReplyGroup;
constexpr size_t kControlSize = net::kReceiveTimestampControl;

// When the kernel queued the datagram, or `fallback`.
absl::Time ArrivalOf(const msghdr& m, absl::Time fallback) {
  const std::optional<timespec> at = net::ReceiveTimestamp(m);
  return at ? absl::TimeFromTimespec(*at) : fallback;
}

}  // namespace

class UdpListener::Worker {
 public:
  Worker(UdpListener& owner, int fd) : owner_(owner), fd_(fd) {
    const size_t n = static_cast<size_t>(std::max(1, owner_.options_.batch));
    buffers_.resize(n * owner_.options_.max_datagram);
    from_.resize(n);
    in_iov_.resize(n);
    in_.resize(n);
    replies_.resize(n);
    out_iov_.resize(n);
    out_.resize(n);
    if (timed()) control_.resize(n * kControlSize);
  }
  ~Worker() {
    if (wake_fd_ >= 0) close(wake_fd_);
    close(fd_);
  }

  absl::Status Start() {
    if (const int size = owner_.options_.receive_buffer; size > 0) {
      if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0 &&
          setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) {
        return absl::InternalError(absl::StrCat("SO_RCVBUF: ", net::ErrnoText(errno)));
      }
    }
    if (timed()) {
      const int on = 1;
      if (setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
        return absl::InternalError(absl::StrCat("SO_TIMESTAMPNS: ", net::ErrnoText(errno)));
      }
    }
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) return absl::InternalError(absl::StrCat("eventfd: ", net::ErrnoText(errno)));
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  void Stop() {
    if (!thread_.joinable()) return;
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
    thread_.join();
  }

  // Drops since the previous call. The kernel's counter (SO_MEMINFO, read here rather than
  // SO_RXQ_OVFL's control message on every datagram) is 32 bits and wraps.
  Drops TakeDrops() {
    Drops d;
    uint32_t info[SK_MEMINFO_VARS] = {};
    socklen_t length = sizeof info;
    if (getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, info, &length) == 0 &&
        length > SK_MEMINFO_DROPS * sizeof(uint32_t)) {
      const uint32_t drops = info[SK_MEMINFO_DROPS];
      d.buffer_full = static_cast<uint32_t>(drops - drops_seen_);
      drops_seen_ = drops;
    }
    const uint64_t late = too_late_.load(std::memory_order_relaxed);
    d.too_late = late - too_late_seen_;
    too_late_seen_ = late;
    return d;
  }

 private:
  bool timed() const { return owner_.options_.max_wait > absl::ZeroDuration(); }

  void Run() {
    rng_.seed(std::random_device{}());
    pollfd fds[2] = {{.fd = fd_, .events = POLLIN, .revents = 0},
                     {.fd = wake_fd_, .events = POLLIN, .revents = 0}};
    for (;;) {
      if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
      if (fds[1].revents != 0) return;
      if (fds[0].revents != 0) Drain();
    }
  }

  // Reads and answers batches until the socket has nothing more.
  void Drain() {
    const size_t size = owner_.options_.max_datagram;
    for (;;) {
      for (size_t i = 0; i < in_.size(); ++i) {
        in_iov_[i] = {buffers_.data() + i * size, size};
        in_[i] = {};
        in_[i].msg_hdr.msg_name = &from_[i];
        in_[i].msg_hdr.msg_namelen = sizeof from_[i];
        in_[i].msg_hdr.msg_iov = &in_iov_[i];
        in_[i].msg_hdr.msg_iovlen = 1;
        if (!control_.empty()) {
          in_[i].msg_hdr.msg_control = control_.data() + i * kControlSize;
          in_[i].msg_hdr.msg_controllen = kControlSize;
        }
      }
      const int n = recvmmsg(fd_, in_.data(), static_cast<unsigned>(in_.size()), MSG_DONTWAIT,
                             nullptr);
      if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          log::Warn("tracker udp receive failed", {{"error", net::ErrnoText(errno)}});
        }
        return;
      }
      const absl::Time now = absl::Now();
      // Arrived before this: waited too long, the busy handler answers.
      const absl::Time late = now - owner_.options_.max_wait;
      unsigned replies = 0;
      unsigned busy_left = kBusyPerBatch;
      uint64_t too_late = 0;
      for (int i = 0; i < n; ++i) {
        // Replies leave in small groups: the first datagram's client should not wait for the
        // whole batch (a client keeps only so many requests in flight).
        if (replies == kReplyGroup) {
          Send(replies);
          replies = 0;
        }
        const std::span<const uint8_t> datagram(buffers_.data() + i * size, in_[i].msg_len);
        std::string& reply = replies_[replies];
        if (!control_.empty() && ArrivalOf(in_[i].msg_hdr, now) < late) {
          if (busy_left == 0) {
            ++too_late;
            continue;
          }
          --busy_left;
          owner_.busy_(datagram, PeerOf(from_[i]), now, rng_, &reply);
        } else {
          owner_.handler_(datagram, PeerOf(from_[i]), now, rng_, &reply);
        }
        if (reply.empty()) continue;
        out_iov_[replies] = {reply.data(), reply.size()};
        out_[replies] = {};
        out_[replies].msg_hdr.msg_name = &from_[i];
        out_[replies].msg_hdr.msg_namelen = in_[i].msg_hdr.msg_namelen;
        out_[replies].msg_hdr.msg_iov = &out_iov_[replies];
        out_[replies].msg_hdr.msg_iovlen = 1;
        ++replies;
      }
      Send(replies);
      if (too_late > 0) too_late_.fetch_add(too_late, std::memory_order_relaxed);
      if (static_cast<size_t>(n) < in_.size()) return;
    }
  }

  // Sends the first `replies` prepared replies. A full send buffer drops replies, as UDP may:
  // the client retries (BEP 15).
  void Send(unsigned replies) {
    for (unsigned sent = 0; sent < replies;) {
      const int m = sendmmsg(fd_, out_.data() + sent, replies - sent, MSG_DONTWAIT);
      if (m <= 0) break;
      sent += static_cast<unsigned>(m);
    }
  }

  UdpListener& owner_;
  const int fd_;
  int wake_fd_ = -1;
  std::thread thread_;
  Rng rng_;
  std::vector<uint8_t> buffers_;
  std::vector<char> control_;          // the datagrams' timestamps; empty without max_wait
  uint32_t drops_seen_ = 0;            // housekeeping's
  std::atomic<uint64_t> too_late_{0};  // the worker's, read by housekeeping
  uint64_t too_late_seen_ = 0;         // housekeeping's
  std::vector<sockaddr_storage> from_;
  std::vector<iovec> in_iov_;
  std::vector<mmsghdr> in_;
  std::vector<std::string> replies_;
  std::vector<iovec> out_iov_;
  std::vector<mmsghdr> out_;
};

UdpListener::UdpListener(Handler handler, Handler busy, UdpListenerOptions options)
    : handler_(std::move(handler)), busy_(std::move(busy)), options_(options) {}

UdpListener::~UdpListener() { Stop(); }

absl::Status UdpListener::Start(const std::string& address) {
  return StartWorkers(
      address, SOCK_DGRAM, options_.threads,
      [this](int fd) { return std::make_unique<Worker>(*this, fd); }, workers_, &port_);
}

void UdpListener::Stop() { StopWorkers(workers_); }

UdpListener::Drops UdpListener::TakeDrops() {
  Drops all;
  for (auto& w : workers_) {
    const Drops d = w->TakeDrops();
    all.buffer_full += d.buffer_full;
    all.too_late += d.too_late;
  }
  return all;
}

}  // namespace p2pims::tracker
