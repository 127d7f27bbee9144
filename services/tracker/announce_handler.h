// One tracker request, end to end but without I/O: admit the token, record the peer in its
// swarm, choose its peers by policy, and (for HTTP) parse the request line and bencode the
// reply. Announce and Scrape are protocol-neutral: the HTTP path (BEP 3) and the UDP path
// (BEP 15) parse into the same AnnounceRequest and share them. Every refusal changes nothing.
//
//   AnnounceHandler handler(swarms, admit, on_usage, {});
//   std::string body;
//   handler.HandleHttp("GET /a/<token>/announce?... HTTP/1.1", remote, now, rng, &body);
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/registry.h"
#include "lib/token/claims.h"
#include "services/tracker/admission.h"
#include "services/tracker/announce_request.h"
#include "services/tracker/announce_response.h"
#include "services/tracker/replicas.h"
#include "services/tracker/rng.h"
#include "services/tracker/swarms.h"
#include "services/tracker/udp_protocol.h"

namespace p2pims::tracker {

struct AnnounceHandlerOptions {
  RequestLimits limits;
  int64_t interval_seconds = 1800;
  int64_t min_interval_seconds = 900;
  // For sessions whose online charging grants bytes: their downloads are reported (and the
  // grant checked) this often, not every half hour.
  int64_t credit_interval_seconds = 60;
  // For the operator's seeds (token role seed or origin): a tracker that restarted (its swarms
  // in memory empty) has them back within this, whoever else announces only every half hour.
  int64_t seed_interval_seconds = 300;
  // The key of UDP connection ids. Shared by every replica and kept in PostgreSQL
  // (TrackerStore::UdpConnectionKey), so a client's id survives a restart or a swarm moving;
  // unset: a random key for this process.
  std::optional<std::array<uint8_t, udp::ConnectionIds::kKeySize>> udp_key;
  // Swarms owned by other replicas are refused with the owner's host.
  ReplicaMap replicas;
};

enum class Protocol { kHttp = 0, kUdp = 1, kHttps = 2 };

// p2pims_tracker_announces_total / _scrapes_total {protocol, result}, resolved once.
class RequestCounters {
 public:
  explicit RequestCounters(metrics::Registry& registry);
  // Counts one announce (or scrape) of `protocol` that ended with `status`.
  void Announce(Protocol protocol, const absl::Status& status);
  void Scrape(Protocol protocol, const absl::Status& status);
  // Peers offered by tier, and the bytes the peer reports downloading, by the best tier it was
  // offered before (p2pims_tracker_peers_offered_total, p2pims_tracker_downloaded_bytes_total).
  void Traffic(const AnnounceResult& result);
  // Counts one announce (or scrape) of `protocol` shed for overload (result "busy").
  void Busy(Protocol protocol, bool scrape = false);

 private:
  // ok, bad_request, denied, unavailable, throttled, busy (not from a status: Busy)
  static constexpr int kResults = 6;
  static int ResultIndex(const absl::Status& status);
  metrics::Counter* announces_[3][kResults];
  metrics::Counter* scrapes_[3][kResults];
  metrics::Counter* offered_[kTiers];
  metrics::Counter* downloaded_[kTiers + 1];  // the last: offered nobody before
};

class AnnounceHandler {
 public:
  // A token's claims and swarm at `now`, or an error whose message is fit for a `failure reason`
  // (Admission::Admit in the service).
  // `session_key`: `token` is a session's announce key (Admission::AdmitKey).
  // `source`: SourceOf the announcing address, which pays for cold admissions.
  using Admit = std::function<absl::StatusOr<AdmittedToken>(
      std::string_view token, bool session_key, absl::Time, uint64_t source)>;
  // Bytes a peer moved since its previous announce, to meter against its session.
  using OnUsage =
      std::function<void(const AdmittedToken& token, int64_t uploaded, int64_t downloaded)>;

  AnnounceHandler(Swarms& swarms, Admit admit, OnUsage on_usage, RequestCounters& counters,
                  AnnounceHandlerOptions options)
      : swarms_(swarms),
        admit_(std::move(admit)),
        on_usage_(std::move(on_usage)),
        counters_(counters),
        options_(options),
        connection_ids_(options_.udp_key ? udp::ConnectionIds(*options_.udp_key)
                                         : udp::ConnectionIds()) {}

  const AnnounceHandlerOptions& options() const { return options_; }

  // Replaces `reply` with the answer to one UDP datagram from `from` (BEP 15, token in BEP 41
  // URL data), or clears it when the datagram deserves silence (too short to answer, or an
  // unknown or expired connection id: no reply reaches a forged source address).
  void HandleUdp(std::string_view datagram, const PeerEndpoint& from, absl::Time now,
                 Rng& rng, std::string* reply);

  // The same for a datagram that waited in the socket beyond the listener's bound (the tracker
  // is behind): an announce with a valid connection id gets the error "tracker busy; retry
  // later" at once, without admission or swarm work, counted as result "busy"; connects and
  // anything else, cheap already, are answered as HandleUdp does.
  void HandleUdpBusy(std::string_view datagram, const PeerEndpoint& from, absl::Time now,
                     Rng& rng, std::string* reply);

  // Replaces `body` with the bencoded answer to `request_line` (the first line of an HTTP
  // request, without its CRLF) from `remote`: an announce or scrape reply, or a `failure
  // reason`. Thread-safe when `admit` and `on_usage` are. `protocol` (kHttp or kHttps) labels
  // the counters.
  void HandleHttp(std::string_view request_line, const PeerAddress& remote, absl::Time now,
                  Rng& rng, std::string* body, Protocol protocol = Protocol::kHttp);

  // The same for a request that waited beyond the listener's bound (the tracker is behind): a
  // failure "tracker busy; retry later" with BEP 31's retry in 1 minute, without parsing or
  // admission, counted as result "busy" (announce, or scrape when the path ends so).
  void HandleHttpBusy(std::string_view request_line, const PeerAddress& remote, absl::Time now,
                      Rng& rng, std::string* body, Protocol protocol = Protocol::kHttp);

 private:
  // Admits and records one parsed announce (either protocol) and fills `out` (peers chosen by
  // policy, swarm counts). Errors: the admission's, "the token is for another swarm", another
  // replica's swarm, too many addresses for the token.
  absl::Status Announce(const AnnounceRequest& req, absl::Time now, Rng& rng,
                        AnnounceResult* out);
  // The reply's intervals: shorter for sessions whose credit is granted in bytes and for the
  // operator's seeds.
  int64_t IntervalFor(const AdmittedEntry& token) const;
  static int64_t Interval(const AnnounceResult& r) { return r.interval_seconds; }
  int64_t MinInterval(const AnnounceResult& r) const {
    return std::min(options_.min_interval_seconds, r.interval_seconds / 2);
  }
  // Statistics for `hashes`, which must all belong to the token's own swarm (the other hashes
  // are not the holder's business); one entry per hash, in order.
  absl::Status Scrape(std::string_view token, std::span<const InfoHash> hashes, absl::Time now,
                      uint64_t source, std::vector<ScrapeEntry>* out);

  Swarms& swarms_;
  const Admit admit_;
  const OnUsage on_usage_;
  RequestCounters& counters_;
  const AnnounceHandlerOptions options_;
  const udp::ConnectionIds connection_ids_;
};

}  // namespace p2pims::tracker
