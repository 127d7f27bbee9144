// tracker_load: drives a BitTorrent tracker with HTTP (BEP 3) or UDP (BEP 15) announces and
// prints one JSON line: announces per second, latency percentiles, refusals and errors. The same
// program drives p2pims-tracker (token in the path: /a/<token>/announce, or BEP 41 URL data) and
// opentracker (--plain: /announce, no URL data), so only the server differs.
//
//   tracker_load --print-hashes 1000 > hashes.txt        # the info-hashes, hex, one per line
//   tracker_load --http 127.0.0.1:6969 --key-file signing.keys --peers 50000 --duration 15
//   tracker_load --udp 127.0.0.1:6969 --plain --peers 50000 --inflight 64 --duration 15
//
// Workload: --swarms swarms (info-hash i of --print-hashes), --peers peers; peer p is in swarm
// p % swarms with index j = p / swarms inside it, peer id "-BN0001-" + 12 digits of p, port
// 1025 + j % 64000 (distinct inside a swarm, as opentracker keys peers by address and port).
// Tokens (unless --plain) are signed here with the first key of --key-file: one per
// --peers-per-token peers of a swarm (token t = swarm + swarms * (j / peers-per-token)); with
// --same-port-per-token the peers of one token share the token's port (p2pims-tracker allows
// a token 3 addresses per swarm; the peer identity there is peer id + token).
//
// Phases: fill (every peer announces once, event=started, in peer order), then --warmup seconds
// and --duration measured seconds of announces for uniformly random peers, compact=1,
// numwant=--numwant, with uploaded/downloaded growing and left shrinking per peer (a fifth of the
// peers of every swarm are seeders). --duration 0 stops after the fill (the memory fills).
//
// HTTP: --connections keep-alive connections (all threads together), one request at a time on
// each (no pipelining). A server that closes the connection after each answer (opentracker does) is
// detected on the first EOF, and from then on every request gets a fresh connection; latency
// then includes the connect; --connection-close asks for that from the start. UDP: one socket
// per thread, --inflight announces in flight (all threads together), replies read with recvmmsg
// and the next requests sent with sendmmsg; a connection id is fetched at start and every 50 s;
// an announce unanswered for 1 s (--lost-after-ms) is lost and replaced. --rate N (open loop, for
// overload): after the fill, N announces a second leave whatever comes back (HTTP: each on a
// connection of its own), and each is counted answered, refused (failure or error reply; "busy"
// ones also apart), lost (no answer within 1 s) or, HTTP, an error (connect failed, closed
// unanswered); the line adds offered, offered_per_s, busy, p999_ms and max_ms, and for HTTP
// first_try_p50_ms and first_try_p99_ms (answers whose connection needed no TCP retransmission:
// the latency the server is answerable for) and retransmitted (answers that needed one).
// --https: HTTP over TLS, a full handshake on every connection (the server's worst case); with
// --rate the line adds closed_in_handshake (connections the server closed before the handshake
// completed, counted as errors too: how p2pims-tracker sheds a late ClientHello):
//   tracker_load --udp 127.0.0.1:6969 --key-file signing.keys --rate 150000 --duration 10
//   tracker_load --http 127.0.0.1:6969 --key-file signing.keys --rate 30000 --duration 10
//   tracker_load --https 127.0.0.1:6970 --key-file signing.keys --rate 3000 --duration 10
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/config/flags.h"
#include "lib/net/receive_timestamp.h"
#include "lib/token/signer.h"

namespace {

using Clock = std::chrono::steady_clock;

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Info-hash i: pseudo-random bytes, so that servers hashing a prefix spread the swarms.
std::array<uint8_t, 20> HashOf(int64_t i) {
  std::array<uint8_t, 20> h{};
  for (int w = 0; w < 3; ++w) {
    const uint64_t v = SplitMix(static_cast<uint64_t>(i) * 3 + w + 0x5032504953ull);
    for (int b = 0; b < 8 && w * 8 + b < 20; ++b) h[w * 8 + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  return h;
}

std::string Hex(const std::array<uint8_t, 20>& h) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t c : h) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

std::string PercentEncode(const std::array<uint8_t, 20>& h) {
  static const char* d = "0123456789ABCDEF";
  std::string s;
  for (uint8_t c : h) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      s += static_cast<char>(c);
    } else {
      s += '%';
      s += d[c >> 4];
      s += d[c & 15];
    }
  }
  return s;
}

struct Workload {
  int64_t swarms = 1000;
  int64_t peers = 50000;
  int64_t per_token = 1;
  bool plain = false;
  bool same_port_per_token = false;
  bool connection_close = false;  // HTTP: a new connection for every announce
  std::string session_prefix = "bench";  // session id "<prefix>-<token index>"
  bool udp_token_path = false;           // UDP: /a/<token> rather than /s/<session key>
  int numwant = 50;
  std::vector<std::array<uint8_t, 20>> hashes;
  std::vector<std::string> hash_pct;
  std::vector<std::string> tokens;  // by token index

  int64_t Swarm(int64_t p) const { return p % swarms; }
  int64_t TokenOf(int64_t p) const { return p % swarms + swarms * ((p / swarms) / per_token); }
  int64_t Tokens() const {
    const int64_t per_swarm = (peers + swarms - 1) / swarms;
    return swarms * ((per_swarm + per_token - 1) / per_token);
  }
  uint16_t Port(int64_t p) const {
    const int64_t k = same_port_per_token ? TokenOf(p) : p / swarms;
    return static_cast<uint16_t>(1025 + k % 64000);
  }
  std::string PeerId(int64_t p) const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "-BN0001-%012lld", static_cast<long long>(p));
    return std::string(buf, 20);
  }
};

// What one peer reports; owned by the one thread that announces for it.
struct PeerState {
  int64_t uploaded = 0, downloaded = 0, left = 0;
  // Every fifth peer of a swarm (by its index j inside the swarm) starts as a seeder.
  void Init(int64_t p, int64_t swarms) {
    left = (p / swarms) % 5 == 0 ? 0 : static_cast<int64_t>(1 + SplitMix(p) % (1ll << 30));
  }
  void Advance(std::mt19937_64& rng) {
    const int64_t step = 16384 * static_cast<int64_t>(1 + rng() % 64);
    uploaded += 16384 * static_cast<int64_t>(rng() % 64);
    if (left > 0) {
      const int64_t got = std::min(left, step);
      downloaded += got;
      left -= got;
    }
  }
};

struct Tally {
  int64_t ok = 0;          // answered announces inside the measured window
  int64_t failures = 0;    // non-200, `failure reason` or a UDP error reply, measured window
  int64_t fill_failures = 0;
  int64_t errors = 0;      // transport errors (connection reset mid-answer, bad answers)
  int64_t retries = 0;     // requests sent again on a fresh connection after an EOF
  int64_t lost = 0;        // UDP announces unanswered for --lost-after-ms
  int64_t offered = 0;     // --rate: announces sent inside the measured window
  int64_t busy = 0;        // failures saying "busy" (the tracker shedding load), measured window
  int64_t peers_returned = 0;
  int64_t answered = 0;    // every answer, all phases (fill and warm-up too)
  std::string first_failure;
  std::vector<uint32_t> latency_us;
  // HTTP --rate: answers on connections that needed no TCP retransmission (the kernel took the
  // connection and the request at the first try), and how many did need one, measured window.
  std::vector<uint32_t> first_try_latency_us;
  int64_t retransmitted = 0;
  // HTTPS --rate: connections the server closed before the TLS handshake completed (in errors
  // too): how p2pims-tracker sheds a ClientHello that waited too long.
  int64_t closed_in_handshake = 0;
  void Fail(std::string_view what, bool measured) {
    if (measured) ++failures; else ++fill_failures;
    if (measured && what.find("busy") != std::string_view::npos) ++busy;
    if (first_failure.empty()) first_failure = std::string(what.substr(0, 200));
  }
};

struct Shared {
  const Workload* w = nullptr;
  int threads = 1;
  double rate_per_thread = 0;  // --rate: UDP announces per second each thread offers; 0: closed loop
  Clock::duration lost_after = std::chrono::seconds(1);  // UDP: unanswered this long is lost
  Clock::time_point measure_from, stop;
  Clock::time_point fill_start, fill_end;
  std::atomic<bool> failed{false};
  SSL_CTX* tls = nullptr;  // --https: every connection does a full handshake (no resumption)
};

std::string JsonEscape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += c; }
    else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) o += '?';
    else o += c;
  }
  return o;
}

bool ParseHostPort(const std::string& s, sockaddr_in* out) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  std::memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons(static_cast<uint16_t>(std::atoi(s.c_str() + colon + 1)));
  return inet_pton(AF_INET, s.substr(0, colon).c_str(), &out->sin_addr) == 1;
}

// ---------------------------------------------------------------- HTTP

// When the kernel queued bytes read with SO_TIMESTAMPNS on (a datagram, or a TCP read's last
// segment), if it says.
std::optional<std::chrono::system_clock::time_point> ArrivalOf(const std::optional<timespec>& ts) {
  if (!ts) return std::nullopt;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(ts->tv_sec) + std::chrono::nanoseconds(ts->tv_nsec)));
}
std::optional<std::chrono::system_clock::time_point> ArrivalOf(const msghdr& m) {
  return ArrivalOf(p2pims::net::ReceiveTimestamp(m));
}

// Open-loop pacing (--rate): how many announces are due by `now`, `rate` a second since `begin`.
// A thread that was not scheduled for a while catches up by at most 50 ms of announces: the
// rest of the gap is skipped, not offered (offered_per_s tells), rather than sent in a burst.
struct Pacer {
  double rate;
  Clock::time_point begin;
  uint64_t skipped = 0;
  uint64_t Due(Clock::time_point now, uint64_t sent) {
    const uint64_t scheduled =
        static_cast<uint64_t>(rate * std::chrono::duration<double>(now - begin).count());
    const uint64_t cap = sent + static_cast<uint64_t>(rate / 20) + 1;
    if (scheduled - skipped > cap) skipped = scheduled - cap;
    return scheduled - skipped;
  }
};

class HttpDriver {
 public:
  HttpDriver(Shared& sh, int t, int connections, sockaddr_in addr, std::barrier<>& after_fill,
             std::barrier<>& start)
      : sh_(sh), w_(*sh.w), t_(t), nconn_(connections), addr_(addr), after_fill_(after_fill),
        start_(start) {}

  void Run(Tally* out) {
    out_ = out;
    closes_ = w_.connection_close;
    rng_.seed(1000 + t_);
    for (int64_t p = t_; p < w_.peers; p += sh_.threads) states_[p].Init(p, w_.swarms);
    ep_ = epoll_create1(0);
    conns_.resize(nconn_);
    // Fill: every peer of this thread once, in order.
    next_fill_ = t_;
    filling_ = true;
    for (int i = 0; i < nconn_; ++i) StartNext(i);
    Loop([this] { return active_ == 0; });
    filling_ = false;
    after_fill_.arrive_and_wait();
    start_.arrive_and_wait();
    if (sh_.stop > Clock::now()) {
      if (sh_.rate_per_thread > 0) {
        RateLoop();
      } else {
        for (int i = 0; i < nconn_; ++i) StartNext(i);
        Loop([this] { return active_ == 0; });
      }
    }
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].fd >= 0) Drop(static_cast<int>(i));  // frees its TLS state too
    }
    close(ep_);
  }

  std::vector<PeerState>* states() { return &states_; }
  void SetStates(int64_t n) { states_.resize(n); }

 private:
  struct Conn {
    int fd = -1;
    bool connecting = false;
    bool fresh = false;  // no answer read on this connection yet
    std::string req;
    size_t sent = 0;
    std::string in;
    int64_t peer = -1;
    Clock::time_point t0;
    // --rate only:
    bool measured = false;                          // sent inside the measured window
    std::chrono::system_clock::time_point sent_at;  // the clock of the kernel's timestamps
    std::optional<std::chrono::system_clock::time_point> arrived;  // the answer's last bytes
    // --https only:
    SSL* ssl = nullptr;
    bool handshaking = false;
  };

  // Open loop (--rate): announces leave at the thread's rate whatever comes back, each on a
  // connection of its own (as many peers announcing once each), paced every millisecond; each
  // is answered, refused, lost (no answer within --lost-after-ms: reset and counted) or an
  // error (connect failed, closed unanswered). Only those sent inside the measured window
  // count. Latency runs from the connect to the answer reaching the socket (SO_TIMESTAMPNS),
  // so that the generator's own backlog is not counted. Slots are a ring of --lost-after-ms
  // plus 0.5 s of announces: sent in order, so the oldest is the next to be counted lost.
  void RateLoop() {
    open_loop_ = true;
    closes_ = true;
    const double rate = sh_.rate_per_thread;
    const double span_s = std::chrono::duration<double>(sh_.lost_after).count() + 0.5;
    const uint64_t ring = std::max<uint64_t>(1024, static_cast<uint64_t>(rate * span_s) + 1);
    for (auto& c : conns_) {
      if (c.fd >= 0) Drop(static_cast<int>(&c - conns_.data()));
    }
    conns_.assign(ring, Conn{});
    Pacer pacer{.rate = rate, .begin = Clock::now()};
    const Clock::time_point drain_until = sh_.stop + sh_.lost_after + std::chrono::milliseconds(100);
    uint64_t sent = 0, oldest = 0;
    epoll_event evs[256];
    for (;;) {
      Clock::time_point now = Clock::now();
      if (now >= drain_until) break;
      const uint64_t due = now < sh_.stop ? pacer.Due(now, sent) : sent;
      const auto wall = std::chrono::system_clock::now();
      // At most a batch between two looks at the answers: they must not wait behind the opens.
      for (int batch = 0; sent < due && batch < 256; ++sent, ++batch) {
        const int i = static_cast<int>(sent % ring);
        Conn& c = conns_[i];
        if (c.peer >= 0) Settle(i, true);  // not reached: lost before its slot comes round
        const int64_t p = RandomPeer();
        states_[p].Advance(rng_);
        c.peer = p;
        c.measured = now >= sh_.measure_from;
        out_->offered += c.measured;
        Build(p, false, &c.req);
        c.sent = 0;
        c.in.clear();
        c.arrived.reset();
        c.t0 = now;
        c.sent_at = wall;
        Open(i);
      }
      // Everything that is ready, then more opens; waiting (up to 1 ms) only when none are due.
      for (int n = 256, wait = sent < due ? 0 : 1; n == 256; wait = 0) {
        n = epoll_wait(ep_, evs, 256, wait);
        for (int k = 0; k < n; ++k) OnEvent(static_cast<int>(evs[k].data.u32), evs[k].events);
      }
      now = Clock::now();
      for (; oldest < sent; ++oldest) {
        const int i = static_cast<int>(oldest % ring);
        if (conns_[i].peer >= 0 && now - conns_[i].t0 < sh_.lost_after) break;
        if (conns_[i].peer >= 0) Settle(i, true);
      }
    }
    for (; oldest < sent; ++oldest) {
      if (conns_[oldest % ring].peer >= 0) Settle(static_cast<int>(oldest % ring), true);
    }
  }

  // Open loop: frees slot i, counting its announce lost when `unanswered`; an unanswered
  // connection is reset, so that no TIME_WAIT holds its port.
  void Settle(int i, bool unanswered) {
    Conn& c = conns_[i];
    if (unanswered && c.measured) ++out_->lost;
    if (c.fd >= 0) {
      if (unanswered) {
        const linger reset{1, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      }
      Drop(i);
    }
    c.peer = -1;
  }

  int64_t RandomPeer() {
    const int64_t mine = (w_.peers - t_ + sh_.threads - 1) / sh_.threads;
    return t_ + sh_.threads * std::uniform_int_distribution<int64_t>(0, mine - 1)(rng_);
  }

  template <typename Done>
  void Loop(Done done) {
    epoll_event evs[256];
    while (!done()) {
      const int n = epoll_wait(ep_, evs, 256, 100);
      for (int k = 0; k < n; ++k) OnEvent(static_cast<int>(evs[k].data.u32), evs[k].events);
    }
  }

  // Gives connection i its next announce, or retires it (fill done, or time is up). Open loop:
  // the announce is settled, the slot free.
  void StartNext(int i) {
    if (open_loop_) return Settle(i, false);
    Conn& c = conns_[i];
    int64_t p;
    bool started = false;
    if (filling_) {
      if (next_fill_ >= w_.peers) return Retire(i);
      p = next_fill_;
      next_fill_ += sh_.threads;
      started = true;
    } else {
      if (Clock::now() >= sh_.stop) return Retire(i);
      p = RandomPeer();
      states_[p].Advance(rng_);
    }
    if (c.peer < 0) ++active_;
    c.peer = p;
    Build(p, started, &c.req);
    c.sent = 0;
    c.in.clear();
    c.t0 = Clock::now();
    if (c.fd < 0 || closes_) {
      if (c.fd >= 0) Drop(i);
      Open(i);
    } else {
      Send(i);
    }
  }

  void Retire(int i) {
    Conn& c = conns_[i];
    if (c.peer >= 0) --active_;
    c.peer = -1;
  }

  void Build(int64_t p, bool started, std::string* r) {
    const PeerState& s = states_[p];
    r->clear();
    r->append("GET ");
    if (w_.plain) {
      r->append("/announce");
    } else {
      r->append("/a/").append(w_.tokens[w_.TokenOf(p)]).append("/announce");
    }
    absl::StrAppend(r, "?info_hash=", w_.hash_pct[w_.Swarm(p)], "&peer_id=", w_.PeerId(p),
                    "&port=", w_.Port(p), "&uploaded=", s.uploaded, "&downloaded=", s.downloaded,
                    "&left=", s.left, "&compact=1&numwant=", w_.numwant);
    if (started) r->append("&event=started");
    r->append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if (w_.connection_close || open_loop_) r->append("Connection: close\r\n");
    r->append("\r\n");
  }

  void Open(int i) {
    Conn& c = conns_[i];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (open_loop_) setsockopt(c.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    c.fresh = true;
    const int rc = connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_);
    epoll_event ev{};
    ev.data.u32 = static_cast<uint32_t>(i);
    if (rc == 0) {
      c.connecting = false;
      ev.events = EPOLLIN;
      epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
      Connected(i);
    } else if (errno == EINPROGRESS) {
      c.connecting = true;
      ev.events = EPOLLOUT;
      epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    } else {
      CountError(i);
      Note(absl::StrCat("connect: ", std::strerror(errno)));
      close(c.fd);
      c.fd = -1;
      if (open_loop_) return Settle(i, false);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      Open(i);
    }
  }

  // Open loop: only what was sent inside the measured window counts.
  void CountError(int i) {
    if (!open_loop_ || conns_[i].measured) ++out_->errors;
  }

  void Drop(int i) {
    Conn& c = conns_[i];
    if (c.ssl != nullptr) SSL_free(c.ssl);
    c.ssl = nullptr;
    c.handshaking = false;
    epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
  }

  void Watch(int i, uint32_t events) {
    epoll_event ev{};
    ev.data.u32 = static_cast<uint32_t>(i);
    ev.events = events;
    epoll_ctl(ep_, EPOLL_CTL_MOD, conns_[i].fd, &ev);
  }

  // TCP is connected: the request goes out, after a TLS handshake with --https.
  void Connected(int i) {
    Conn& c = conns_[i];
    if (sh_.tls == nullptr) return Send(i);
    c.ssl = SSL_new(sh_.tls);
    SSL_set_fd(c.ssl, c.fd);
    SSL_set_connect_state(c.ssl);
    c.handshaking = true;
    Handshake(i);
  }

  void Handshake(int i) {
    Conn& c = conns_[i];
    ERR_clear_error();  // SSL_get_error reads this thread's queue: only this call's errors
    const int rc = SSL_do_handshake(c.ssl);
    if (rc == 1) {
      c.handshaking = false;
      Watch(i, EPOLLIN);
      return Send(i);
    }
    const int e = SSL_get_error(c.ssl, rc);
    if (e == SSL_ERROR_WANT_READ) return Watch(i, EPOLLIN);
    if (e == SSL_ERROR_WANT_WRITE) return Watch(i, EPOLLIN | EPOLLOUT);
    // Counted as errors are (Resend: the measured window of the open loop), so that the two
    // compare; a closed loop's fill retries such a connection without counting an error.
    if (open_loop_ && c.measured) ++out_->closed_in_handshake;
    Resend(i);  // closed (or refused) before the handshake completed
  }

  void Send(int i) {
    Conn& c = conns_[i];
    while (c.sent < c.req.size()) {
      const char* data = c.req.data() + c.sent;
      const size_t size = c.req.size() - c.sent;
      ssize_t n;
      bool again;
      if (c.ssl != nullptr) {
        ERR_clear_error();
        n = SSL_write(c.ssl, data, static_cast<int>(size));
        const int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(c.ssl, static_cast<int>(n));
        again = e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ;
      } else {
        n = send(c.fd, data, size, MSG_NOSIGNAL);
        again = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      }
      if (n > 0) {
        c.sent += static_cast<size_t>(n);
        continue;
      }
      if (again) return Watch(i, EPOLLIN | EPOLLOUT);
      return Resend(i);  // the server closed it
    }
  }

  // Reads what is there into c.in: the byte count, 0 at EOF or on an error, -1 when nothing
  // more is there now. Open loop: c.arrived is the kernel's arrival time of what was read (with
  // TLS, of the first bytes still queued, peeked before the record is decrypted).
  ssize_t Read(int i, char* buf, size_t size) {
    Conn& c = conns_[i];
    std::optional<timespec> at;
    if (c.ssl == nullptr) {
      const ssize_t n = p2pims::net::ReceiveStamped(c.fd, buf, size, 0, &at);
      if (n > 0 && open_loop_) c.arrived = ArrivalOf(at);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -1;
      return std::max<ssize_t>(n, 0);
    }
    if (open_loop_ && p2pims::net::ReceiveStamped(c.fd, buf, 1, MSG_PEEK, &at) > 0) {
      c.arrived = ArrivalOf(at);
    }
    ERR_clear_error();
    const int n = SSL_read(c.ssl, buf, static_cast<int>(size));
    if (n > 0) return n;
    const int e = SSL_get_error(c.ssl, n);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? -1 : 0;
  }

  // The connection ended before an answer: the same request again on a fresh connection.
  void Resend(int i) {
    Conn& c = conns_[i];
    if (open_loop_) {  // no second try: the schedule goes on
      CountError(i);
      Note(c.in.empty() ? "connection closed without an answer"
                        : "connection closed in the middle of an answer");
      return Settle(i, false);
    }
    if (!c.in.empty()) {
      CountError(i);
      Note("connection closed in the middle of an answer");
    }
    ++out_->retries;
    Drop(i);
    c.sent = 0;
    c.in.clear();
    Open(i);
  }

  void OnEvent(int i, uint32_t events) {
    Conn& c = conns_[i];
    if (c.fd < 0) return;
    if (c.connecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        CountError(i);
        Note(absl::StrCat("connect: ", std::strerror(err)));
        Drop(i);
        if (open_loop_) return Settle(i, false);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return Open(i);
      }
      c.connecting = false;
      Watch(i, EPOLLIN);
      return Connected(i);
    }
    if (c.handshaking) return Handshake(i);
    if ((events & EPOLLOUT) && c.sent < c.req.size()) {
      Watch(i, EPOLLIN);
      Send(i);
      if (c.fd < 0) return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[16384];
    for (;;) {
      const ssize_t n = Read(i, buf, sizeof buf);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        // Plain: a short read emptied the socket. TLS: a record at a time, each looked at
        // before the next read (which could find the server's close after a whole answer); the
        // rest stays in the socket (no read-ahead), so epoll reports it again.
        if (c.ssl != nullptr || static_cast<size_t>(n) < sizeof buf) break;
        continue;
      }
      if (n < 0) break;
      // EOF or reset: a server that closes after each answer shows it here first.
      if (c.in.empty() && !c.fresh) closes_ = true;
      return Resend(i);
    }
    Parse(i);
  }

  void Parse(int i) {
    Conn& c = conns_[i];
    const size_t head_end = c.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    const std::string_view head(c.in.data(), head_end);
    int status = 0;
    if (head.size() > 12 && head.substr(0, 5) == "HTTP/") status = std::atoi(c.in.c_str() + 9);
    size_t length = 0;
    bool close_after = false;
    {
      std::string lower(head);
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const size_t cl = lower.find("\r\ncontent-length:");
      if (cl == std::string::npos) {
        CountError(i);
        Note("answer without Content-Length");
        Drop(i);
        return StartNext(i);
      }
      length = std::strtoull(lower.c_str() + cl + 17, nullptr, 10);
      close_after = lower.find("\r\nconnection: close") != std::string::npos ||
                    head.substr(0, 8) == "HTTP/1.0";
    }
    if (c.in.size() < head_end + 4 + length) return;
    const std::string_view body(c.in.data() + head_end + 4, length);
    const Clock::time_point now = Clock::now();
    const bool measured =
        open_loop_ ? c.measured : !filling_ && now >= sh_.measure_from && now < sh_.stop;
    c.fresh = false;
    ++out_->answered;
    if (status != 200 || body.find("failure reason") != std::string_view::npos) {
      out_->Fail(status != 200 ? absl::StrCat("HTTP ", status, ": ", std::string(body)) : std::string(body),
                 measured);
    } else if (measured) {
      ++out_->ok;
      const auto waited =
          open_loop_ && c.arrived
              ? std::chrono::duration_cast<Clock::duration>(*c.arrived - c.sent_at)
              : now - c.t0;
      const auto us = static_cast<uint32_t>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
      out_->latency_us.push_back(us);
      if (open_loop_) {
        // A SYN or request the server's kernel dropped (its listen queue full) was sent again
        // after a TCP timeout: TCP's back-off, not time the server kept the request waiting.
        tcp_info info{};
        socklen_t length = sizeof info;
        const bool retransmitted =
            getsockopt(c.fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0 && info.tcpi_total_retrans > 0;
        if (retransmitted) ++out_->retransmitted;
        else out_->first_try_latency_us.push_back(us);
      }
      const size_t peers = body.find("5:peers");
      if (peers != std::string_view::npos) {
        out_->peers_returned += std::strtoll(body.data() + peers + 7, nullptr, 10) / 6;
      }
    }
    if (close_after) closes_ = true;
    if (closes_) Drop(i);
    StartNext(i);
  }

  void Note(const std::string& what) {
    if (out_->first_failure.empty()) out_->first_failure = what;
  }

  Shared& sh_;
  const Workload& w_;
  const int t_;
  const int nconn_;
  const sockaddr_in addr_;
  std::barrier<>& after_fill_;
  std::barrier<>& start_;
  Tally* out_ = nullptr;
  std::mt19937_64 rng_;
  std::vector<PeerState> states_;
  std::vector<Conn> conns_;
  int ep_ = -1;
  int active_ = 0;
  bool filling_ = false;
  bool closes_ = false;
  bool open_loop_ = false;  // --rate
  int64_t next_fill_ = 0;
};

// ---------------------------------------------------------------- UDP

constexpr uint64_t kProtocolId = 0x41727101980ull;

void Put32(uint8_t* p, uint32_t v) { v = htonl(v); std::memcpy(p, &v, 4); }
void Put64(uint8_t* p, uint64_t v) {
  Put32(p, static_cast<uint32_t>(v >> 32));
  Put32(p + 4, static_cast<uint32_t>(v));
}
uint32_t Get32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return ntohl(v); }
uint64_t Get64(const uint8_t* p) { return (uint64_t{Get32(p)} << 32) | Get32(p + 4); }

// A connection id from a connect exchange, or 0 when none came within `tries` seconds.
uint64_t UdpConnect(int fd, int tries) {
  for (int k = 0; k < tries; ++k) {
    uint8_t req[16];
    const uint32_t tid = 0xC0000000u | static_cast<uint32_t>(k);
    Put64(req, kProtocolId);
    Put32(req + 8, 0);
    Put32(req + 12, tid);
    if (send(fd, req, sizeof req, 0) < 0) return 0;
    const auto deadline = Clock::now() + std::chrono::seconds(1);
    while (Clock::now() < deadline) {
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, 100) <= 0) continue;
      uint8_t buf[2048];
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n >= 16 && Get32(buf) == 0 && Get32(buf + 4) == tid) return Get64(buf + 8);
    }
  }
  return 0;
}

class UdpDriver {
 public:
  UdpDriver(Shared& sh, int t, int inflight, sockaddr_in addr, std::barrier<>& after_fill,
            std::barrier<>& start)
      : sh_(sh), w_(*sh.w), t_(t), n_(inflight), addr_(addr), after_fill_(after_fill),
        start_(start) {}

  void SetStates(int64_t n) { states_.resize(n); }

  void Run(Tally* out) {
    out_ = out;
    rng_.seed(2000 + t_);
    for (int64_t p = t_; p < w_.peers; p += sh_.threads) states_[p].Init(p, w_.swarms);
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int buf = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    connect(fd_, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_);
    conn_id_ = UdpConnect(fd_, 5);
    conn_at_ = Clock::now();
    if (conn_id_ == 0) {
      sh_.failed = true;
      Note("no answer to the UDP connect request");
    }
    slots_.resize(n_);
    next_fill_ = t_;
    filling_ = true;
    if (!sh_.failed) Loop();
    filling_ = false;
    after_fill_.arrive_and_wait();
    start_.arrive_and_wait();
    if (!sh_.failed && sh_.stop > Clock::now()) {
      if (sh_.rate_per_thread > 0) {
        RateLoop();
      } else {
        Loop();
      }
    }
    close(fd_);
  }

 private:
  struct Slot {
    bool busy = false;
    uint32_t tid = 0;
    Clock::time_point t0;
  };

  void Loop() {
    std::vector<int> todo;
    for (int i = 0; i < n_; ++i) todo.push_back(i);
    constexpr int kBatch = 64;
    std::vector<mmsghdr> msgs(kBatch);
    std::vector<iovec> iovs(kBatch);
    std::vector<std::array<uint8_t, 2048>> bufs(kBatch);
    std::vector<std::string> outs(static_cast<size_t>(n_));
    std::vector<mmsghdr> smsgs(static_cast<size_t>(n_));
    std::vector<iovec> siovs(static_cast<size_t>(n_));
    Clock::time_point last_sweep = Clock::now();
    for (;;) {
      // Send what is due.
      int ns = 0;
      for (int i : todo) {
        if (!Next(i, &outs[i])) {
          slots_[i].busy = false;
          continue;
        }
        slots_[i].busy = true;
        siovs[ns] = {outs[i].data(), outs[i].size()};
        smsgs[ns] = {};
        smsgs[ns].msg_hdr.msg_iov = &siovs[ns];
        smsgs[ns].msg_hdr.msg_iovlen = 1;
        ++ns;
      }
      int active = 0;
      for (const Slot& s : slots_) active += s.busy;
      todo.clear();
      for (int sent = 0; sent < ns;) {
        const int m = sendmmsg(fd_, smsgs.data() + sent, static_cast<unsigned>(ns - sent), 0);
        if (m <= 0) {
          if (errno == EINTR || errno == EAGAIN || errno == ECONNREFUSED) continue;
          ++out_->errors;
          Note(absl::StrCat("sendmmsg: ", std::strerror(errno)));
          break;
        }
        sent += m;
      }
      if (active == 0) return;
      // Read answers.
      for (int k = 0; k < kBatch; ++k) {
        iovs[k] = {bufs[k].data(), bufs[k].size()};
        msgs[k] = {};
        msgs[k].msg_hdr.msg_iov = &iovs[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
      }
      pollfd pfd{fd_, POLLIN, 0};
      int n = 0;
      if (poll(&pfd, 1, 100) > 0) {
        n = recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n < 0) n = 0;
      }
      const Clock::time_point now = Clock::now();
      const bool measured = !filling_ && now >= sh_.measure_from && now < sh_.stop;
      for (int k = 0; k < n; ++k) {
        const uint8_t* b = bufs[k].data();
        const size_t len = msgs[k].msg_len;
        if (len < 8) { ++out_->errors; continue; }
        const uint32_t tid = Get32(b + 4);
        const int i = static_cast<int>(tid & 0xffff);
        if (i >= n_ || !slots_[i].busy || slots_[i].tid != tid) continue;  // late or foreign
        Count(b, len, measured, now - slots_[i].t0);
        todo.push_back(i);
      }
      if (now - last_sweep > std::chrono::milliseconds(200)) {
        last_sweep = now;
        for (int i = 0; i < n_; ++i) {
          if (slots_[i].busy && now - slots_[i].t0 > sh_.lost_after &&
              std::find(todo.begin(), todo.end(), i) == todo.end()) {
            ++out_->lost;
            todo.push_back(i);
          }
        }
        if (now - conn_at_ > std::chrono::seconds(50)) {
          // Fresh connection id; answers still in flight are dropped as late.
          const uint64_t id = UdpConnect(fd_, 5);
          if (id != 0) conn_id_ = id;
          conn_at_ = Clock::now();
        }
      }
    }
  }

  // Tallies one answer (at least 8 bytes) to an announce sent `waited` ago.
  void Count(const uint8_t* b, size_t len, bool measured, Clock::duration waited) {
    ++out_->answered;
    const uint32_t action = Get32(b);
    if (action == 1 && len >= 20) {
      if (measured) {
        ++out_->ok;
        out_->latency_us.push_back(static_cast<uint32_t>(std::max<int64_t>(
            0, std::chrono::duration_cast<std::chrono::microseconds>(waited).count())));
        out_->peers_returned += static_cast<int64_t>((len - 20) / 6);
      }
    } else if (action == 3) {
      out_->Fail(std::string(reinterpret_cast<const char*>(b + 8), len - 8), measured);
    } else {
      ++out_->errors;
      Note(absl::StrCat("unexpected UDP answer, action ", action, ", ", len, " bytes"));
    }
  }

  // Open loop (--rate): announces leave at the thread's rate whatever comes back, paced every
  // millisecond in small sendmmsg batches; each is answered, refused, or lost (no answer within
  // 1 s). Only those sent inside the measured window count, whenever their answer comes.
  // Latency ends when the answer reached this socket (the kernel's SO_TIMESTAMPNS), not when
  // this thread read it: at three times a server's rate the generator's own core is busy, and
  // its receive queue is not the server's doing.
  void RateLoop() {
    // A fresh connection id: valid for at least 60 s of this phase (--warmup + --duration).
    if (const uint64_t id = UdpConnect(fd_, 5); id != 0) conn_id_ = id;
    const int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    const double rate = sh_.rate_per_thread;
    // One slot per announce of the last 2.5 s (--lost-after-ms is at most 2 s): sent in order,
    // so the oldest is the next to be counted lost, and a slot comes round again only after its
    // announce was settled.
    const uint64_t ring = std::max<uint64_t>(4096, static_cast<uint64_t>(rate * 2.5));
    struct Pending {
      bool busy = false;
      bool measured = false;
      uint32_t tid = 0;
      Clock::time_point t0;
      std::chrono::system_clock::time_point sent_at;  // the clock of the kernel's timestamps
    };
    std::vector<Pending> pending(ring);
    constexpr int kBatch = 32;
    std::vector<std::string> outs(kBatch);
    std::vector<mmsghdr> smsgs(kBatch), rmsgs(kBatch);
    std::vector<iovec> siovs(kBatch), riovs(kBatch);
    std::vector<std::array<uint8_t, 2048>> bufs(kBatch);
    constexpr size_t kControl = p2pims::net::kReceiveTimestampControl;
    std::vector<char> control(kBatch * kControl);
    Pacer pacer{.rate = rate, .begin = Clock::now()};
    const Clock::time_point drain_until = sh_.stop + sh_.lost_after + std::chrono::milliseconds(100);
    uint64_t sent = 0, oldest = 0;
    for (;;) {
      Clock::time_point now = Clock::now();
      if (now >= drain_until) break;
      const auto wall = std::chrono::system_clock::now();
      const uint64_t due = now < sh_.stop ? pacer.Due(now, sent) : sent;
      while (sent < due) {
        const int ns = static_cast<int>(std::min<uint64_t>(kBatch, due - sent));
        const bool measured = now >= sh_.measure_from;
        for (int k = 0; k < ns; ++k) {
          Pending& slot = pending[(sent + k) % ring];
          if (slot.busy && slot.measured) ++out_->lost;  // not reached: the ring spans 2.5 s
          slot = {.busy = true, .measured = measured,
                  .tid = static_cast<uint32_t>(sent + k), .t0 = now, .sent_at = wall};
          out_->offered += measured;
          Build(RandomPeer(), false, slot.tid, &outs[k]);
          siovs[k] = {outs[k].data(), outs[k].size()};
          smsgs[k] = {};
          smsgs[k].msg_hdr.msg_iov = &siovs[k];
          smsgs[k].msg_hdr.msg_iovlen = 1;
        }
        for (int done = 0; done < ns;) {
          const int m = sendmmsg(fd_, smsgs.data() + done, static_cast<unsigned>(ns - done), 0);
          if (m > 0) {
            done += m;
          } else if (errno != EINTR && errno != EAGAIN && errno != ECONNREFUSED) {
            ++out_->errors;
            Note(absl::StrCat("sendmmsg: ", std::strerror(errno)));
            break;
          }
        }
        sent += static_cast<uint64_t>(ns);
      }
      // Answers until the next millisecond's sends are due.
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 1) > 0) {
        for (;;) {
          for (int k = 0; k < kBatch; ++k) {
            riovs[k] = {bufs[k].data(), bufs[k].size()};
            rmsgs[k] = {};
            rmsgs[k].msg_hdr.msg_iov = &riovs[k];
            rmsgs[k].msg_hdr.msg_iovlen = 1;
            rmsgs[k].msg_hdr.msg_control = control.data() + k * kControl;
            rmsgs[k].msg_hdr.msg_controllen = kControl;
          }
          const int n = recvmmsg(fd_, rmsgs.data(), kBatch, MSG_DONTWAIT, nullptr);
          if (n <= 0) break;
          now = Clock::now();
          for (int k = 0; k < n; ++k) {
            if (rmsgs[k].msg_len < 8) {
              ++out_->errors;
              continue;
            }
            const uint32_t tid = Get32(bufs[k].data() + 4);
            Pending& slot = pending[tid % ring];
            if (!slot.busy || slot.tid != tid) continue;  // late (counted lost) or foreign
            slot.busy = false;
            const auto arrived = ArrivalOf(rmsgs[k].msg_hdr);
            Count(bufs[k].data(), rmsgs[k].msg_len, slot.measured,
                  arrived ? std::chrono::duration_cast<Clock::duration>(*arrived - slot.sent_at)
                          : now - slot.t0);
          }
          if (n < kBatch) break;
        }
      }
      now = Clock::now();
      for (; oldest < sent; ++oldest) {
        Pending& slot = pending[oldest % ring];
        if (slot.busy && now - slot.t0 < sh_.lost_after) break;
        if (slot.busy && slot.measured) ++out_->lost;
        slot.busy = false;
      }
    }
    for (; oldest < sent; ++oldest) {
      Pending& slot = pending[oldest % ring];
      if (slot.busy && slot.measured) ++out_->lost;
      slot.busy = false;
    }
  }

  // Builds slot i's next announce into *out; false when the phase is over for it.
  bool Next(int i, std::string* out) {
    int64_t p;
    bool started = false;
    if (filling_) {
      if (next_fill_ >= w_.peers) return false;
      p = next_fill_;
      next_fill_ += sh_.threads;
      started = true;
    } else {
      if (Clock::now() >= sh_.stop) return false;
      p = RandomPeer();
    }
    Slot& s = slots_[i];
    s.tid = (++seq_ << 16) | static_cast<uint32_t>(i);
    s.t0 = Clock::now();
    Build(p, started, s.tid, out);
    return true;
  }

  // A random peer of this thread, its counters advanced (the measured phases' announces).
  int64_t RandomPeer() {
    const int64_t mine = (w_.peers - t_ + sh_.threads - 1) / sh_.threads;
    const int64_t p = t_ + sh_.threads * std::uniform_int_distribution<int64_t>(0, mine - 1)(rng_);
    states_[p].Advance(rng_);
    return p;
  }

  // Peer p's announce datagram with transaction id `tid` into *out.
  void Build(int64_t p, bool started, uint32_t tid, std::string* out) {
    const PeerState& st = states_[p];
    out->assign(98, '\0');
    uint8_t* b = reinterpret_cast<uint8_t*>(out->data());
    Put64(b, conn_id_);
    Put32(b + 8, 1);
    Put32(b + 12, tid);
    std::memcpy(b + 16, w_.hashes[w_.Swarm(p)].data(), 20);
    const std::string id = w_.PeerId(p);
    std::memcpy(b + 36, id.data(), 20);
    Put64(b + 56, static_cast<uint64_t>(st.downloaded));
    Put64(b + 64, static_cast<uint64_t>(st.left));
    Put64(b + 72, static_cast<uint64_t>(st.uploaded));
    Put32(b + 80, started ? 2 : 0);
    Put32(b + 84, 0);                                   // ip: the source address
    Put32(b + 88, static_cast<uint32_t>(SplitMix(p)));  // key
    Put32(b + 92, static_cast<uint32_t>(w_.numwant));
    const uint16_t port = htons(w_.Port(p));
    std::memcpy(b + 96, &port, 2);
    if (!w_.plain) {
      // BEP 41: the path as URLData options of at most 255 bytes each, then EndOfOptions.
      const std::string path =
          w_.udp_token_path ? absl::StrCat("/a/", w_.tokens[w_.TokenOf(p)])
                            : absl::StrCat("/s/", w_.session_prefix, "-", w_.TokenOf(p));
      for (size_t at = 0; at < path.size(); at += 255) {
        const size_t n = std::min<size_t>(255, path.size() - at);
        out->push_back(2);
        out->push_back(static_cast<char>(n));
        out->append(path, at, n);
      }
      out->push_back(0);
    }
  }

  void Note(const std::string& what) {
    if (out_->first_failure.empty()) out_->first_failure = what;
  }

  Shared& sh_;
  const Workload& w_;
  const int t_;
  const int n_;
  const sockaddr_in addr_;
  std::barrier<>& after_fill_;
  std::barrier<>& start_;
  Tally* out_ = nullptr;
  std::mt19937_64 rng_;
  std::vector<PeerState> states_;
  std::vector<Slot> slots_;
  int fd_ = -1;
  uint64_t conn_id_ = 0;
  Clock::time_point conn_at_;
  uint32_t seq_ = 0;
  bool filling_ = false;
  int64_t next_fill_ = 0;
};

// CPU seconds this process has used so far (all threads).
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double PercentileMs(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i] / 1000.0;
}

// Signs one token per token index, on `threads` threads.
// The claims of token k: they depend only on k, the workload and `issued_at`.
p2pims::token::Claims ClaimsOf(const Workload& w, int64_t k, uint32_t issued_at) {
  p2pims::token::Claims c;
  c.subject = absl::StrCat("sip:user", k, "@ims.example.net");
  const auto& h = w.hashes[static_cast<size_t>(k % w.swarms)];
  std::copy(h.begin(), h.end(), c.info_hash.begin());
  c.session_id = absl::StrCat(w.session_prefix, "-", k);
  c.locality = absl::StrCat("001-01/area-", k % 8, "/cell-", k % 64);
  c.role = p2pims::token::Role::kLeech;
  c.caps = p2pims::token::kCapUpload;
  c.issued_at = issued_at;
  c.expires_at = issued_at + 6 * 3600;
  for (size_t b = 0; b < c.token_id.size(); ++b) {
    c.token_id[b] =
        static_cast<uint8_t>(SplitMix(static_cast<uint64_t>(k) * 2 + b / 8) >> (8 * (b % 8)));
  }
  return c;
}

// Claims depend only on the token index and `issued_at`, and Ed25519 signatures are
// deterministic: runs with the same --issued-at send the same tokens (cache hits, same peers).
bool SignTokens(const std::string& key_file, uint32_t issued_at, Workload* w, int threads) {
  auto keys = p2pims::token::LoadKeyFile(key_file);
  if (!keys.ok() || keys->empty()) {
    std::cerr << "error: cannot read --key-file: " << keys.status().message() << "\n";
    return false;
  }
  const p2pims::token::Signer signer((*keys)[0]);
  const int64_t n = w->Tokens();
  w->tokens.assign(static_cast<size_t>(n), "");
  std::atomic<bool> ok{true};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int64_t k = t; k < n; k += threads) {
        auto token = signer.Sign(ClaimsOf(*w, k, issued_at));
        if (!token.ok()) {
          ok = false;
          return;
        }
        w->tokens[static_cast<size_t>(k)] = *std::move(token);
      }
    });
  }
  for (auto& th : workers) th.join();
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  p2pims::Flags flags("tracker_load",
                      "Drives a BitTorrent tracker with HTTP or UDP announces; one JSON line.");
  flags.Add("print-hashes", "0", "print this many info-hashes (hex, one a line) and exit");
  flags.Add("http", "", "host:port of an HTTP tracker");
  flags.Add("https", "",
            "host:port of an HTTPS tracker: as --http, each connection with a full TLS "
            "handshake (no session resumption; the certificate is not checked)");
  flags.Add("udp", "", "host:port of a UDP tracker");
  flags.Add("probe", "false", "UDP: only check that a connect request is answered (exit 3 if not)");
  flags.Add("plain", "false", "no token: /announce, and no BEP 41 URL data (opentracker)");
  flags.Add("key-file", "", "signing key file (rights' --signing-key-file); the first key signs");
  flags.Add("print-sessions", "false",
            "print the session rows of the workload's tokens (tab-separated, for COPY into "
            "tracker.session: session_id, token_id, info_hash hex, subject, locality, "
            "token_expires_at) and exit; needs --issued-at");
  flags.Add("session-prefix", "bench", "session ids are <prefix>-<token index>");
  flags.Add("udp-token-path", "false",
            "UDP: send the whole token (/a/<token>, split over URLData options) instead of the "
            "session's announce key (/s/<key>, what OpenSession's UDP URL carries)");
  flags.Add("issued-at", "0",
            "tokens' issued_at, Unix seconds (0: a minute ago); they expire 6 hours later");
  flags.Add("swarms", "1000", "swarms (the first info-hashes of --print-hashes)");
  flags.Add("peers", "50000", "simulated peers");
  flags.Add("peers-per-token", "1", "peers of one swarm sharing a token");
  flags.Add("same-port-per-token", "false", "the peers of a token share its port");
  flags.Add("connection-close", "false",
            "HTTP: send Connection: close and use a new connection for every announce");
  flags.Add("numwant", "50", "numwant of every announce");
  flags.Add("threads", "1", "client threads");
  flags.Add("connections", "32", "HTTP: keep-alive connections (all threads together)");
  flags.Add("inflight", "64", "UDP: announces in flight (all threads together)");
  flags.Add("lost-after-ms", "1000",
            "UDP: an announce unanswered this long is lost (closed loop: replaced); 1..2000");
  flags.Add("rate", "0",
            "after the fill (closed loop), offer this many announces per second (all threads "
            "together) whatever the answers, paced every millisecond (open loop; HTTP: a "
            "connection each; UDP: --warmup + --duration at most 60 s, a connection id's "
            "life); 0: closed loop");
  flags.Add("warmup", "2", "seconds of random announces after the fill, before measuring");
  flags.Add("duration", "15", "measured seconds; 0: only the fill");
  if (auto code = flags.ParseCommandLine(argc, argv)) return *code;
  auto num = [&](const char* name) -> int64_t {
    auto v = flags.GetInt(name);
    if (!v.ok() || *v < 0) {
      std::cerr << "error: --" << name << " must be a non-negative integer\n";
      std::exit(2);
    }
    return *v;
  };
  if (const int64_t n = num("print-hashes"); n > 0) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += Hex(HashOf(i)) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  const bool print_sessions = flags.GetBool("print-sessions").value_or(false);
  const bool https = !flags.Get("https").empty();
  const bool http = !flags.Get("http").empty() || https;
  if (num("rate") > 0) {
    // HTTP: a connection per announce in flight; UDP: none, but the same limit costs nothing.
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (!print_sessions &&
      (http == !flags.Get("udp").empty() || (https && !flags.Get("http").empty()))) {
    std::cerr << "error: give exactly one of --http, --https and --udp\n";
    return 2;
  }
  sockaddr_in addr{};
  const std::string target = https  ? flags.Get("https")
                             : http ? flags.Get("http")
                                    : flags.Get("udp");
  if (!print_sessions && !ParseHostPort(target, &addr)) {
    std::cerr << "error: bad host:port\n";
    return 2;
  }
  if (!print_sessions && !http && flags.GetBool("probe").value_or(false)) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const bool answered = UdpConnect(fd, 2) != 0;
    close(fd);
    std::cout << (answered ? "{\"udp\":\"answers\"}" : "{\"udp\":\"silent\"}") << "\n";
    return answered ? 0 : 3;
  }

  Workload w;
  w.swarms = std::max<int64_t>(1, num("swarms"));
  w.peers = std::max<int64_t>(1, num("peers"));
  w.per_token = std::max<int64_t>(1, num("peers-per-token"));
  w.plain = flags.GetBool("plain").value_or(false);
  w.same_port_per_token = flags.GetBool("same-port-per-token").value_or(false);
  w.connection_close = flags.GetBool("connection-close").value_or(false);
  w.numwant = static_cast<int>(num("numwant"));
  w.session_prefix = flags.Get("session-prefix");
  w.udp_token_path = flags.GetBool("udp-token-path").value_or(false);
  for (int64_t i = 0; i < w.swarms; ++i) {
    w.hashes.push_back(HashOf(i));
    w.hash_pct.push_back(PercentEncode(w.hashes.back()));
  }
  const int threads = static_cast<int>(std::max<int64_t>(1, num("threads")));
  const auto sign_start = Clock::now();
  if (!w.plain) {
    if (flags.Get("key-file").empty()) {
      std::cerr << "error: --key-file is needed unless --plain\n";
      return 2;
    }
    const int64_t issued_at = num("issued-at");
    if (!SignTokens(flags.Get("key-file"),
                    static_cast<uint32_t>(issued_at > 0 ? issued_at : std::time(nullptr) - 60), &w,
                    2)) {
      return 1;
    }
  }
  const double sign_s = std::chrono::duration<double>(Clock::now() - sign_start).count();
  if (print_sessions) {
    // The rows Tracker.OpenSession writes; without an open session the tracker refuses the
    // token's announces ("this token's access has ended").
    const int64_t issued_at = num("issued-at");
    if (issued_at <= 0) {
      std::cerr << "error: --print-sessions needs --issued-at\n";
      return 2;
    }
    std::string out;
    for (int64_t k = 0; k < w.Tokens(); ++k) {
      // The announce key is the session id itself: unique, and of the key alphabet.
      const p2pims::token::Claims c = ClaimsOf(w, k, static_cast<uint32_t>(issued_at));
      std::string id;
      for (uint8_t b : c.token_id) absl::StrAppend(&id, absl::Hex(b, absl::kZeroPad2));
      absl::StrAppend(&out, c.session_id, "\t", id, "\t", Hex(c.info_hash), "\t", c.subject, "\t",
                      c.locality, "\t", c.expires_at, "\t", c.session_id, "\t",
                      w.tokens.empty() ? std::string("\\N") : w.tokens[k], "\n");
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }

  Shared sh;
  sh.w = &w;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls(nullptr, SSL_CTX_free);
  if (https) {
    tls.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_verify(tls.get(), SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_session_cache_mode(tls.get(), SSL_SESS_CACHE_OFF);
    sh.tls = tls.get();
  }
  sh.threads = threads;
  const int64_t rate = num("rate");
  sh.rate_per_thread = static_cast<double>(rate) / threads;
  sh.lost_after = std::chrono::milliseconds(std::clamp<int64_t>(num("lost-after-ms"), 1, 2000));
  const int64_t warmup = num("warmup");
  const int64_t duration = num("duration");
  std::barrier after_fill(threads + 1);
  std::barrier start(threads + 1);
  std::vector<Tally> tallies(threads);
  std::vector<std::thread> workers;
  std::vector<std::unique_ptr<HttpDriver>> hd;
  std::vector<std::unique_ptr<UdpDriver>> ud;
  const int connections = static_cast<int>(std::max<int64_t>(num("connections"), threads));
  const int inflight = static_cast<int>(std::min<int64_t>(std::max<int64_t>(num("inflight"), threads), 65535));
  sh.fill_start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    const int conn_share = connections / threads + (t < connections % threads ? 1 : 0);
    const int flight_share = inflight / threads + (t < inflight % threads ? 1 : 0);
    if (http) {
      hd.push_back(std::make_unique<HttpDriver>(sh, t, conn_share, addr, after_fill, start));
      hd.back()->SetStates(w.peers);
      workers.emplace_back([&, t] { hd[t]->Run(&tallies[t]); });
    } else {
      ud.push_back(std::make_unique<UdpDriver>(sh, t, flight_share, addr, after_fill, start));
      ud.back()->SetStates(w.peers);
      workers.emplace_back([&, t] { ud[t]->Run(&tallies[t]); });
    }
  }
  after_fill.arrive_and_wait();
  sh.fill_end = Clock::now();
  const double cpu_at_fill_end = CpuSeconds();
  sh.measure_from = sh.fill_end + std::chrono::seconds(duration > 0 ? warmup : 0);
  sh.stop = duration > 0 ? sh.measure_from + std::chrono::seconds(duration) : sh.fill_end;
  start.arrive_and_wait();
  for (auto& th : workers) th.join();
  const double load_wall = std::chrono::duration<double>(Clock::now() - sh.fill_end).count();
  const double client_cores = load_wall > 0.5 ? (CpuSeconds() - cpu_at_fill_end) / load_wall : 0;

  Tally all;
  for (Tally& t : tallies) {
    all.ok += t.ok;
    all.failures += t.failures;
    all.fill_failures += t.fill_failures;
    all.errors += t.errors;
    all.retries += t.retries;
    all.lost += t.lost;
    all.offered += t.offered;
    all.busy += t.busy;
    all.peers_returned += t.peers_returned;
    all.answered += t.answered;
    if (all.first_failure.empty()) all.first_failure = t.first_failure;
    all.latency_us.insert(all.latency_us.end(), t.latency_us.begin(), t.latency_us.end());
    all.first_try_latency_us.insert(all.first_try_latency_us.end(),
                                    t.first_try_latency_us.begin(), t.first_try_latency_us.end());
    all.retransmitted += t.retransmitted;
    all.closed_in_handshake += t.closed_in_handshake;
  }
  const double fill_s = std::chrono::duration<double>(sh.fill_end - sh.fill_start).count();
  const double per_s = duration > 0 ? static_cast<double>(all.ok) / static_cast<double>(duration) : 0;
  const double p50 = PercentileMs(all.latency_us, 0.50);
  const double p99 = PercentileMs(all.latency_us, 0.99);
  const double p999 = PercentileMs(all.latency_us, 0.999);
  const double max_ms = PercentileMs(all.latency_us, 1.0);
  char line[1024];
  std::snprintf(line, sizeof line,
                "{\"announces_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"announces\":%lld,"
                "\"failures\":%lld,\"fill_failures\":%lld,\"errors\":%lld,\"retries\":%lld,"
                "\"lost\":%lld,\"peers_returned_avg\":%.1f,\"fill_s\":%.2f,\"fill_per_s\":%.0f,"
                "\"tokens\":%lld,\"sign_s\":%.2f,",
                per_s, p50, p99, static_cast<long long>(all.ok),
                static_cast<long long>(all.failures), static_cast<long long>(all.fill_failures),
                static_cast<long long>(all.errors), static_cast<long long>(all.retries),
                static_cast<long long>(all.lost),
                all.ok > 0 ? static_cast<double>(all.peers_returned) / static_cast<double>(all.ok) : 0,
                fill_s, fill_s > 0 ? static_cast<double>(w.peers) / fill_s : 0,
                static_cast<long long>(w.plain ? 0 : w.Tokens()), sign_s);
  if (rate > 0) {
    // Open loop: what was offered in the measured window, and what became of it.
    std::snprintf(line + std::strlen(line), sizeof line - std::strlen(line),
                  "\"rate\":%lld,\"offered\":%lld,\"offered_per_s\":%.1f,\"busy\":%lld,"
                  "\"p999_ms\":%.3f,\"max_ms\":%.3f,",
                  static_cast<long long>(rate), static_cast<long long>(all.offered),
                  duration > 0 ? static_cast<double>(all.offered) / static_cast<double>(duration) : 0,
                  static_cast<long long>(all.busy), p999, max_ms);
    if (http) {
      std::snprintf(line + std::strlen(line), sizeof line - std::strlen(line),
                    "\"first_try_p50_ms\":%.3f,\"first_try_p99_ms\":%.3f,\"retransmitted\":%lld,",
                    PercentileMs(all.first_try_latency_us, 0.50),
                    PercentileMs(all.first_try_latency_us, 0.99),
                    static_cast<long long>(all.retransmitted));
    }
    if (https) {
      std::snprintf(line + std::strlen(line), sizeof line - std::strlen(line),
                    "\"closed_in_handshake\":%lld,",
                    static_cast<long long>(all.closed_in_handshake));
    }
  }
  std::cout << line << "\"answered\":" << all.answered << ",\"client_cores\":"
            << static_cast<double>(static_cast<int>(client_cores * 100)) / 100
            << ",\"first_failure\":\"" << JsonEscape(all.first_failure) << "\"}"
            << std::endl;
  if (!all.first_failure.empty()) std::cerr << "first failure: " << all.first_failure << "\n";
  return sh.failed ? 1 : 0;
}
