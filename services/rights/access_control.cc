#include "services/rights/access_control.h"

#include <sodium.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/encoding/encoding.h"

namespace p2pims::rights {

AccessControl::AccessControl(RightsStore& store, Keyring& keys, RevocationSet& revocations,
                             AuditWriter& audit, RightsMetrics& metrics, AccessOptions options)
    : store_(store),
      keys_(keys),
      revocations_(revocations),
      audit_(audit),
      metrics_(metrics),
      options_(options),
      contents_(options.content_cache_entries),
      subjects_(options.subject_cache_entries) {}

ChangeHandlers AccessControl::Handlers() {
  return {
      .content = [this](const std::string& id) { contents_.Invalidate(id); },
      .subject = [this](const std::string& subject) { subjects_.Invalidate(subject); },
      .revocation = [this] { (void)revocations_.Refresh(); },
      .resync =
          [this] {
            contents_.InvalidateAll();
            subjects_.InvalidateAll();
            (void)revocations_.Refresh();
            PreloadCatalogue();
          },
  };
}

void AccessControl::PreloadCatalogue() {
  // Runs on the listener thread before it dispatches the notifications queued meanwhile, so an
  // entry that changes during the load is dropped right after it.
  std::string after;
  size_t loaded = 0;
  while (loaded < options_.content_cache_entries) {
    auto page = store_.ListContent(after, 1000, "");
    if (!page.ok() || page->empty()) return;
    after = page->back().content_id;
    for (ContentRecord& c : *page) {
      const std::string id = c.content_id;
      contents_.PutIfCurrent(id, std::make_shared<const CachedContent>(std::move(c)),
                             contents_.Generation(id));
    }
    loaded += page->size();
  }
}

namespace {

// A cached value, or (when `live` and `reach` allow) one loaded from the database and cached.
// nullptr when `reach` is memory-only and the key is not cached.
template <typename V, typename Load>
absl::StatusOr<std::shared_ptr<const V>> ReadThrough(ShardedCache<V>& cache,
                                                     const std::string& key, bool live,
                                                     AccessControl::Reach reach,
                                                     metrics::Counter& hits,
                                                     metrics::Counter& misses, Load load) {
  const uint64_t generation = cache.Generation(key);  // before the read: see sharded_cache.h
  if (live) {
    if (auto hit = cache.Find(key)) {
      hits.Increment();
      return hit;
    }
    if (reach == AccessControl::Reach::kMemoryOnly) return nullptr;
    misses.Increment();
  }
  auto found = load(key);
  if (!found.ok()) return found.status();
  auto value = std::make_shared<const V>(std::move(*found));
  if (live) cache.PutIfCurrent(key, value, generation);
  return value;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const AccessControl::CachedContent>> AccessControl::Content(
    const std::string& id, bool live, Reach reach) {
  return ReadThrough(contents_, id, live, reach, metrics_.content_hit, metrics_.content_miss,
                     [this](const std::string& key) { return store_.FindContent(key); });
}

absl::StatusOr<std::shared_ptr<const AccessControl::CachedEntitlements>>
AccessControl::Entitlements(const std::string& subject, bool live, Reach reach) {
  return ReadThrough(subjects_, subject, live, reach, metrics_.subject_hit, metrics_.subject_miss,
                     [this](const std::string& key) { return store_.EntitlementsOf(key); });
}

std::optional<absl::StatusOr<Grant>> AccessControl::Authorize(const v1::AuthorizeRequest& req,
                                                              token::Role role, int64_t now,
                                                              Reach reach) {
  const absl::Time started = absl::Now();
  std::optional<absl::StatusOr<Grant>> grant = Evaluate(req, role, now, reach);
  if (grant) metrics_.authorize_seconds.Observe(absl::ToDoubleSeconds(absl::Now() - started));
  return grant;
}

std::optional<absl::StatusOr<Grant>> AccessControl::Evaluate(const v1::AuthorizeRequest& req,
                                                             token::Role role, int64_t now,
                                                             Reach reach) {
  const bool live = listener_ != nullptr && listener_->live();
  if (!live) {
    if (reach == Reach::kMemoryOnly) return std::nullopt;
    metrics_.cache_bypass.Increment();
    // Without the listener, bans come straight from the database as well.
    if (absl::Status s = revocations_.Refresh(); !s.ok()) return s;
  }
  const bool operator_seed = role != token::Role::kLeech;
  if (operator_seed && std::find(options_.operator_seeds.begin(), options_.operator_seeds.end(),
                                 req.subject()) == options_.operator_seeds.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", token::RoleName(role), " is only for the operator's seeds (",
                     req.subject(), " is not one)"));
  }
  Grant grant;
  auto content = Content(req.content_id(), live, reach);
  if (!content.ok()) return content.status();
  if (*content == nullptr) return std::nullopt;  // not in memory
  grant.content = *content;

  Decision& d = grant.decision;
  const ContentRecord* c = grant.content->has_value() ? &**grant.content : nullptr;
  // Free and per-byte content need no entitlement lookup at all.
  std::shared_ptr<const CachedEntitlements> entitlements;
  if (c != nullptr && !operator_seed && c->price_model != v1::PRICE_MODEL_FREE &&
      c->price_model != v1::PRICE_MODEL_PER_BYTE) {
    auto found = Entitlements(req.subject(), live, reach);
    if (!found.ok()) return found.status();
    if (*found == nullptr) return std::nullopt;  // not in memory
    entitlements = *found;
  }
  static const CachedEntitlements kNone;
  d = operator_seed
          ? DecideOperatorSeed(*grant.content)
          : Decide(*grant.content, entitlements ? *entitlements : kNone,
                   {.locality = req.locality(),
                    .locality_verified = req.locality_verified(),
                    .barred_until = revocations_.BarredUntil(req.subject(), req.content_id(), now),
                    .now = now});
  if (d.allowed) {
    if (absl::Status s = Sign(req, role, *c, now, d.entitled_until, grant); !s.ok()) return s;
    if (c->device_limit > 0 && !operator_seed) {
      if (reach == Reach::kMemoryOnly) return std::nullopt;  // slots live in PostgreSQL
      metrics_.device_slot_checks.Increment();
      const std::string device =
          req.device().empty() ? "session:" + req.session_id() : req.device();
      auto claimed = store_.ClaimDeviceSlot(req.subject(), c->content_id, device, grant.token_id,
                                            grant.expires_at, c->device_limit);
      if (!claimed.ok()) return claimed.status();
      if (!*claimed) {
        d = Decision{false, v1::DENY_REASON_DEVICE_LIMIT,
                     absl::StrCat("device limit reached: ", c->device_limit,
                                  " device(s) already hold access to this content")};
        grant.token.clear();
        grant.token_id.clear();
        grant.expires_at = 0;
      }
    }
  }
  if (!audit_.Enqueue({.actor = req.subject(),
                       .action = "authorize",
                       .subject = req.subject(),
                       .content_id = req.content_id(),
                       .result = d.allowed ? "allow" : "deny",
                       .reason = d.allowed ? absl::StrCat(d.message, " token ", grant.token_id)
                                           : v1::DenyReason_Name(d.reason)})) {
    metrics_.audit_refusals.Increment();
    return absl::UnavailableError("audit backlog full: decisions cannot be recorded");
  }
  metrics_.decision(d.allowed, d.reason).Increment();
  if (d.allowed) metrics_.tokens_issued.Increment();
  return grant;
}

absl::Status AccessControl::Sign(const v1::AuthorizeRequest& req, token::Role role,
                                 const ContentRecord& c, int64_t now, int64_t entitled_until,
                                 Grant& grant) {
  const std::shared_ptr<const KeySet> keys = keys_.current();
  const token::KeyPair& signing = keys->keys.front();
  if (signing.retire_at != 0 && signing.retire_at <= now) {
    return absl::FailedPreconditionError(
        absl::StrCat("signing key ", signing.kid, " has retired; add a current key"));
  }
  int64_t expires = now + absl::ToInt64Seconds(options_.token_ttl);
  if (entitled_until != 0) expires = std::min(expires, entitled_until);
  if (signing.retire_at != 0) expires = std::min(expires, signing.retire_at);

  token::Claims claims;
  claims.subject = req.subject();
  std::copy_n(c.info_hash_v1.begin(), std::min<size_t>(20, c.info_hash_v1.size()),
              claims.info_hash.begin());
  claims.session_id = req.session_id();
  claims.locality = req.locality();
  claims.role = role;
  claims.issued_at = static_cast<uint32_t>(now);
  claims.expires_at = static_cast<uint32_t>(expires);
  randombytes_buf(claims.token_id.data(), claims.token_id.size());
  auto token = keys->signer->Sign(claims);
  if (!token.ok()) return absl::InvalidArgumentError(token.status().message());
  grant.token = std::move(*token);
  grant.token_id = Hex({reinterpret_cast<const char*>(claims.token_id.data()), 16});
  grant.expires_at = expires;
  return absl::OkStatus();
}

}  // namespace p2pims::rights
