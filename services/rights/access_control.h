// The Authorize decision end to end: catalogue entry and entitlements (from memory when the
// change listener is live, else from PostgreSQL), bans among the revocations, the policy, the
// device limit, the signed token and the audit record.
//
//   AccessControl access(store, keyring, revocations, audit, metrics, {});
//   access.UseListener(&listener);
//   auto g = access.Authorize(request, token::Role::kLeech, now, AccessControl::Reach::kDatabase);
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/token/claims.h"
#include "p2pims/rights/v1/rights.pb.h"
#include "services/rights/audit_writer.h"
#include "services/rights/change_listener.h"
#include "services/rights/keyring.h"
#include "services/rights/policy.h"
#include "services/rights/revocation_set.h"
#include "services/rights/rights_metrics.h"
#include "services/rights/sharded_cache.h"
#include "services/rights/store.h"

namespace p2pims::rights {

struct AccessOptions {
  absl::Duration token_ttl = absl::Hours(4);
  size_t content_cache_entries = 200'000;
  size_t subject_cache_entries = 500'000;
  // Identities of the operator's own seeds: only they may ask for the seed and origin roles, and
  // they need no entitlement (DecideOperatorSeed).
  std::vector<std::string> operator_seeds;
};

// The outcome of one Authorize.
struct Grant {
  Decision decision;
  std::shared_ptr<const std::optional<ContentRecord>> content;  // what the decision saw
  std::string token;
  std::string token_id;  // hex
  int64_t expires_at = 0;
};

// Thread-safe; Authorize takes no global lock.
class AccessControl {
 public:
  AccessControl(RightsStore& store, Keyring& keys, RevocationSet& revocations, AuditWriter& audit,
                RightsMetrics& metrics, AccessOptions options);

  // Serve from the caches while `listener` is live. Without a listener every call reads
  // PostgreSQL. Call before serving.
  void UseListener(const ChangeListener* listener) { listener_ = listener; }
  // The handlers a ChangeListener needs to keep these caches true.
  ChangeHandlers Handlers();

  // Where a decision may look for what it needs.
  enum class Reach {
    kMemoryOnly,  // caches only: no PostgreSQL round trip (for threads that must not block)
    kDatabase,    // caches, and PostgreSQL for what they lack
  };

  // A deny is an OK result with decision.allowed false. Errors: Unavailable (database, audit
  // backlog full), FailedPrecondition (the signing key has retired), PermissionDenied (a role
  // other than leech for a subject that is not one of the operator's seeds). With kMemoryOnly, nullopt
  // when the decision needs PostgreSQL (a cache miss, a device limit, the listener down); nothing
  // was decided or recorded then.
  std::optional<absl::StatusOr<Grant>> Authorize(const v1::AuthorizeRequest& req,
                                                 token::Role role, int64_t now, Reach reach);

  // Drops a cached entry at once (read-your-writes for this replica's admin changes).
  void ContentChanged(const std::string& content_id) { contents_.Invalidate(content_id); }
  void SubjectChanged(const std::string& subject) { subjects_.Invalidate(subject); }

 private:
  using CachedContent = std::optional<ContentRecord>;
  using CachedEntitlements = std::vector<EntitlementRecord>;

  std::optional<absl::StatusOr<Grant>> Evaluate(const v1::AuthorizeRequest& req,
                                                token::Role role, int64_t now, Reach reach);
  // Fills the content cache with the catalogue, up to its capacity.
  void PreloadCatalogue();
  // nullptr (and OK) when `reach` is kMemoryOnly and the entry is not cached.
  absl::StatusOr<std::shared_ptr<const CachedContent>> Content(const std::string& id, bool live,
                                                               Reach reach);
  absl::StatusOr<std::shared_ptr<const CachedEntitlements>> Entitlements(
      const std::string& subject, bool live, Reach reach);
  absl::Status Sign(const v1::AuthorizeRequest& req, token::Role role, const ContentRecord& c,
                    int64_t now, int64_t entitled_until, Grant& grant);

  RightsStore& store_;
  Keyring& keys_;
  RevocationSet& revocations_;
  AuditWriter& audit_;
  RightsMetrics& metrics_;
  const AccessOptions options_;
  const ChangeListener* listener_ = nullptr;
  ShardedCache<CachedContent> contents_;
  ShardedCache<CachedEntitlements> subjects_;
};

}  // namespace p2pims::rights
