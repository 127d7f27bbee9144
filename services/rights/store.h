// Rights' PostgreSQL store (schema `rights`): catalogue, entitlements, audit. Prepared
// statements only; every method is one transaction.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
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
  std::string actor;
  std::string action;
  std::string subject;
  std::string content_id;
  std::string result;
  std::string reason;
};

// Thread-safe: each call takes its own pooled connection.
class RightsStore {
 public:
  explicit RightsStore(pg::Pool& pool) : pool_(pool) {}

  // The statements this store uses, prepared on every pooled connection.
  static std::vector<std::pair<std::string, std::string>> Statements();

  // nullopt when the content id is not in the catalogue.
  absl::StatusOr<std::optional<ContentRecord>> FindContent(const std::string& content_id);
  // Entitlements of `subject` that are neither revoked nor expired at `now` (Unix seconds).
  absl::StatusOr<std::vector<EntitlementRecord>> ActiveEntitlements(const std::string& subject,
                                                                    int64_t now);
  absl::Status Audit(const AuditEntry& entry);

  // AlreadyExists when the content id or info-hash is taken; InvalidArgument for rows the
  // schema's checks refuse. The change and its audit record commit together.
  absl::Status InsertContent(const ContentRecord& record, const std::string& actor);
  // Content with content_id > after, in order, at most `limit`.
  absl::StatusOr<std::vector<ContentRecord>> ListContent(const std::string& after, int limit,
                                                         const std::string& owner);
  // Returns the new entitlement id.
  absl::StatusOr<int64_t> InsertEntitlement(const std::string& subject, const std::string& kind,
                                            const std::vector<std::string>& content_ids,
                                            const std::string& owner, int64_t expires_at,
                                            const std::string& actor);

 private:
  pg::Pool& pool_;
};

}  // namespace p2pims::rights
