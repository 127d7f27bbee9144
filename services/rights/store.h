// Rights' PostgreSQL store (schema `rights`): catalogue, entitlements, revocations, device slots
// and the audit trail. Prepared statements only; every method is one transaction, and every
// admin change commits together with its audit record.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/pg/migrate.h"
#include "lib/pg/pool.h"
#include "services/rights/policy.h"

namespace p2pims {
// The schema's migrations, embedded from services/rights/migrations/ at build time.
const std::vector<pg::Migration>& RightsMigrations();
}  // namespace p2pims

namespace p2pims::rights {

// One audited decision or change.
struct AuditEntry {
  int64_t at_micros = 0;  // when, Unix microseconds; 0 = at commit
  std::string actor;
  std::string action;
  std::string subject;
  std::string content_id;
  std::string result;
  std::string reason;
};

struct AuditQuery {
  std::string subject;     // any when empty
  std::string content_id;  // any when empty
  int64_t from = 0;        // Unix seconds, inclusive
  int64_t to = 0;          // Unix seconds, exclusive; 0 = no end
  int limit = 100;
};

// A recorded revocation. issued_before, created_at and expires_at are Unix seconds.
struct RevocationRecord {
  int64_t sequence = 0;
  std::string token_id, subject, content_id, reason;
  int64_t issued_before = 0;
  int64_t created_at = 0;
  int64_t expires_at = 0;
};

// Thread-safe: each call takes its own pooled connection.
class RightsStore {
 public:
  // `token_lifetime` bounds how long a revocation matters: the longest a token can live.
  RightsStore(pg::Pool& pool, absl::Duration token_lifetime)
      : pool_(pool), token_lifetime_(token_lifetime) {}

  // The statements this store uses, prepared on every pooled connection.
  static std::vector<std::pair<std::string, std::string>> Statements();

  // ---- catalogue ----
  // nullopt when the content id is not in the catalogue.
  absl::StatusOr<std::optional<ContentRecord>> FindContent(const std::string& content_id);
  // Content with content_id > after, in order, at most `limit`; only `owner`'s when set.
  absl::StatusOr<std::vector<ContentRecord>> ListContent(const std::string& after, int limit,
                                                         const std::string& owner);
  // Content not withdrawn whose title or id contains `query` (case-insensitive; no wildcards),
  // by title, at most `limit`.
  absl::StatusOr<std::vector<ContentRecord>> SearchContent(const std::string& query, int limit);
  // AlreadyExists when the content id or info-hash is taken.
  absl::Status InsertContent(const ContentRecord& record, const std::string& actor);
  // Replaces the licence fields of `record.content_id`. NotFound when unknown.
  absl::Status UpdateLicence(const ContentRecord& record, const std::string& actor);
  // Marks content withdrawn and revokes every token for it. NotFound when unknown; withdrawing
  // withdrawn content changes nothing.
  absl::Status WithdrawContent(const std::string& content_id, const std::string& reason,
                               const std::string& actor);

  // ---- entitlements ----
  // NotFound naming the first content id that is not in the catalogue. Returns the stored row.
  absl::StatusOr<EntitlementRecord> InsertEntitlement(const EntitlementRecord& e,
                                                      const std::string& actor);
  // Marks it revoked and revokes the subject's tokens for content no other active entitlement
  // covers. NotFound when unknown; revoking a revoked entitlement changes nothing.
  absl::StatusOr<EntitlementRecord> RevokeEntitlement(int64_t entitlement_id,
                                                      const std::string& reason,
                                                      const std::string& actor);
  // The subject's entitlements, revoked or expired ones included, except those that ended
  // (expired) more than 30 days ago: what a decision needs to tell REVOKED from NOT_ENTITLED.
  absl::StatusOr<std::vector<EntitlementRecord>> EntitlementsOf(const std::string& subject);
  // By subject or by content (holders, including owner subscriptions); only active ones unless
  // include_inactive.
  absl::StatusOr<std::vector<EntitlementRecord>> ListEntitlements(const std::string& subject,
                                                                  const std::string& content_id,
                                                                  bool include_inactive);

  // ---- revocations and device slots ----
  // Records a revocation (issued_before 0 = now) and frees the device slots it ends.
  absl::StatusOr<RevocationRecord> InsertRevocation(const RevocationRecord& r,
                                                    const std::string& actor);
  // Revocations with sequence > after that are still in force, in sequence order.
  absl::StatusOr<std::vector<RevocationRecord>> RevocationsAfter(int64_t after);
  // Gives `device` one of the subject's `limit` slots for this content until `expires_at`
  // (Unix seconds): true when it already held one or one was free. Expired slots are freed.
  absl::StatusOr<bool> ClaimDeviceSlot(const std::string& subject, const std::string& content_id,
                                       const std::string& device, const std::string& token_id,
                                       int64_t expires_at, int limit);

  // ---- audit ----
  // Appends a batch of records in one statement.
  absl::Status AppendAudit(const std::vector<AuditEntry>& batch);
  // Newest first.
  absl::StatusOr<std::vector<AuditEntry>> QueryAudit(const AuditQuery& query);
  // Deletes audit records older than `retention` and expired device slots; returns rows deleted.
  absl::StatusOr<int64_t> Prune(absl::Duration retention);

 private:
  pg::Pool& pool_;
  absl::Duration token_lifetime_;
};

}  // namespace p2pims::rights
