#include "services/rights/service.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/grpc/admin_access.h"
#include "lib/grpc/status.h"
#include "services/rights/validation.h"

namespace p2pims::rights {
namespace {

constexpr int64_t kMaxClockSkewSeconds = 300;
constexpr size_t kMaxClaimBytes = 255;  // a token's string claims are length-prefixed by a byte

grpc::Status NotFound(const std::string& message) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND, message);
}

// Field checks share one shape: the first failure becomes INVALID_ARGUMENT.
#define P2PIMS_CHECK_ARG(expr)                                  \
  if (absl::Status _s = (expr); !_s.ok()) return ToGrpcStatus(_s)

absl::Status CheckClaimLength(const std::string& value, const char* field) {
  if (value.size() <= kMaxClaimBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " must be at most 255 bytes"));
}

void ToProto(const EntitlementRecord& e, v1::Entitlement* out) {
  out->set_entitlement_id(std::to_string(e.entitlement_id));
  out->set_subject(e.subject);
  out->set_kind(e.kind == "purchase"   ? v1::ENTITLEMENT_KIND_PURCHASE
                : e.kind == "rental"   ? v1::ENTITLEMENT_KIND_RENTAL
                                       : v1::ENTITLEMENT_KIND_SUBSCRIPTION);
  for (const auto& id : e.content_ids) out->add_content_ids(id);
  out->set_owner(e.owner);
  out->set_expires_at(e.expires_at);
  out->set_revoked(e.revoked);
  out->set_granted_at(e.granted_at);
}

void ToProto(const RevocationRecord& r, v1::Revocation* out) {
  out->set_sequence(r.sequence);
  out->set_token_id(r.token_id);
  out->set_subject(r.subject);
  out->set_content_id(r.content_id);
  out->set_issued_before(r.issued_before);
  out->set_reason(r.reason);
  out->set_created_at(r.created_at);
  out->set_expires_at(r.expires_at);
}

void LicenceInto(const v1::Licence& l, ContentRecord& r) {
  r.price_model = l.price_model();
  r.price_minor = l.price().minor();
  r.currency = l.price().currency().empty() ? "EUR" : l.price().currency();
  r.rental_seconds = l.rental_seconds();
  r.owner_share_bp = l.owner_share_bp();
  r.territories.assign(l.territories().begin(), l.territories().end());
  r.window_start = l.window_start();
  r.window_end = l.window_end();
  r.device_limit = l.device_limit();
}

absl::Status CheckName(const std::string& value, const char* field) {
  if (value.empty() || value.size() > 256) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is required (at most 256 bytes)"));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Rights ----

grpc::ServerUnaryReactor* RightsService::Authorize(grpc::CallbackServerContext* ctx,
                                                   const v1::AuthorizeRequest* req,
                                                   v1::AuthorizeResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (slow_path_ == nullptr) {
    reactor->Finish(Decide(*req, resp));
    return reactor;
  }
  if (std::optional<grpc::Status> s = Decide(*req, resp, AccessControl::Reach::kMemoryOnly)) {
    reactor->Finish(*s);
    return reactor;
  }
  const bool queued =
      slow_path_->Submit([this, reactor, req, resp] { reactor->Finish(Decide(*req, resp)); });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "rights is overloaded: too many decisions wait for the database"));
  }
  return reactor;
}

std::optional<grpc::Status> RightsService::Decide(const v1::AuthorizeRequest& request,
                                                  v1::AuthorizeResponse* resp,
                                                  AccessControl::Reach reach) {
  const v1::AuthorizeRequest* req = &request;
  P2PIMS_CHECK_ARG(CheckSubject(req->subject()));
  P2PIMS_CHECK_ARG(CheckContentId(req->content_id()));
  P2PIMS_CHECK_ARG(CheckClaimLength(req->locality(), "locality"));
  P2PIMS_CHECK_ARG(CheckClaimLength(req->session_id(), "session_id"));
  P2PIMS_CHECK_ARG(CheckClaimLength(req->device(), "device"));
  token::Role role = token::Role::kLeech;
  if (!req->role().empty() && !token::ParseRole(req->role(), &role)) {
    return InvalidArgument("role must be leech, seed or origin");
  }
  // Decisions and tokens use this server's clock; a caller's time only documents when it
  // asked, so that no caller can backdate a token or step outside a licence window.
  const absl::Time start = absl::Now();
  const int64_t now = absl::ToUnixSeconds(start);
  if (req->time() != 0 && std::abs(req->time() - now) > kMaxClockSkewSeconds) {
    return InvalidArgument("time is more than 5 minutes away from the rights server's clock");
  }
  std::optional<absl::StatusOr<Grant>> decided = access_.Authorize(*req, role, now, reach);
  if (!decided) return std::nullopt;
  absl::StatusOr<Grant>& grant = *decided;
  if (!grant.ok()) return ToGrpcStatus(grant.status());
  const Decision& d = grant->decision;
  resp->set_allowed(d.allowed);
  resp->set_reason(d.reason);
  resp->set_message(d.message);
  if (d.allowed) {
    const ContentRecord& c = **grant->content;
    resp->set_token(std::move(grant->token));
    resp->set_token_id(grant->token_id);
    resp->set_expires_at(grant->expires_at);
    resp->set_info_hash(c.info_hash_v1);
    resp->set_owner(c.owner);
    resp->set_price_model(c.price_model);
    resp->mutable_price()->set_minor(SessionPrice(c));
    resp->mutable_price()->set_currency(c.currency);
    resp->set_owner_share_bp(c.owner_share_bp);
  }
  return grpc::Status::OK;
}

grpc::Status RightsService::GetSigningKeys(grpc::ServerContext*, const v1::GetSigningKeysRequest*,
                                           v1::GetSigningKeysResponse* resp) {
  const std::shared_ptr<const KeySet> set = keys_.current();
  for (const token::KeyPair& k : set->keys) {
    v1::SigningKey* key = resp->add_keys();
    key->set_kid(k.kid);
    key->set_public_key(std::string(reinterpret_cast<const char*>(k.public_key.data()), 32));
    key->set_not_after(k.retire_at);
    key->set_created_at(k.created_at);
  }
  resp->set_current_kid(set->signer->kid());
  return grpc::Status::OK;
}

grpc::Status RightsService::SearchCatalogue(grpc::ServerContext*,
                                            const v1::SearchCatalogueRequest* req,
                                            v1::SearchCatalogueResponse* resp) {
  if (req->query().empty() || req->query().size() > 100) {
    return InvalidArgument("query must be 1-100 characters");
  }
  if (req->limit() < 0 || req->limit() > 50) return InvalidArgument("limit must be within 0..50");
  auto found = store_.SearchContent(req->query(), req->limit() == 0 ? 10 : req->limit());
  if (!found.ok()) return ToGrpcStatus(found.status());
  for (const ContentRecord& c : *found) {
    v1::CatalogueEntry* e = resp->add_entries();
    e->set_content_id(c.content_id);
    e->set_title(c.title);
    e->set_price_model(c.price_model);
    e->mutable_price()->set_minor(c.price_minor);
    e->mutable_price()->set_currency(c.currency);
    e->set_size_bytes(c.size_bytes);
  }
  return grpc::Status::OK;
}

grpc::Status RightsService::WatchRevocations(grpc::ServerContext* ctx,
                                             const v1::WatchRevocationsRequest* req,
                                             grpc::ServerWriter<v1::Revocation>* writer) {
  if (req->after_sequence() < 0) return InvalidArgument("after_sequence must not be negative");
  int64_t after = req->after_sequence();
  while (!ctx->IsCancelled()) {
    if (listener_ == nullptr || !listener_->live()) (void)revocations_.Refresh();
    for (const RevocationRecord& r : revocations_.Since(after)) {
      v1::Revocation out;
      ToProto(r, &out);
      if (!writer->Write(out)) return grpc::Status::OK;  // the caller went away
      after = r.sequence;
    }
    revocations_.AwaitNewer(after, absl::Milliseconds(250));
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "revocation stream cancelled");
}

// ---- RightsAdmin: catalogue ----

grpc::Status RightsAdminService::Reply(const std::string& content_id, v1::Content* resp) {
  auto stored = store_.FindContent(content_id);
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  if (!*stored) return NotFound("no content " + content_id);
  rights::ToProto(**stored, resp);
  return grpc::Status::OK;
}

grpc::Status RightsAdminService::RegisterContent(grpc::ServerContext* ctx,
                                                 const v1::RegisterContentRequest* req,
                                                 v1::Content* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kOperator); !denied.ok()) return denied;
  const v1::Content& in = req->content();
  P2PIMS_CHECK_ARG(CheckContentId(in.content_id()));
  P2PIMS_CHECK_ARG(CheckName(in.title(), "title"));
  P2PIMS_CHECK_ARG(CheckName(in.owner(), "owner"));
  if (in.info_hash_v1().size() != 20) return InvalidArgument("info_hash_v1 must be 20 bytes");
  if (!in.info_hash_v2().empty() && in.info_hash_v2().size() != 32) {
    return InvalidArgument("info_hash_v2 must be 32 bytes when set");
  }
  if (in.size_bytes() < 0) return InvalidArgument("size_bytes must not be negative");
  P2PIMS_CHECK_ARG(CheckLicence(in.licence()));
  ContentRecord r;
  r.content_id = in.content_id();
  r.title = in.title();
  r.owner = in.owner();
  r.info_hash_v1 = in.info_hash_v1();
  r.info_hash_v2 = in.info_hash_v2();
  r.size_bytes = in.size_bytes();
  LicenceInto(in.licence(), r);
  if (absl::Status s = store_.InsertContent(r, req->actor()); !s.ok()) return ToGrpcStatus(s);
  access_.ContentChanged(r.content_id);  // a cached "unknown content" must go
  return Reply(r.content_id, resp);
}

grpc::Status RightsAdminService::UpdateLicence(grpc::ServerContext* ctx,
                                               const v1::UpdateLicenceRequest* req,
                                               v1::Content* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kOperator); !denied.ok()) return denied;
  P2PIMS_CHECK_ARG(CheckContentId(req->content_id()));
  P2PIMS_CHECK_ARG(CheckLicence(req->licence()));
  ContentRecord r;
  r.content_id = req->content_id();
  LicenceInto(req->licence(), r);
  if (absl::Status s = store_.UpdateLicence(r, req->actor()); !s.ok()) return ToGrpcStatus(s);
  access_.ContentChanged(r.content_id);
  return Reply(r.content_id, resp);
}

grpc::Status RightsAdminService::WithdrawContent(grpc::ServerContext* ctx,
                                                 const v1::WithdrawContentRequest* req,
                                                 v1::Content* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kOperator); !denied.ok()) return denied;
  P2PIMS_CHECK_ARG(CheckContentId(req->content_id()));
  const std::string reason = req->reason().empty() ? "withdrawn by operator" : req->reason();
  if (absl::Status s = store_.WithdrawContent(req->content_id(), reason, req->actor()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  access_.ContentChanged(req->content_id());
  (void)revocations_.Refresh();
  return Reply(req->content_id(), resp);
}

grpc::Status RightsAdminService::GetContent(grpc::ServerContext* ctx, const v1::GetContentRequest* req,
                                            v1::Content* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kReader); !denied.ok()) return denied;
  P2PIMS_CHECK_ARG(CheckContentId(req->content_id()));
  return Reply(req->content_id(), resp);
}

grpc::Status RightsAdminService::ListContent(grpc::ServerContext* ctx,
                                             const v1::ListContentRequest* req,
                                             v1::ListContentResponse* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kReader); !denied.ok()) return denied;
  const int limit = req->page_size() <= 0 ? 100 : std::min(req->page_size(), 1000);
  auto page = store_.ListContent(req->page_token(), limit, req->owner());
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (const ContentRecord& r : *page) rights::ToProto(r, resp->add_content());
  if (static_cast<int>(page->size()) == limit) resp->set_next_page_token(page->back().content_id);
  return grpc::Status::OK;
}

// ---- RightsAdmin: entitlements ----

grpc::Status RightsAdminService::GrantEntitlement(grpc::ServerContext* ctx,
                                                  const v1::GrantEntitlementRequest* req,
                                                  v1::Entitlement* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kOperator); !denied.ok()) return denied;
  const v1::Entitlement& in = req->entitlement();
  P2PIMS_CHECK_ARG(CheckSubject(in.subject()));
  EntitlementRecord e;
  e.subject = in.subject();
  switch (in.kind()) {
    case v1::ENTITLEMENT_KIND_PURCHASE:
      e.kind = "purchase";
      break;
    case v1::ENTITLEMENT_KIND_RENTAL:
      e.kind = "rental";
      break;
    case v1::ENTITLEMENT_KIND_SUBSCRIPTION:
      e.kind = "subscription";
      break;
    default:
      return InvalidArgument("entitlement.kind must be purchase, rental or subscription");
  }
  for (const std::string& id : in.content_ids()) P2PIMS_CHECK_ARG(CheckContentId(id));
  e.content_ids.assign(in.content_ids().begin(), in.content_ids().end());
  e.owner = in.owner();
  if (e.kind != "subscription" && (e.content_ids.size() != 1 || !e.owner.empty())) {
    return InvalidArgument("a purchase or rental covers exactly one content id and no owner");
  }
  if (e.content_ids.empty() == e.owner.empty()) {
    return InvalidArgument("a subscription covers either content_ids (a bundle) or an owner");
  }
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  e.expires_at = in.expires_at();
  if (e.expires_at < 0 || (e.expires_at != 0 && e.expires_at <= now)) {
    return InvalidArgument("entitlement.expires_at must be in the future (or 0 for none)");
  }
  if (e.kind == "rental" && e.expires_at == 0) {
    // A rental lasts as long as its content's licence says.
    auto content = store_.FindContent(e.content_ids[0]);
    if (!content.ok()) return ToGrpcStatus(content.status());
    if (!*content) return NotFound("no content " + e.content_ids[0]);
    if ((*content)->rental_seconds <= 0) {
      return InvalidArgument(
          "a rental needs expires_at, or content whose licence sets rental_seconds");
    }
    e.expires_at = now + (*content)->rental_seconds;
  }
  auto stored = store_.InsertEntitlement(e, req->actor());
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  access_.SubjectChanged(e.subject);
  ToProto(*stored, resp);
  return grpc::Status::OK;
}

grpc::Status RightsAdminService::RevokeEntitlement(grpc::ServerContext* ctx,
                                                   const v1::RevokeEntitlementRequest* req,
                                                   v1::Entitlement* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kOperator); !denied.ok()) return denied;
  int64_t id = 0;
  if (!absl::SimpleAtoi(req->entitlement_id(), &id) || id <= 0) {
    return InvalidArgument("entitlement_id must be a positive integer");
  }
  const std::string reason = req->reason().empty() ? "revoked by operator" : req->reason();
  auto revoked = store_.RevokeEntitlement(id, reason, req->actor());
  if (!revoked.ok()) return ToGrpcStatus(revoked.status());
  access_.SubjectChanged(revoked->subject);
  (void)revocations_.Refresh();
  ToProto(*revoked, resp);
  return grpc::Status::OK;
}

grpc::Status RightsAdminService::ListEntitlements(grpc::ServerContext* ctx,
                                                  const v1::ListEntitlementsRequest* req,
                                                  v1::ListEntitlementsResponse* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kReader); !denied.ok()) return denied;
  if (req->subject().empty() == req->content_id().empty()) {
    return InvalidArgument("give exactly one of subject and content_id");
  }
  if (!req->subject().empty()) P2PIMS_CHECK_ARG(CheckSubject(req->subject()));
  if (!req->content_id().empty()) P2PIMS_CHECK_ARG(CheckContentId(req->content_id()));
  auto found =
      store_.ListEntitlements(req->subject(), req->content_id(), req->include_inactive());
  if (!found.ok()) return ToGrpcStatus(found.status());
  for (const EntitlementRecord& e : *found) ToProto(e, resp->add_entitlements());
  return grpc::Status::OK;
}

// ---- RightsAdmin: revocations and audit ----

grpc::Status RightsAdminService::Revoke(grpc::ServerContext* ctx, const v1::RevokeRequest* req,
                                        v1::Revocation* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kOperator); !denied.ok()) return denied;
  const v1::Revocation& in = req->revocation();
  if (in.token_id().empty() && in.subject().empty() && in.content_id().empty()) {
    return InvalidArgument("a revocation names a token_id, a subject or a content_id");
  }
  if (!in.token_id().empty() &&
      (in.token_id().size() != 32 ||
       in.token_id().find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return InvalidArgument("token_id must be 32 lower-case hex digits");
  }
  if (!in.subject().empty()) P2PIMS_CHECK_ARG(CheckSubject(in.subject()));
  if (!in.content_id().empty()) P2PIMS_CHECK_ARG(CheckContentId(in.content_id()));
  if (in.issued_before() < 0) return InvalidArgument("issued_before must not be negative");
  RevocationRecord r;
  r.token_id = in.token_id();
  r.subject = in.subject();
  r.content_id = in.content_id();
  r.issued_before = in.issued_before();
  r.reason = in.reason().empty() ? "revoked by operator" : in.reason();
  auto stored = store_.InsertRevocation(r, req->actor());
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  (void)revocations_.Refresh();
  ToProto(*stored, resp);
  return grpc::Status::OK;
}

grpc::Status RightsAdminService::QueryAudit(grpc::ServerContext* ctx,
                                            const v1::QueryAuditRequest* req,
                                            v1::QueryAuditResponse* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kReader); !denied.ok()) return denied;
  if (req->from_time() < 0 || req->to_time() < 0 ||
      (req->to_time() != 0 && req->to_time() <= req->from_time())) {
    return InvalidArgument("from_time and to_time are Unix seconds with from_time < to_time");
  }
  AuditQuery q{.subject = req->subject(),
               .content_id = req->content_id(),
               .from = req->from_time(),
               .to = req->to_time(),
               .limit = req->limit() <= 0 ? 100 : std::min(req->limit(), 1000)};
  auto found = store_.QueryAudit(q);
  if (!found.ok()) return ToGrpcStatus(found.status());
  for (const AuditEntry& e : *found) {
    v1::AuditRecord* out = resp->add_records();
    out->set_time(e.at_micros / 1'000'000);
    out->set_actor(e.actor);
    out->set_action(e.action);
    out->set_subject(e.subject);
    out->set_content_id(e.content_id);
    out->set_result(e.result);
    out->set_reason(e.reason);
  }
  return grpc::Status::OK;
}

}  // namespace p2pims::rights
