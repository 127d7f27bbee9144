#include "services/rights/service.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <regex>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "lib/grpc/status.h"
#include "lib/log/log.h"

namespace p2pims::rights {
namespace {

constexpr int64_t kMaxClockSkewSeconds = 300;

bool ValidContentId(const std::string& id) {
  static const std::regex kPattern("^[A-Za-z0-9._~-]{1,128}$");
  return std::regex_match(id, kPattern);
}

}  // namespace

RightsService::RightsService(RightsStore& store, std::vector<token::KeyPair> keys,
                             RightsOptions options)
    : store_(store), keys_(std::move(keys)), signer_(keys_.at(0)), options_(std::move(options)) {}

grpc::Status RightsService::Authorize(grpc::ServerContext*, const v1::AuthorizeRequest* req,
                                      v1::AuthorizeResponse* resp) {
  if (req->subject().empty()) return InvalidArgument("subject is required");
  if (req->content_id().empty()) return InvalidArgument("content_id is required");
  token::Role role = token::Role::kLeech;
  if (!req->role().empty() && !token::ParseRole(req->role(), &role)) {
    return InvalidArgument("role must be leech, seed or origin");
  }
  // Decisions and tokens use this server's clock; a caller's time only documents when it
  // asked, so that no caller can backdate a token or step outside a licence window.
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  if (req->time() != 0 && std::abs(req->time() - now) > kMaxClockSkewSeconds) {
    return InvalidArgument("time is more than 5 minutes away from the rights server's clock");
  }

  auto content = store_.FindContent(req->content_id());
  if (!content.ok()) return ToGrpcStatus(content.status());
  auto entitlements = store_.ActiveEntitlements(req->subject(), now);
  if (!entitlements.ok()) return ToGrpcStatus(entitlements.status());

  const Decision d =
      Decide(*content, *entitlements, req->locality(), req->locality_verified(), now);
  resp->set_allowed(d.allowed);
  resp->set_reason(d.reason);
  resp->set_message(d.message);
  if (d.allowed) {
    const ContentRecord& c = **content;
    token::Claims claims;
    claims.subject = req->subject();
    std::copy_n(c.info_hash_v1.begin(), std::min<size_t>(20, c.info_hash_v1.size()),
                claims.info_hash.begin());
    claims.session_id = req->session_id();
    claims.locality = req->locality();
    claims.role = role;
    claims.issued_at = static_cast<uint32_t>(now);
    claims.expires_at = static_cast<uint32_t>(now + absl::ToInt64Seconds(options_.token_ttl));
    randombytes_buf(claims.token_id.data(), claims.token_id.size());
    auto signed_token = signer_.Sign(claims);
    if (!signed_token.ok()) return InvalidArgument(std::string(signed_token.status().message()));
    resp->set_token(*signed_token);
    resp->set_token_id(Hex({reinterpret_cast<const char*>(claims.token_id.data()), 16}));
    resp->set_expires_at(claims.expires_at);
    resp->set_info_hash(c.info_hash_v1);
    resp->set_owner(c.owner);
    resp->set_price_model(c.price_model);
    resp->mutable_price()->set_minor(SessionPrice(c));
    resp->mutable_price()->set_currency(c.currency);
  }
  const std::string reason_name = v1::DenyReason_Name(d.reason);
  absl::Status audited =
      store_.Audit({req->subject(), "authorize", req->subject(), req->content_id(),
                    d.allowed ? "allow" : "deny", d.allowed ? d.message : reason_name});
  if (!audited.ok()) return ToGrpcStatus(audited);  // no decision without its audit record
  log::Info("authorize", {{"subject", req->subject()},
                          {"content_id", req->content_id()},
                          {"allowed", d.allowed},
                          {"reason", reason_name}});
  return grpc::Status::OK;
}

grpc::Status RightsService::GetSigningKeys(grpc::ServerContext*, const v1::GetSigningKeysRequest*,
                                           v1::GetSigningKeysResponse* resp) {
  for (const token::KeyPair& k : keys_) {
    v1::SigningKey* key = resp->add_keys();
    key->set_kid(k.kid);
    key->set_public_key(std::string(reinterpret_cast<const char*>(k.public_key.data()), 32));
  }
  resp->set_current_kid(signer_.kid());
  return grpc::Status::OK;
}

grpc::Status RightsAdminService::RegisterContent(grpc::ServerContext*,
                                                 const v1::RegisterContentRequest* req,
                                                 v1::Content* resp) {
  const v1::Content& in = req->content();
  if (!ValidContentId(in.content_id())) {
    return InvalidArgument("content_id must be 1-128 characters of A-Z a-z 0-9 . _ ~ -");
  }
  if (in.title().empty() || in.owner().empty())
    return InvalidArgument("title and owner are required");
  if (in.info_hash_v1().size() != 20) return InvalidArgument("info_hash_v1 must be 20 bytes");
  if (!in.info_hash_v2().empty() && in.info_hash_v2().size() != 32) {
    return InvalidArgument("info_hash_v2 must be 32 bytes when set");
  }
  const v1::Licence& l = in.licence();
  if (l.price_model() == v1::PRICE_MODEL_UNSPECIFIED || PriceModelName(l.price_model()).empty()) {
    return InvalidArgument("licence.price_model is required");
  }
  if (l.price().minor() < 0) return InvalidArgument("price must not be negative");
  if (l.owner_share_bp() < 0 || l.owner_share_bp() > 10000) {
    return InvalidArgument("owner_share_bp must be within 0..10000");
  }
  ContentRecord r;
  r.content_id = in.content_id();
  r.title = in.title();
  r.owner = in.owner();
  r.info_hash_v1 = in.info_hash_v1();
  r.info_hash_v2 = in.info_hash_v2();
  r.size_bytes = in.size_bytes();
  r.price_model = l.price_model();
  r.price_minor = l.price().minor();
  r.currency = l.price().currency().empty() ? "EUR" : l.price().currency();
  r.rental_seconds = l.rental_seconds();
  r.owner_share_bp = l.owner_share_bp();
  r.territories.assign(l.territories().begin(), l.territories().end());
  r.window_start = l.window_start();
  r.window_end = l.window_end();
  r.device_limit = l.device_limit();
  if (absl::Status s = store_.InsertContent(r, req->actor()); !s.ok()) return ToGrpcStatus(s);
  auto stored = store_.FindContent(r.content_id);
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  ToProto(**stored, resp);
  return grpc::Status::OK;
}

grpc::Status RightsAdminService::GetContent(grpc::ServerContext*, const v1::GetContentRequest* req,
                                            v1::Content* resp) {
  auto found = store_.FindContent(req->content_id());
  if (!found.ok()) return ToGrpcStatus(found.status());
  if (!*found) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no content ", req->content_id()));
  }
  ToProto(**found, resp);
  return grpc::Status::OK;
}

grpc::Status RightsAdminService::ListContent(grpc::ServerContext*,
                                             const v1::ListContentRequest* req,
                                             v1::ListContentResponse* resp) {
  const int limit = req->page_size() <= 0 ? 100 : std::min(req->page_size(), 1000);
  auto page = store_.ListContent(req->page_token(), limit, req->owner());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const ContentRecord& r : *page) ToProto(r, resp->add_content());
  if (static_cast<int>(page->size()) == limit) resp->set_next_page_token(page->back().content_id);
  return grpc::Status::OK;
}

grpc::Status RightsAdminService::GrantEntitlement(grpc::ServerContext*,
                                                  const v1::GrantEntitlementRequest* req,
                                                  v1::Entitlement* resp) {
  const v1::Entitlement& e = req->entitlement();
  if (e.subject().empty()) return InvalidArgument("entitlement.subject is required");
  std::string kind;
  switch (e.kind()) {
    case v1::ENTITLEMENT_KIND_PURCHASE:
      kind = "purchase";
      break;
    case v1::ENTITLEMENT_KIND_RENTAL:
      kind = "rental";
      break;
    case v1::ENTITLEMENT_KIND_SUBSCRIPTION:
      kind = "subscription";
      break;
    default:
      return InvalidArgument("entitlement.kind is required");
  }
  if (e.content_ids().empty() && e.owner().empty()) {
    return InvalidArgument("an entitlement needs content_ids or an owner");
  }
  if (e.kind() == v1::ENTITLEMENT_KIND_RENTAL && e.expires_at() == 0) {
    return InvalidArgument("a rental needs expires_at");
  }
  std::vector<std::string> ids(e.content_ids().begin(), e.content_ids().end());
  auto id =
      store_.InsertEntitlement(e.subject(), kind, ids, e.owner(), e.expires_at(), req->actor());
  if (!id.ok()) return ToGrpcStatus(id.status());
  *resp = e;
  resp->set_entitlement_id(std::to_string(*id));
  resp->set_granted_at(absl::ToUnixSeconds(absl::Now()));
  return grpc::Status::OK;
}

}  // namespace p2pims::rights
