// The tracker's side of Ro credit control, kept in the session rows (schema `tracker`). sip-edge's
// INITIAL grants the first units; the tracker asks for more with UPDATEs as the peers' reported
// downloads near the grant, or as its validity runs out. An UPDATE is written ahead (number and
// used units) before it is sent, so whoever resends it (the next housekeeping round, CloseSession,
// another replica, a restart) sends the same request, which charging answers once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/pg/pool.h"
#include "p2pims/tracker/v1/tracker.pb.h"

namespace p2pims::tracker {

// An UPDATE written ahead: its number and the usage since the last one charging recorded.
struct CreditUpdate {
  std::string session_id, subject, locality;
  int64_t request_number = 0;
  int64_t bytes_down = 0, bytes_up = 0;
};

// What charging answered, as the session row keeps it.
struct CreditAnswer {
  int64_t granted_bytes_down = 0;
  bool final_units = false;
  int64_t validity_seconds = 0;
};

// A session whose access ended, and when its token expires (Unix seconds, 0 when unknown).
struct EndedSession {
  std::string session_id;
  int64_t token_expires_at = 0;
};

// For the TERMINATION at close: the tracker's last request number and what no UPDATE reported.
struct CreditSettlement {
  int64_t request_number = 0;
  int64_t unreported_down = 0, unreported_up = 0;
};

// Thread-safe: each call takes its own pooled connection.
class CreditStore {
 public:
  explicit CreditStore(pg::Pool& pool) : pool_(pool) {}

  static std::vector<std::pair<std::string, std::string>> Statements();

  // Starts credit control of an open session with the INITIAL's grant; a second call changes
  // nothing (OpenSession retransmitted).
  absl::Status Begin(const std::string& session_id, const v1::CreditGrant& grant);
  // The same inside a caller's transaction (the session's own, at OpenSession).
  static void BeginIn(pqxx::work& tx, const std::string& session_id, const v1::CreditGrant& grant);
  // Writes ahead an UPDATE for up to `max` open sessions whose grant is nearly used or whose
  // validity is ending, and returns UPDATEs written ahead and not answered yet (new and earlier
  // ones), at most `max`.
  absl::StatusOr<std::vector<CreditUpdate>> Due(int max);
  // The session's UPDATE written ahead and not answered, if any, and else its settlement: one
  // read of the session row (CloseSession's usual case). NotFound for an unknown session.
  struct PendingOrSettled {
    std::optional<CreditUpdate> pending;
    CreditSettlement settlement;  // only without `pending`
  };
  absl::StatusOr<PendingOrSettled> PendingOrSettlement(const std::string& session_id);
  // Charging recorded the usage and granted `answer` (nothing changes if another caller applied
  // this answer first).
  absl::Status Granted(const CreditUpdate& update, const CreditAnswer& answer);
  // Charging grants no more. `recorded`: it answered and counted the usage, and the bytes
  // granted before may still be used up (EndExhausted ends the access then); otherwise it
  // refused the request (its number is free again) and the access ends now with `why`.
  // The session, when this call ended its access.
  absl::StatusOr<std::optional<EndedSession>> End(const CreditUpdate& update, bool recorded,
                                                  const std::string& why);
  // Ends the access of sessions whose final units are used up.
  absl::StatusOr<std::vector<EndedSession>> EndExhausted();
  // The numbers for sip-edge's TERMINATION; NotFound for an unknown session.
  absl::StatusOr<CreditSettlement> Settlement(const std::string& session_id);

 private:
  pg::Pool& pool_;
};

}  // namespace p2pims::tracker
