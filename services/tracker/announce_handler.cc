#include "services/tracker/announce_handler.h"

#include "absl/strings/str_cat.h"

#include "services/tracker/announce_response.h"

namespace p2pims::tracker {
namespace {

void Failure(const absl::Status& s, std::string* body) {
  body->clear();
  FailureReply reply{.reason = std::string_view(s.message().data(), s.message().size())};
  // BEP 31: an overloaded or unreachable back end is worth a retry later, nothing else is.
  if (absl::IsUnavailable(s)) reply.retry_in_minutes = 1;
  AppendFailureReply(reply, body);
}

metrics::Counter& RequestCounter(metrics::Family<metrics::Counter>& family, Protocol protocol,
                                 int result) {
  static constexpr const char* kProtocols[] = {"http", "udp", "https"};
  static constexpr const char* kResults[] = {"ok", "bad_request", "denied", "unavailable",
                                             "throttled", "busy"};
  return family.Add({{"protocol", kProtocols[static_cast<int>(protocol)]},
                     {"result", kResults[result]}});
}

}  // namespace

RequestCounters::RequestCounters(metrics::Registry& registry) {
  auto& announces = metrics::BuildCounter()
                        .Name("p2pims_tracker_announces_total")
                        .Help("Announces answered, by protocol and result (bad_request: "
                              "malformed; denied: token refused or not for this swarm, or too "
                              "many addresses; unavailable: the back end failed; throttled: too "
                              "many new tokens from one address; busy: shed, the tracker was "
                              "behind).")
                        .Register(registry);
  auto& scrapes = metrics::BuildCounter()
                      .Name("p2pims_tracker_scrapes_total")
                      .Help("Scrapes answered, by protocol and result.")
                      .Register(registry);
  static constexpr const char* kTierNames[] = {"elsewhere", "network", "area", "cell", "origin",
                                                "none"};
  auto& offered = metrics::BuildCounter()
                      .Name("p2pims_tracker_peers_offered_total")
                      .Help("Peers offered in announce replies, by where they sit as seen from "
                            "the announcing peer (cell, area, network, elsewhere; origin: an "
                            "operator origin seed). The origin share is origin / all.")
                      .Register(registry);
  auto& downloaded =
      metrics::BuildCounter()
          .Name("p2pims_tracker_downloaded_bytes_total")
          .Help("Bytes peers report downloading, by the best tier they were offered at their "
                "previous announce (none: offered nobody), an estimate of where the bytes came "
                "from: the tracker sees offers, not transfers.")
          .Register(registry);
  for (int t = 0; t < kTiers; ++t) offered_[t] = &offered.Add({{"tier", kTierNames[t]}});
  for (int t = 0; t <= kTiers; ++t) downloaded_[t] = &downloaded.Add({{"tier", kTierNames[t]}});
  for (Protocol p : {Protocol::kHttp, Protocol::kUdp, Protocol::kHttps}) {
    for (int r = 0; r < kResults; ++r) {
      announces_[static_cast<int>(p)][r] = &RequestCounter(announces, p, r);
      scrapes_[static_cast<int>(p)][r] = &RequestCounter(scrapes, p, r);
    }
  }
}

int RequestCounters::ResultIndex(const absl::Status& status) {
  if (status.ok()) return 0;
  if (absl::IsInvalidArgument(status)) return 1;
  if (absl::IsUnavailable(status) || absl::IsInternal(status)) return 3;
  if (absl::IsResourceExhausted(status)) return 4;
  return 2;
}

void RequestCounters::Announce(Protocol protocol, const absl::Status& status) {
  announces_[static_cast<int>(protocol)][ResultIndex(status)]->Increment();
}

void RequestCounters::Busy(Protocol protocol, bool scrape) {
  (scrape ? scrapes_ : announces_)[static_cast<int>(protocol)][kResults - 1]->Increment();
}

void RequestCounters::Scrape(Protocol protocol, const absl::Status& status) {
  scrapes_[static_cast<int>(protocol)][ResultIndex(status)]->Increment();
}

void RequestCounters::Traffic(const AnnounceResult& result) {
  for (int t = 0; t < kTiers; ++t) {
    if (result.offered_by_tier[t] > 0) offered_[t]->Increment(result.offered_by_tier[t]);
  }
  if (result.delta_downloaded > 0) {
    const int t = result.previous_best_tier < 0 ? kTiers : result.previous_best_tier;
    downloaded_[t]->Increment(static_cast<double>(result.delta_downloaded));
  }
}

int64_t AnnounceHandler::IntervalFor(const AdmittedEntry& token) const {
  int64_t interval = options_.interval_seconds;
  if (token.credit_by_bytes) interval = std::min(interval, options_.credit_interval_seconds);
  if (token.operator_seed) interval = std::min(interval, options_.seed_interval_seconds);
  return interval;
}

absl::Status AnnounceHandler::Announce(const AnnounceRequest& req, absl::Time now,
                                                Rng& rng, AnnounceResult* out) {
  auto admitted = admit_(req.token, req.session_key, now, SourceOf(req.peer.address));
  if (!admitted.ok()) return admitted.status();
  const AdmittedEntry& token = **admitted;
  if (!token.binding.Matches(req.info_hash)) {
    return absl::PermissionDeniedError("the token is for another swarm");
  }
  if (const int owner = options_.replicas.Owner(token.binding.swarm);
      owner != options_.replicas.config().self) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this swarm is served by the tracker at ", options_.replicas.AnnounceHost(owner)));
  }
  PeerAnnounce a;
  a.info_hash = AsView(token.binding.swarm);  // a hybrid's v2 announces join the v1 swarm
  a.peer_id = AsView(req.peer_id);
  a.session_key = token.session_key_view();
  a.endpoint = req.peer;
  a.traits = token.traits;
  a.uploaded = req.uploaded;
  a.downloaded = req.downloaded;
  a.resume_up = token.metered_up;
  a.resume_down = token.metered_down;
  a.left = req.left;
  a.event = req.event == AnnounceEvent::kPaused ? AnnounceEvent::kNone : req.event;
  a.numwant = req.numwant;
  out->interval_seconds = IntervalFor(token);
  if (absl::Status s = swarms_.Announce(a, now, rng, out); !s.ok()) return s;
  counters_.Traffic(*out);
  if (on_usage_ && (out->delta_uploaded != 0 || out->delta_downloaded != 0)) {
    on_usage_(*admitted, out->delta_uploaded, out->delta_downloaded);
  }
  return absl::OkStatus();
}

absl::Status AnnounceHandler::Scrape(std::string_view token,
                                              std::span<const InfoHash> hashes, absl::Time now,
                                              uint64_t source,
                                              std::vector<ScrapeEntry>* out) {
  auto admitted = admit_(token, false, now, source);
  if (!admitted.ok()) return admitted.status();
  const SwarmBinding& binding = (*admitted)->binding;
  out->clear();
  for (const InfoHash& hash : hashes) {
    if (!binding.Matches(hash)) return absl::PermissionDeniedError("the token is for another swarm");
    const SwarmStats s = swarms_.Stats(AsView(binding.swarm));
    out->push_back({hash, s.seeders, s.completed, s.leechers});
  }
  return absl::OkStatus();
}

void AnnounceHandler::HandleHttp(std::string_view request_line, const PeerAddress& remote,
                                 absl::Time now, Rng& rng, std::string* body,
                                 Protocol protocol) {
  auto line = ParseRequestLine(request_line, options_.limits);
  auto target = line.ok() ? ParseTarget(line->target, options_.limits)
                          : absl::StatusOr<TrackerTarget>(line.status());
  if (!target.ok()) {
    counters_.Announce(protocol, target.status());
    return Failure(target.status(), body);
  }
  if (target->endpoint == TrackerEndpoint::kScrape) {
    auto req = ParseScrapeQuery(target->token, target->query, options_.limits);
    thread_local std::vector<ScrapeEntry> entries;
    absl::Status s = req.ok() ? Scrape(req->token, req->info_hashes, now, SourceOf(remote), &entries)
                              : req.status();
    counters_.Scrape(protocol, s);
    if (!s.ok()) return Failure(s, body);
    body->clear();
    AppendScrapeReply(entries, body);
    return;
  }
  auto req = ParseAnnounceQuery(target->token, target->query, remote, options_.limits);
  thread_local AnnounceResult result;
  absl::Status s = req.ok() ? Announce(*req, now, rng, &result) : req.status();
  counters_.Announce(protocol, s);
  if (!s.ok()) return Failure(s, body);
  body->clear();
  AppendAnnounceReply({.interval_seconds = Interval(result),
                       .min_interval_seconds = MinInterval(result),
                       .complete = result.seeders,
                       .incomplete = result.leechers,
                       .tracker_id = {},
                       .peers = result.peers},
                      body);
}

void AnnounceHandler::HandleHttpBusy(std::string_view request_line, const PeerAddress&,
                                     absl::Time, Rng&, std::string* body, Protocol protocol) {
  // Only the path's last segment is looked at: no parsing, no token.
  const size_t query = request_line.find('?');
  const std::string_view path = request_line.substr(0, std::min(query, request_line.rfind(' ')));
  counters_.Busy(protocol, path.ends_with("/scrape"));
  body->clear();
  AppendFailureReply({.reason = "tracker busy; retry later", .retry_in_minutes = 1}, body);
}

void AnnounceHandler::HandleUdp(std::string_view datagram, const PeerEndpoint& from,
                                absl::Time now, Rng& rng, std::string* reply) {
  reply->clear();
  thread_local std::string url_data;
  const udp::Request r = udp::ParseRequest(datagram, from.address, options_.limits, &url_data);
  if (r.kind == udp::RequestKind::kDrop) return;
  if (r.kind == udp::RequestKind::kConnect) {
    udp::AppendConnectResponse(r.transaction_id, connection_ids_.Issue(from, now), reply);
    return;
  }
  if (!connection_ids_.Valid(r.connection_id, from, now)) return;
  if (r.kind == udp::RequestKind::kError) {
    counters_.Announce(Protocol::kUdp, r.error);
    udp::AppendErrorResponse(r.transaction_id, r.error, reply);
    return;
  }
  if (r.kind == udp::RequestKind::kScrape) {
    // BEP 41 URL data rides on announces only, so a UDP scrape has no token to admit it.
    const absl::Status refused = absl::PermissionDeniedError(
        "UDP scrapes carry no access token: scrape over HTTP at /a/<token>/scrape");
    counters_.Scrape(Protocol::kUdp, refused);
    udp::AppendErrorResponse(r.transaction_id, refused, reply);
    return;
  }
  thread_local AnnounceResult result;
  const absl::Status s = Announce(r.announce, now, rng, &result);
  counters_.Announce(Protocol::kUdp, s);
  if (!s.ok()) {
    udp::AppendErrorResponse(r.transaction_id, s, reply);
    return;
  }
  udp::AppendAnnounceResponse(r.transaction_id,
                              {.interval_seconds = Interval(result),
                               .min_interval_seconds = MinInterval(result),
                               .complete = result.seeders,
                               .incomplete = result.leechers,
                               .tracker_id = {},
                               .peers = result.peers},
                              from.address.v6, reply);
}

void AnnounceHandler::HandleUdpBusy(std::string_view datagram, const PeerEndpoint& from,
                                    absl::Time now, Rng& rng, std::string* reply) {
  udp::Header h;
  if (!udp::ParseHeader(datagram, &h) || h.action != static_cast<uint32_t>(udp::Action::kAnnounce)) {
    return HandleUdp(datagram, from, now, rng, reply);
  }
  reply->clear();
  if (!connection_ids_.Valid(h.connection_id, from, now)) return;  // never answer a forged source
  counters_.Busy(Protocol::kUdp);
  udp::AppendErrorResponse(h.transaction_id, std::string_view("tracker busy; retry later"), reply);
}

}  // namespace p2pims::tracker
