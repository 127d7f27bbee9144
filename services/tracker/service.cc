#include "services/tracker/service.h"

#include <arpa/inet.h>
#include <sodium.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/grpc/admin_access.h"
#include "lib/encoding/encoding.h"
#include "lib/grpc/status.h"
#include "lib/log/log.h"
#include "services/tracker/metainfo.h"

namespace p2pims::tracker {
namespace {

metrics::Counter& Verifications(metrics::Registry& registry, const char* result) {
  return metrics::BuildCounter()
      .Name("p2pims_tracker_token_verifications_total")
      .Help(
          "Access tokens checked at OpenSession (signature, key, expiry, revocation), by "
          "result; error: the revocation check could not finish (content index unavailable).")
      .Register(registry)
      .Add({{"result", result}});
}

// An index row's v1 info-hash as the swarms' key.
InfoHash SwarmKey(const std::string& v1) {
  InfoHash h{};
  std::copy_n(v1.begin(), std::min(v1.size(), h.size()), h.begin());
  return h;
}

// 16 random bytes, URL-safe: unguessable, and short enough for any BEP 41 client.
std::string NewAnnounceKey() {
  std::array<uint8_t, 16> bytes;
  randombytes_buf(bytes.data(), bytes.size());
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string AddressText(const PeerAddress& a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), text, sizeof text);
  return text;
}

}  // namespace

VerificationCounters::VerificationCounters(metrics::Registry& r)
    : ok(Verifications(r, "ok")),
      malformed(Verifications(r, "malformed")),
      unknown_key(Verifications(r, "unknown_key")),
      key_retired(Verifications(r, "key_retired")),
      bad_signature(Verifications(r, "bad_signature")),
      expired(Verifications(r, "expired")),
      revoked(Verifications(r, "revoked")),
      error(Verifications(r, "error")) {}

metrics::Counter& VerificationCounters::ForFailure(const absl::Status& status) {
  // The messages token::Verifier::Verify documents.
  const absl::string_view m = status.message();
  if (m == "unknown signing key") return unknown_key;
  if (m == "signing key retired") return key_retired;
  if (m == "bad token signature") return bad_signature;
  if (m == "token expired") return expired;
  return malformed;
}

grpc::Status TrackerService::OpenSession(grpc::ServerContext*, const v1::OpenSessionRequest* req,
                                         v1::OpenSessionResponse* resp) {
  if (req->token().empty() || req->session_id().empty()) {
    return InvalidArgument("token and session_id are required");
  }
  if (const v1::CreditGrant& c = req->credit(); c.request_number() < 0 ||
      c.granted_bytes_down() < 0 || c.validity_seconds() < 0 || c.validity_seconds() > 86400 * 7) {
    return InvalidArgument(
        "credit: request_number and granted_bytes_down must not be negative, validity_seconds "
        "within 0..604800");
  }
  auto claims =
      verifier_.Verify(req->token(), static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now())));
  if (!claims.ok()) {
    verifications_.ForFailure(claims.status()).Increment();
    return ToGrpcStatus(claims.status());
  }
  // Content revocations name rights' content id: the index maps the token's info-hash to it.
  const std::string info_hash(reinterpret_cast<const char*>(claims->info_hash.data()), 20);
  auto content = store_.FindContent("", info_hash);
  if (!content.ok()) {
    verifications_.error.Increment();
    return ToGrpcStatus(content.status());
  }
  const std::string token_id(Hex({reinterpret_cast<const char*>(claims->token_id.data()), 16}));
  static const std::string kNotIndexed;  // matches no content revocation
  if (revocations_.Revoked(*claims, *content ? (*content)->content_id() : kNotIndexed)) {
    verifications_.revoked.Increment();
    log::Info(
        "revoked token refused",
        {{"session_id", req->session_id()}, {"token_id", token_id}, {"subject", claims->subject}});
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "token revoked");
  }
  verifications_.ok.Increment();
  if (claims->session_id != req->session_id()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "token is bound to another session");
  }
  if (!*content) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "content is not in the tracker's index");
  }
  if (!req->content_id().empty() && (*content)->content_id() != req->content_id()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "token is bound to other content");
  }
  const bool operator_seed = claims->role != token::Role::kLeech;
  if (operator_seed && req->has_credit()) {
    return InvalidArgument("an operator seed's session has no credit control");
  }
  auto announce_key = store_.OpenSession({.session_id = req->session_id(),
                                          .token_id = token_id,
                                          .info_hash = info_hash,
                                          .subject = claims->subject,
                                          .locality = claims->locality,
                                          .token_expires_at = claims->expires_at,
                                          .token = req->token(),
                                          .announce_key = NewAnnounceKey(),
                                          .operator_seed = operator_seed,
                                          .credit = req->has_credit() ? &req->credit() : nullptr});
  if (!announce_key.ok()) return ToGrpcStatus(announce_key.status());
  resp->set_session_id(req->session_id());
  resp->set_info_hash(info_hash);
  resp->set_metainfo((*content)->metainfo());
  resp->set_name((*content)->name());
  resp->set_size_bytes((*content)->size_bytes());
  // The replica that owns the swarm serves its announces.
  const int owner = options_.replicas.Owner(SwarmKey((*content)->info_hash()));
  for (std::string& url : options_.replicas.AnnounceUrls(owner, req->token(), *announce_key)) {
    resp->add_announce_urls(std::move(url));
  }
  // The first peers, as the terminal's first announce would get them (numwant 50 by default).
  const int max_peers = req->max_peers() <= 0 ? 50 : std::min(req->max_peers(), 200);
  thread_local Rng rng{std::random_device{}()};
  std::vector<ChosenPeer> peers;
  plane_.swarms().Peek(AsView(SwarmKey((*content)->info_hash())), TraitsOf(*claims), max_peers,
                       rng, &peers);
  for (const ChosenPeer& p : peers) {
    v1::Peer* out = resp->add_peers();
    out->set_ip(AddressText(p.endpoint.address));
    out->set_port(p.endpoint.port);
    out->set_seeder(p.seeder);
  }
  log::Info("session opened", {{"session_id", req->session_id()},
                               {"subject", claims->subject},
                               {"content_id", (*content)->content_id()}});
  return grpc::Status::OK;
}

grpc::Status TrackerService::CloseSession(grpc::ServerContext*, const v1::CloseSessionRequest* req,
                                          v1::CloseSessionResponse* resp) {
  if (req->session_id().empty()) return InvalidArgument("session_id is required");
  // What announces reported up to now counts, and nothing after: the session's peers are refused
  // from here on, even when closing has to be tried again (charging unreachable).
  plane_.admission().Stop(req->session_id(), absl::Now() + absl::Hours(24));
  plane_.FlushUsage();
  int64_t token_expires_at = 0;
  auto usage = store_.CloseSession(req->session_id(),
                                   req->cause().empty() ? "normal" : req->cause(),
                                   plane_.usage_delivery().Deliverer(), &token_expires_at);
  if (!usage.ok()) return ToGrpcStatus(usage.status());
  // An UPDATE on its way is answered first, so that the TERMINATION follows it.
  auto credit = plane_.credit().Settle(req->session_id());
  if (!credit.ok()) return ToGrpcStatus(credit.status());
  usage->set_credit_request_number(credit->request_number);
  usage->set_credit_unreported_bytes_down(credit->unreported_down);
  usage->set_credit_unreported_bytes_up(credit->unreported_up);
  // Until the token expires (later than a day when rights issued it so).
  if (token_expires_at > 0) {
    plane_.admission().Stop(req->session_id(), absl::FromUnixSeconds(token_expires_at));
  }
  *resp = *usage;
  log::Info("session closed", {{"session_id", req->session_id()},
                               {"bytes_down", resp->bytes_down()},
                               {"bytes_up", resp->bytes_up()}});
  return grpc::Status::OK;
}

grpc::Status TrackerService::RegisterPresence(grpc::ServerContext*,
                                              const v1::RegisterPresenceRequest* req,
                                              v1::RegisterPresenceResponse*) {
  if (req->subject().empty()) return InvalidArgument("subject is required");
  if (req->expires_seconds() > 0 && req->locality().empty()) {
    return InvalidArgument("locality is required unless expires_seconds is 0");
  }
  return ToGrpcStatus(store_.SetPresence(*req));
}

grpc::Status TrackerService::SwarmStats(grpc::ServerContext*, const v1::SwarmStatsRequest* req,
                                        v1::SwarmStatsResponse* resp) {
  if (req->content_id().empty() && req->info_hash().size() != 20) {
    return InvalidArgument("content_id or a 20-byte info_hash is required");
  }
  auto content = store_.FindContent(req->content_id(), req->info_hash());
  if (!content.ok()) return ToGrpcStatus(content.status());
  if (!*content) return grpc::Status(grpc::StatusCode::NOT_FOUND, "content is not indexed");
  auto stats = store_.SwarmStats((*content)->info_hash());
  if (!stats.ok()) return ToGrpcStatus(stats.status());
  *resp = *stats;
  const tracker::SwarmStats live = plane_.swarms().Stats(AsView(SwarmKey((*content)->info_hash())));
  resp->set_seeders(live.seeders);
  resp->set_leechers(live.leechers);
  resp->set_completed(live.completed);
  return grpc::Status::OK;
}

grpc::Status TrackerService::SessionProgress(grpc::ServerContext*,
                                             const v1::SessionProgressRequest* req,
                                             v1::SessionProgressResponse* resp) {
  constexpr int kMaxIds = 1000;
  if (req->session_ids_size() > kMaxIds) {
    return InvalidArgument(absl::StrCat("at most ", kMaxIds, " session ids per call"));
  }
  auto found = store_.SessionProgress({req->session_ids().begin(), req->session_ids().end()});
  if (!found.ok()) return ToGrpcStatus(found.status());
  for (TrackerStore::Progress& p : *found) {
    v1::SessionProgress& out = *resp->add_sessions();
    out = std::move(p.fields);
    if (!out.found()) continue;
    const InfoHash key = SwarmKey(p.info_hash);
    if (!options_.replicas.Owns(key)) continue;
    out.set_swarm_known(true);
    const tracker::SwarmStats swarm = plane_.swarms().Stats(AsView(key));
    out.set_swarm_seeders(swarm.seeders);
    out.set_swarm_leechers(swarm.leechers);
    if (out.closed()) continue;  // its peers are refused from the close on
    const SessionPeers mine = plane_.swarms().PeersOfSession(AsView(key), out.session_id());
    out.set_peers(mine.peers);
    out.set_seeding(mine.seeding);
  }
  return grpc::Status::OK;
}

grpc::Status ContentIndexService::IndexContent(grpc::ServerContext* ctx,
                                               const v1::IndexContentRequest* req,
                                               v1::IndexedContent* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kOperator); !denied.ok()) return denied;
  if (req->content_id().empty()) return InvalidArgument("content_id is required");
  v1::IndexedContent c;
  c.set_content_id(req->content_id());
  if (!req->metainfo().empty()) {
    auto summary = SummariseMetainfo(req->metainfo());
    if (!summary.ok()) return ToGrpcStatus(summary.status());
    if (summary->info_hash_v1.empty())
      return InvalidArgument("v2-only torrents need a v1 info-hash (hybrid)");
    c.set_info_hash(summary->info_hash_v1);
    c.set_info_hash_v2_truncated(summary->info_hash_v2_truncated);
    c.set_name(summary->name);
    c.set_size_bytes(summary->size_bytes);
    c.set_metainfo(req->metainfo());
  } else {
    if (req->info_hash().size() != 20)
      return InvalidArgument("info_hash must be 20 bytes without metainfo");
    if (req->name().empty() || req->size_bytes() < 0)
      return InvalidArgument("name and size are required");
    c.set_info_hash(req->info_hash());
    c.set_name(req->name());
    c.set_size_bytes(req->size_bytes());
  }
  if (absl::Status s = store_.IndexContent(c); !s.ok()) return ToGrpcStatus(s);
  *resp = c;
  return grpc::Status::OK;
}

grpc::Status ContentIndexService::GetIndexedContent(grpc::ServerContext* ctx,
                                                    const v1::GetIndexedContentRequest* req,
                                                    v1::IndexedContent* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kReader); !denied.ok()) return denied;
  if (req->content_id().empty() && req->info_hash().size() != 20) {
    return InvalidArgument("content_id or a 20-byte info_hash is required");
  }
  auto found = store_.FindContent(req->content_id(), req->info_hash());
  if (!found.ok()) return ToGrpcStatus(found.status());
  if (!*found) return grpc::Status(grpc::StatusCode::NOT_FOUND, "content is not indexed");
  *resp = **found;
  return grpc::Status::OK;
}

grpc::Status ContentIndexService::ListIndexedContent(grpc::ServerContext* ctx,
                                                     const v1::ListIndexedContentRequest* req,
                                                     v1::ListIndexedContentResponse* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kReader); !denied.ok()) return denied;
  const int limit = req->page_size() <= 0 ? 100 : std::min(req->page_size(), 1000);
  auto page = store_.ListContent(req->page_token(), limit);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (auto& c : *page) *resp->add_content() = c;
  if (static_cast<int>(page->size()) == limit) resp->set_next_page_token(page->back().content_id());
  return grpc::Status::OK;
}

}  // namespace p2pims::tracker
