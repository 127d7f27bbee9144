#include "services/rights/policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/iso/iso_codes.h"

namespace p2pims::rights {
namespace {

Decision Deny(v1::DenyReason reason, std::string message) {
  return Decision{false, reason, std::move(message)};
}

bool Covers(const EntitlementRecord& e, const ContentRecord& c) {
  if (!e.owner.empty() && e.owner == c.owner) return true;
  return std::find(e.content_ids.begin(), e.content_ids.end(), c.content_id) != e.content_ids.end();
}

}  // namespace

bool InTerritory(std::string_view territory, std::string_view locality) {
  // A country covers every locality whose MCC (the first three characters of "mcc-mnc/...")
  // belongs to it.
  if (territory.size() == 2) {
    return locality.size() >= 4 && locality[3] == '-' &&
           CountryOfMcc(locality.substr(0, 3)) == territory;
  }
  // A path prefix only matches at a path boundary: "262-01" covers "262-01/a7" but not "262-012".
  return locality.substr(0, territory.size()) == territory &&
         (locality.size() == territory.size() || locality[territory.size()] == '/');
}

Decision Decide(const std::optional<ContentRecord>& content,
                const std::vector<EntitlementRecord>& entitlements, const Circumstances& at) {
  if (!content) return Deny(v1::DENY_REASON_UNKNOWN_CONTENT, "unknown content");
  const ContentRecord& c = *content;
  if (c.withdrawn) return Deny(v1::DENY_REASON_WITHDRAWN, "content withdrawn");
  if ((c.window_start != 0 && at.now < c.window_start) ||
      (c.window_end != 0 && at.now >= c.window_end)) {
    return Deny(v1::DENY_REASON_OUTSIDE_WINDOW, "content not available at this time");
  }
  if (!c.territories.empty()) {
    if (!at.locality_verified) {
      return Deny(v1::DENY_REASON_TERRITORY, "content needs a network-verified location");
    }
    const bool inside = std::any_of(c.territories.begin(), c.territories.end(),
                                    [&](const std::string& t) { return InTerritory(t, at.locality); });
    if (!inside) return Deny(v1::DENY_REASON_TERRITORY, "content not available in this territory");
  }
  if (at.barred_until > at.now) {
    return Deny(v1::DENY_REASON_REVOKED, "access revoked until " + absl::StrCat(at.barred_until));
  }
  // Free content and pay-as-you-go (per-byte) content need no entitlement: charging covers the
  // second by volume. Purchases, rentals and subscriptions are paid when the entitlement is
  // granted, so the session itself needs one.
  if (c.price_model == v1::PRICE_MODEL_FREE) return Decision{true, {}, "free content"};
  if (c.price_model == v1::PRICE_MODEL_PER_BYTE) return Decision{true, {}, "charged by volume"};
  bool revoked = false, expired = false;
  const EntitlementRecord* best = nullptr;  // the active one that lasts longest
  for (const EntitlementRecord& e : entitlements) {
    if (!Covers(e, c)) continue;
    if (e.revoked) {
      revoked = true;
    } else if (e.expires_at != 0 && e.expires_at <= at.now) {
      expired = true;
    } else if (best == nullptr || e.expires_at == 0 ||
               (best->expires_at != 0 && e.expires_at > best->expires_at)) {
      best = &e;
    }
  }
  if (best != nullptr) return Decision{true, {}, "entitled by " + best->kind, best->expires_at};
  if (revoked) return Deny(v1::DENY_REASON_REVOKED, "entitlement revoked");
  if (expired) return Deny(v1::DENY_REASON_NOT_ENTITLED, "entitlement expired");
  return Deny(v1::DENY_REASON_NOT_ENTITLED, "no entitlement for this content");
}

Decision DecideOperatorSeed(const std::optional<ContentRecord>& content) {
  if (!content) return Deny(v1::DENY_REASON_UNKNOWN_CONTENT, "unknown content");
  if (content->withdrawn) return Deny(v1::DENY_REASON_WITHDRAWN, "content withdrawn");
  return Decision{true, {}, "operator seed"};
}

v1::PriceModel PriceModelFromName(const std::string& name) {
  if (name == "free") return v1::PRICE_MODEL_FREE;
  if (name == "purchase") return v1::PRICE_MODEL_PURCHASE;
  if (name == "rental") return v1::PRICE_MODEL_RENTAL;
  if (name == "subscription") return v1::PRICE_MODEL_SUBSCRIPTION;
  if (name == "per_byte") return v1::PRICE_MODEL_PER_BYTE;
  return v1::PRICE_MODEL_UNSPECIFIED;
}

std::string PriceModelName(v1::PriceModel model) {
  switch (model) {
    case v1::PRICE_MODEL_FREE:
      return "free";
    case v1::PRICE_MODEL_PURCHASE:
      return "purchase";
    case v1::PRICE_MODEL_RENTAL:
      return "rental";
    case v1::PRICE_MODEL_SUBSCRIPTION:
      return "subscription";
    case v1::PRICE_MODEL_PER_BYTE:
      return "per_byte";
    default:
      return "";
  }
}

void ToProto(const ContentRecord& r, v1::Content* out) {
  out->set_content_id(r.content_id);
  out->set_title(r.title);
  out->set_owner(r.owner);
  out->set_info_hash_v1(r.info_hash_v1);
  out->set_info_hash_v2(r.info_hash_v2);
  out->set_size_bytes(r.size_bytes);
  out->set_withdrawn(r.withdrawn);
  out->set_created_at(r.created_at);
  v1::Licence* l = out->mutable_licence();
  l->set_price_model(r.price_model);
  l->mutable_price()->set_minor(r.price_minor);
  l->mutable_price()->set_currency(r.currency);
  l->set_rental_seconds(r.rental_seconds);
  l->set_owner_share_bp(r.owner_share_bp);
  for (const auto& t : r.territories) l->add_territories(t);
  l->set_window_start(r.window_start);
  l->set_window_end(r.window_end);
  l->set_device_limit(r.device_limit);
}

int64_t SessionPrice(const ContentRecord& content) {
  return content.price_model == v1::PRICE_MODEL_PER_BYTE ? content.price_minor : 0;
}

}  // namespace p2pims::rights
