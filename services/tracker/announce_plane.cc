#include "services/tracker/announce_plane.h"

#include "absl/time/clock.h"
#include "lib/net/listen_overflows.h"
#include "lib/net/listen_socket.h"
#include "lib/log/log.h"

namespace p2pims::tracker {
namespace {

metrics::Gauge& Gauge(metrics::Registry& registry, const char* name, const char* help) {
  return metrics::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

metrics::Gauge& PeersByRole(metrics::Registry& registry, const char* role) {
  return metrics::BuildGauge()
      .Name("p2pims_tracker_peers")
      .Help("Peers in the swarms in memory, by role (origin: operator origin seeds).")
      .Register(registry)
      .Add({{"role", role}});
}

metrics::Counter& UdpDropped(metrics::Registry& registry, const char* reason) {
  return metrics::BuildCounter()
      .Name("p2pims_tracker_udp_dropped_total")
      .Help("UDP datagrams dropped unanswered while the tracker was behind its load: "
            "buffer_full, by the kernel (the socket's receive buffer full); too_late, by the "
            "tracker (waited beyond --udp-max-wait-ms, beyond the few answered 'tracker busy').")
      .Register(registry)
      .Add({{"reason", reason}});
}

// The index row of an info-hash as the swarm it opens.
Admission::IndexLookup IndexOf(TrackerStore& store) {
  return [&store](const InfoHash& hash) -> absl::StatusOr<std::optional<SwarmBinding>> {
    auto content = store.FindContent("", std::string(hash.data(), hash.size()));
    if (!content.ok()) return content.status();
    if (!*content) return std::nullopt;
    SwarmBinding b;
    const std::string& v1 = (*content)->info_hash();
    const std::string& v2 = (*content)->info_hash_v2_truncated();
    if (v1.size() != b.swarm.size()) return absl::InternalError("index row without a v1 hash");
    std::copy(v1.begin(), v1.end(), b.swarm.begin());
    if (v2.size() == b.swarm.size()) {
      b.alt.emplace();
      std::copy(v2.begin(), v2.end(), b.alt->begin());
    }
    b.content_id = (*content)->content_id();
    return b;
  };
}

}  // namespace

AnnouncePlane::AnnouncePlane(TrackerStore& store, const token::Verifier& verifier,
                             const token::RevocationList& revocations,
                             std::shared_ptr<charging::v1::Charging::StubInterface> charging,
                             metrics::Registry& registry, AnnouncePlaneOptions options)
    : store_(store),
      options_(std::move(options)),
      swarms_(options_.swarms),
      admission_(
          verifier, revocations, IndexOf(store), registry, options_.admission,
          [&store](const std::string& key) { return store.TokenByAnnounceKey(key); },
          [&store](const std::string& session_id) -> absl::StatusOr<Admission::StoredSession> {
            auto s = store.FindSessionState(session_id);
            if (!s.ok()) return s.status();
            return Admission::StoredSession{s->ended, s->bytes_up, s->bytes_down,
                                            s->credit_by_bytes};
          }),
      delivery_(store, charging, registry, options_.delivery),
      credit_(
          store.credit(), std::move(charging),
          [this](const std::string& session_id, absl::Time until) {
            admission_.Stop(session_id, until);
          },
          registry, options_.credit),
      counters_(registry),
      handler_(
          swarms_,
          [this](std::string_view token, bool session_key, absl::Time now, uint64_t source) {
            return session_key ? admission_.AdmitKey(token, now, source)
                               : admission_.Admit(token, now, source);
          },
          [this](const AdmittedToken& t, int64_t up, int64_t down) {
            usage_.Add(t, t->usage, t->claims.session_id, up, down);
          },
          counters_, options_.handler),
      http_connections_(Gauge(registry, "p2pims_tracker_http_connections",
                              "Open HTTP tracker connections.")),
      http_busy_(metrics::BuildCounter()
                     .Name("p2pims_tracker_http_busy_total")
                     .Help("HTTP connections refused over --http-max-connections, with a "
                           "'tracker busy' failure reply and retry in 1 minute.")
                     .Register(registry)
                     .Add({})),
      http_queued_(Gauge(registry, "p2pims_tracker_http_listen_queue",
                         "HTTP and HTTPS connections waiting in the kernel to be accepted "
                         "(their workers' listen queues; see --http-listen-backlog).")),
      listen_overflows_(
          metrics::BuildCounter()
              .Name("p2pims_tracker_listen_overflows_total")
              .Help("Connections the kernel refused since the tracker started because a listen "
                    "queue was full (TcpExt ListenOverflows): those clients retry after a TCP "
                    "timeout. Every listener of the network namespace counts (in a pod, the "
                    "pod's own).")
              .Register(registry)
              .Add({})),
      expired_closed_(metrics::BuildCounter()
                          .Name("p2pims_tracker_sessions_expired_total")
                          .Help("Open sessions closed by the tracker because their token had "
                                "expired (--close-expired-sessions-minutes ago) and no "
                                "CloseSession came: a sip-edge gone mid-session.")
                          .Register(registry)
                          .Add({})),
      listen_overflows_seen_(net::ListenOverflows()),
      udp_buffer_full_(UdpDropped(registry, "buffer_full")),
      udp_too_late_(UdpDropped(registry, "too_late")),
      swarms_gauge_(Gauge(registry, "p2pims_tracker_swarms", "Swarms with peers in memory.")),
      seeders_gauge_(PeersByRole(registry, "seeder")),
      leechers_gauge_(PeersByRole(registry, "leecher")),
      origins_gauge_(PeersByRole(registry, "origin")),
      cached_tokens_(Gauge(registry, "p2pims_tracker_token_cache_entries",
                           "Verified tokens in the announce verification cache.")),
      usage_pending_(Gauge(registry, "p2pims_tracker_usage_pending_sessions",
                           "Sessions with metered usage not yet written to PostgreSQL.")),
      http_(MakeHttpListener(nullptr)),
      udp_(
          [this](std::span<const uint8_t> datagram, const PeerEndpoint& from, absl::Time now,
                 Rng& rng, std::string* reply) {
            handler_.HandleUdp(
                {reinterpret_cast<const char*>(datagram.data()), datagram.size()}, from, now, rng,
                reply);
          },
          [this](std::span<const uint8_t> datagram, const PeerEndpoint& from, absl::Time now,
                 Rng& rng, std::string* reply) {
            handler_.HandleUdpBusy(
                {reinterpret_cast<const char*>(datagram.data()), datagram.size()}, from, now, rng,
                reply);
          },
          {.threads = options_.threads,
           .max_wait = options_.udp_max_wait,
           .receive_buffer = options_.udp_receive_buffer}) {}

AnnouncePlane::~AnnouncePlane() { Stop(); }

std::unique_ptr<HttpListener> AnnouncePlane::MakeHttpListener(HttpsContext* https) {
  HttpListenerOptions o = options_.http;
  o.threads = options_.threads;
  o.https = https;
  o.shared_open = &http_open_;
  const Protocol protocol = https != nullptr ? Protocol::kHttps : Protocol::kHttp;
  return std::make_unique<HttpListener>(
      [this, protocol](std::string_view line, const PeerAddress& remote, absl::Time now, Rng& rng,
                       std::string* body) {
        handler_.HandleHttp(line, remote, now, rng, body, protocol);
      },
      [this, protocol](std::string_view line, const PeerAddress& remote, absl::Time now, Rng& rng,
                       std::string* body) {
        handler_.HandleHttpBusy(line, remote, now, rng, body, protocol);
      },
      o, &http_connections_, &http_busy_);
}

absl::Status AnnouncePlane::Start(const std::string& address) {
  if (absl::Status s = http_->Start(address); !s.ok()) return s;
  // The same port number for UDP, even when the kernel picked it for TCP (port 0).
  std::string host, port;
  (void)net::SplitHostPort(address, host, port);
  if (absl::Status s = udp_.Start(net::JoinHostPort(host, http_->port())); !s.ok()) {
    http_->Stop();
    return s;
  }
  if (options_.https != nullptr) {
    https_ = MakeHttpListener(options_.https);
    if (absl::Status s = https_->Start(options_.https_listen); !s.ok()) {
      http_->Stop();
      udp_.Stop();
      return s;
    }
  }
  housekeeping_ = std::thread([this] { Housekeeping(); });
  return absl::OkStatus();
}

void AnnouncePlane::Stop() {
  // Housekeeping first: it reads the listeners' sockets (drop counters).
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  const bool started = housekeeping_.joinable();
  if (started) housekeeping_.join();
  http_->Stop();
  if (https_) https_->Stop();
  udp_.Stop();
  if (started) FlushUsage();  // what the last announces reported
}

void AnnouncePlane::Housekeeping() {
  absl::Time last_expiry = absl::Now();
  absl::Time last_flush = absl::Now();
  absl::Time last_expired_sessions = absl::Now();
  const absl::Duration tick = std::min(options_.housekeeping_period, options_.usage_flush_period);
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, absl::ToChronoMilliseconds(tick), [this] { return stopping_; })) {
    lock.unlock();
    if (absl::Now() - last_flush >= options_.usage_flush_period - tick / 2) {
      last_flush = absl::Now();
      FlushUsage();
      delivery_.RunOnce();
      credit_.RunOnce();  // after the flush: the session rows hold the latest usage
    }
    const absl::Time now = absl::Now();
    if (now - last_expiry >= absl::Seconds(30)) {
      last_expiry = now;
      swarms_.Expire(now);
      admission_.Sweep(now);
    }
    if (options_.close_expired_after > absl::ZeroDuration() &&
        now - last_expired_sessions >= absl::Minutes(1)) {
      last_expired_sessions = now;
      CloseExpiredSessions();
    }
    swarms_gauge_.Set(static_cast<double>(swarms_.swarms()));
    const Swarms::Census census = swarms_.Count();
    seeders_gauge_.Set(static_cast<double>(census.seeders));
    leechers_gauge_.Set(static_cast<double>(census.leechers));
    origins_gauge_.Set(static_cast<double>(census.origins));
    cached_tokens_.Set(static_cast<double>(admission_.cached()));
    http_queued_.Set(static_cast<double>(http_->Queued() + (https_ ? https_->Queued() : 0)));
    if (const std::optional<uint64_t> overflows = net::ListenOverflows();
        overflows && listen_overflows_seen_ && *overflows >= *listen_overflows_seen_) {
      listen_overflows_.Increment(static_cast<double>(*overflows - *listen_overflows_seen_));
      listen_overflows_seen_ = overflows;
    }
    const UdpListener::Drops dropped = udp_.TakeDrops();
    udp_buffer_full_.Increment(static_cast<double>(dropped.buffer_full));
    udp_too_late_.Increment(static_cast<double>(dropped.too_late));
    lock.lock();
  }
}

int AnnouncePlane::CloseExpiredSessions() {
  auto expired = store_.ExpiredOpenSessions(options_.close_expired_after, 100);
  if (!expired.ok()) {
    log::Warn("cannot list expired sessions", {{"error", std::string(expired.status().message())}});
    return 0;
  }
  if (expired->empty()) return 0;
  FlushUsage();  // what their last announces reported
  int closed = 0;
  for (const std::string& id : *expired) {
    int64_t token_expires_at = 0;
    bool closed_now = false;
    auto usage =
        store_.CloseSession(id, "expired", delivery_.Deliverer(), &token_expires_at, &closed_now);
    if (!usage.ok()) {
      log::Warn("cannot close an expired session yet",
                {{"session_id", id}, {"error", std::string(usage.status().message())}});
      continue;
    }
    if (!closed_now) continue;  // another replica's round (or a BYE) closed it meanwhile
    // An UPDATE on its way is answered, as at CloseSession; one that fails stays written ahead
    // for housekeeping's credit round.
    (void)credit_.Settle(id);
    ++closed;
    expired_closed_.Increment();
    log::Info("expired session closed", {{"session_id", id},
                                         {"bytes_down", usage->bytes_down()},
                                         {"bytes_up", usage->bytes_up()},
                                         {"unreported_bytes_down", usage->unreported_bytes_down()}});
  }
  return closed;
}

void AnnouncePlane::FlushUsage() {
  absl::Status s = usage_.Flush([this](const std::vector<SessionUsage>& batch) -> absl::Status {
    auto not_open = store_.AddUsage(batch);
    if (!not_open.ok()) return not_open.status();
    // Closed elsewhere (another replica answered CloseSession): end their announces here too.
    // The token expires within a day of its session's close, so the stop outlives it.
    for (const std::string& id : *not_open) admission_.Stop(id, absl::Now() + absl::Hours(24));
    return absl::OkStatus();
  });
  if (!s.ok()) {
    log::Warn("metered usage not written yet; kept for the next flush",
              {{"error", std::string(s.message())}, {"sessions", std::to_string(usage_.pending())}});
  }
  usage_pending_.Set(static_cast<double>(usage_.pending()));
}

}  // namespace p2pims::tracker
