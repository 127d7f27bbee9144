// The tracker's PostgreSQL store (schema `tracker`): content index, sessions, presence.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "lib/pg/migrate.h"
#include "lib/pg/pool.h"
#include "p2pims/tracker/v1/tracker.pb.h"
#include "services/tracker/credit_store.h"
#include "services/tracker/usage_meter.h"

namespace p2pims {
// The schema's migrations, embedded from services/tracker/migrations/ at build time.
const std::vector<pg::Migration>& TrackerMigrations();
}  // namespace p2pims

namespace p2pims::tracker {

// One outbox row as an Rf INTERIM record for charging.
struct InterimRecord {
  int64_t id = 0;
  std::string session_id;
  int64_t record_number = 0;
  int64_t bytes_up = 0, bytes_down = 0;
  int64_t metered_at_ms = 0;
  std::string subject, locality, content_id;
};
// Sends records to charging: the ids of those it recorded (now or before), or an error when it
// could not be asked.
using UsageSender =
    std::function<absl::StatusOr<std::vector<int64_t>>(const std::vector<InterimRecord>& records)>;

// Thread-safe: each call takes its own pooled connection.
// What OpenSession records.
struct SessionOpening {
  std::string session_id;
  std::string token_id;   // hex
  std::string info_hash;  // 20 bytes
  std::string subject;
  std::string locality;
  int64_t token_expires_at = 0;
  std::string token;
  std::string announce_key;  // for a new session
  // The operator's own seed (token role seed or origin): its usage counts in the session's
  // totals but never goes to charging.
  bool operator_seed = false;
  const v1::CreditGrant* credit = nullptr;
};

class TrackerStore {
 public:
  explicit TrackerStore(pg::Pool& pool) : pool_(pool), credit_(pool) {}

  // All the schema's statements, credit control's included.
  static std::vector<std::pair<std::string, std::string>> Statements();

  // AlreadyExists when the content id or an info-hash is indexed.
  absl::Status IndexContent(const v1::IndexedContent& content);
  // By content id when set, else by info-hash (v1 or truncated v2); nullopt when unknown.
  // By content id, or else by info-hash (v1 or v2 truncated). Index rows never change once
  // written, so what was found by info-hash is kept in memory (OpenSession asks for every
  // session): later lookups of it cost no transaction.
  absl::StatusOr<std::optional<v1::IndexedContent>> FindContent(const std::string& content_id,
                                                                const std::string& info_hash);
  absl::StatusOr<std::vector<v1::IndexedContent>> ListContent(const std::string& after, int limit);

  // Records a session with its token and the announce key standing for it in UDP URLs, and
  // returns the session's announce key: `announce_key` for a new session, the first one for a
  // session opened again. Opened again with a token that expires later (a renewal), the
  // session goes on with that token; a retransmission changes nothing. AlreadyExists when the id
  // belongs to another subscriber or content; FailedPrecondition when the session is closed. Its
  // credit (null: none) is recorded in the same transaction (CreditStore::Begin).
  absl::StatusOr<std::string> OpenSession(const SessionOpening& session);
  // The token of the session an announce key names; nullopt when none does.
  absl::StatusOr<std::optional<std::string>> TokenByAnnounceKey(const std::string& key);
  // Whether the session was closed (false when unknown).
  absl::StatusOr<bool> SessionClosed(const std::string& session_id);
  // Up to `limit` open sessions (not operator seeds) whose token expired more than `grace` ago,
  // the oldest first: no terminal can announce in them, and no BYE closed them.
  absl::StatusOr<std::vector<std::string>> ExpiredOpenSessions(absl::Duration grace, int limit);
  // The UDP connection-id key every replica shares (migration 0008).
  absl::StatusOr<std::string> UdpConnectionKey();
  // Closed (or its access ended by credit control), and its metered totals; an unknown session
  // is neither.
  struct StoredSession {
    bool ended = false;
    int64_t bytes_up = 0, bytes_down = 0;
    bool credit_by_bytes = false;  // online charging grants it bytes (per-byte content)
  };
  absl::StatusOr<StoredSession> FindSessionState(const std::string& session_id);
  // Closes a session once and returns its usage, the part of it never delivered to charging,
  // and when its token expires (Unix seconds, 0 when unknown). Usage already handed to charging
  // is delivered first with `deliver` (Unavailable when that fails: nothing changes).
  // `closed_now`, when given, tells whether this call closed it (false: closed before, by this
  // replica or another). NotFound when the session never existed.
  absl::StatusOr<v1::CloseSessionResponse> CloseSession(const std::string& session_id,
                                                        const std::string& cause,
                                                        const UsageSender& deliver,
                                                        int64_t* token_expires_at,
                                                        bool* closed_now = nullptr);
  // Cuts INTERIM records from up to `max_records` sessions' gathered usage (one record in
  // flight a session), delivers up to `max_records` of them with `deliver` and deletes what
  // charging took; how many were sent. The records stay (and are resent as the same records)
  // when it fails.
  absl::StatusOr<int> DeliverUsage(int max_records, const UsageSender& deliver);
  // Rows waiting in the outbox.
  absl::StatusOr<int64_t> OutboxDepth();
  // Adds metered usage to open sessions' totals in one statement: one row written per session
  // (plus a marker in the outbox when the session had nothing gathered for charging; what it
  // gathers is its totals less what was cut into INTERIM records). Closed and unknown sessions
  // are skipped (a session's usage is final once closed); their ids are returned, so that a
  // replica learns of sessions another replica closed.
  absl::StatusOr<std::vector<std::string>> AddUsage(const std::vector<SessionUsage>& usage);
  absl::Status SetPresence(const v1::RegisterPresenceRequest& req);
  absl::StatusOr<v1::SwarmStatsResponse> SwarmStats(const std::string& info_hash);
  // The sessions' credit control.
  // What the database knows of sessions' progress, in `session_ids` order (found = false for
  // unknown ids). Each also gets the content's v1 info-hash, for the caller's swarm lookup.
  struct Progress {
    v1::SessionProgress fields;
    std::string info_hash;
  };
  absl::StatusOr<std::vector<Progress>> SessionProgress(const std::vector<std::string>& session_ids);

  CreditStore& credit() { return credit_; }

 private:
  pg::Pool& pool_;
  CreditStore credit_;
  static constexpr size_t kMaxCachedContent = 4096;
  absl::Mutex content_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const v1::IndexedContent>> content_by_hash_
      ABSL_GUARDED_BY(content_mu_);
};

}  // namespace p2pims::tracker
