#include "services/tracker/announce_handler.h"

#include <algorithm>
#include <cstring>

#include "services/tracker/announce_response.h"

namespace p2pims::tracker {
namespace {

std::string Failure(std::string_view reason) {
  std::string out;
  AppendFailureReply({.reason = reason}, &out);
  return out;
}

std::string Failure(const absl::Status& s) {
  return Failure(std::string_view(s.message().data(), s.message().size()));
}

bool SameHash(const std::array<uint8_t, 20>& bound, const InfoHash& asked) {
  return std::memcmp(bound.data(), asked.data(), bound.size()) == 0;
}

std::string_view TokenKey(const token::Claims& c) {
  return {reinterpret_cast<const char*>(c.token_id.data()), c.token_id.size()};
}

}  // namespace

PeerTraits TraitsOf(const token::Claims& claims) {
  PeerTraits t;
  t.locality = ParseLocality(claims.locality);
  t.origin = claims.role == token::Role::kOrigin;
  t.constrained = (claims.caps & token::kCapMetered) != 0;
  t.upload_allowed = (claims.caps & token::kCapUpload) != 0;
  return t;
}

std::string AnnounceHandler::Handle(std::string_view request_line, const PeerAddress& remote,
                                    absl::Time now, std::mt19937_64& rng) {
  auto line = ParseRequestLine(request_line, options_.limits);
  if (!line.ok()) return Failure(line.status());
  auto target = ParseTarget(line->target, options_.limits);
  if (!target.ok()) return Failure(target.status());
  return target->endpoint == TrackerEndpoint::kAnnounce ? Announce(*target, remote, now, rng)
                                                        : Scrape(*target, now);
}

std::string AnnounceHandler::Announce(const TrackerTarget& target, const PeerAddress& remote,
                                      absl::Time now, std::mt19937_64& rng) {
  auto req = ParseAnnounceQuery(target.token, target.query, remote, options_.limits);
  if (!req.ok()) return Failure(req.status());
  auto claims = admit_(req->token, now);
  if (!claims.ok()) return Failure(claims.status());
  if (!SameHash(claims->info_hash, req->info_hash)) {
    return Failure("the token is for another swarm");
  }
  PeerAnnounce a;
  a.info_hash = AsView(req->info_hash);
  a.peer_id = AsView(req->peer_id);
  a.token_id = TokenKey(*claims);
  a.endpoint = req->peer;
  a.traits = TraitsOf(*claims);
  a.uploaded = req->uploaded;
  a.downloaded = req->downloaded;
  a.left = req->left;
  a.event = req->event == AnnounceEvent::kPaused ? AnnounceEvent::kNone : req->event;
  a.numwant = req->numwant;
  AnnounceResult result;
  if (absl::Status s = swarms_.Announce(a, now, rng, &result); !s.ok()) return Failure(s);
  if (on_usage_ && (result.delta_uploaded != 0 || result.delta_downloaded != 0)) {
    on_usage_(*claims, result.delta_uploaded, result.delta_downloaded);
  }
  std::string out;
  AppendAnnounceReply({.interval_seconds = options_.interval_seconds,
                       .min_interval_seconds = options_.min_interval_seconds,
                       .complete = result.seeders,
                       .incomplete = result.leechers,
                       .tracker_id = {},
                       .peers = result.peers},
                      &out);
  return out;
}

std::string AnnounceHandler::Scrape(const TrackerTarget& target, absl::Time now) {
  auto req = ParseScrapeQuery(target.token, target.query, options_.limits);
  if (!req.ok()) return Failure(req.status());
  auto claims = admit_(req->token, now);
  if (!claims.ok()) return Failure(claims.status());
  // A token opens its own swarm only: the other hashes are not the holder's business.
  std::vector<ScrapeEntry> entries;
  for (const InfoHash& hash : req->info_hashes) {
    if (!SameHash(claims->info_hash, hash)) return Failure("the token is for another swarm");
    const SwarmStats s = swarms_.Stats(AsView(hash));
    entries.push_back({hash, s.seeders, s.completed, s.leechers});
  }
  std::string out;
  AppendScrapeReply(entries, &out);
  return out;
}

}  // namespace p2pims::tracker
