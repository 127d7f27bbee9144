// The tracker's PostgreSQL store (schema `tracker`): content index, sessions, presence.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/pg/migrate.h"
#include "lib/pg/pool.h"
#include "p2pims/tracker/v1/tracker.pb.h"
#include "services/tracker/usage_meter.h"

namespace p2pims {
// The schema's migrations, embedded from services/tracker/migrations/ at build time.
const std::vector<pg::Migration>& TrackerMigrations();
}  // namespace p2pims

namespace p2pims::tracker {

// Thread-safe: each call takes its own pooled connection.
class TrackerStore {
 public:
  explicit TrackerStore(pg::Pool& pool) : pool_(pool) {}

  static std::vector<std::pair<std::string, std::string>> Statements();

  // AlreadyExists when the content id or an info-hash is indexed.
  absl::Status IndexContent(const v1::IndexedContent& content);
  // By content id when set, else by info-hash (v1 or truncated v2); nullopt when unknown.
  absl::StatusOr<std::optional<v1::IndexedContent>> FindContent(const std::string& content_id,
                                                                const std::string& info_hash);
  absl::StatusOr<std::vector<v1::IndexedContent>> ListContent(const std::string& after, int limit);

  // Records a session; opening the same session again is a no-op (retransmissions).
  // AlreadyExists when the id belongs to another subscriber or content; FailedPrecondition when
  // the session is closed.
  absl::Status OpenSession(const std::string& session_id, const std::string& token_id,
                           const std::string& info_hash, const std::string& subject,
                           const std::string& locality, int64_t token_expires_at);
  // Closes a session once and returns its usage and when its token expires (Unix seconds, 0 when
  // unknown); NotFound when it never existed.
  absl::StatusOr<v1::CloseSessionResponse> CloseSession(const std::string& session_id,
                                                        const std::string& cause,
                                                        int64_t* token_expires_at);
  // Adds metered usage to open sessions in one statement (closed and unknown sessions are
  // skipped: a session's usage is final once closed).
  absl::Status AddUsage(const std::vector<SessionUsage>& usage);
  absl::Status SetPresence(const v1::RegisterPresenceRequest& req);
  absl::StatusOr<v1::SwarmStatsResponse> SwarmStats(const std::string& info_hash);

 private:
  pg::Pool& pool_;
};

}  // namespace p2pims::tracker
