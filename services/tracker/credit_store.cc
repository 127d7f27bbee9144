#include "services/tracker/credit_store.h"

#include <pqxx/pqxx>

namespace p2pims::tracker {
namespace {

// Sessions under credit control that can still ask for units.
constexpr char kOpenCredit[] =
    " closed_at IS NULL AND cc_validity_seconds IS NOT NULL AND cc_ended IS NULL";

CreditUpdate ReadUpdate(const pqxx::row& r) {
  return {.session_id = r[0].as<std::string>(),
          .subject = r[1].as<std::string>(),
          .locality = r[2].as<std::string>(),
          .request_number = r[3].as<int64_t>(),
          .bytes_down = r[4].as<int64_t>(),
          .bytes_up = r[5].as<int64_t>()};
}

std::vector<EndedSession> ReadEnded(const pqxx::result& rows) {
  std::vector<EndedSession> out;
  for (const pqxx::row& r : rows) out.push_back({r[0].as<std::string>(), r[1].as<int64_t>()});
  return out;
}

}  // namespace

// The next UPDATE is due once all but a fifth of the grant's bytes are used (the margin lets the
// next grant arrive before the peers run out), or once 80 % of its validity has passed and its
// peers moved bytes since the last report. An idle session's reservation is let go: when no
// peer moved a byte for a whole validity period (e.g. its sip-edge died and nobody will send its
// BYE), charging's sweeper settles it as time-limited.
std::vector<std::pair<std::string, std::string>> CreditStore::Statements() {
  return {
      {"tracker_credit_begin",
       "UPDATE tracker.session SET cc_validity_seconds = $2::int, cc_request_number = $3::bigint,"
       " cc_granted_bytes = nullif($4::bigint, 0), cc_final = $5::boolean,"
       " cc_update_at_bytes = CASE WHEN $4::bigint > 0 AND NOT $5::boolean"
       " THEN $4::bigint - $4::bigint / 5 END,"
       " cc_due_at = CASE WHEN $2::int > 0 THEN now() + make_interval(secs => $2::int * 0.8) END"
       " WHERE session_id = $1 AND cc_validity_seconds IS NULL AND closed_at IS NULL"},
      // Writes ahead: the next number, and the usage since what charging last recorded.
      {"tracker_credit_claim",
       std::string("WITH due AS (SELECT session_id FROM tracker.session WHERE") + kOpenCredit +
           " AND cc_pending_down IS NULL AND (bytes_down >= cc_update_at_bytes OR (cc_due_at <= "
           "now() AND (bytes_down > cc_reported_down OR bytes_up > cc_reported_up)))"
           " ORDER BY session_id LIMIT $1 FOR UPDATE SKIP LOCKED)"
           " UPDATE tracker.session s SET cc_request_number = s.cc_request_number + 1,"
           " cc_pending_down = s.bytes_down - s.cc_reported_down,"
           " cc_pending_up = s.bytes_up - s.cc_reported_up FROM due"
           " WHERE s.session_id = due.session_id"},
      {"tracker_credit_pending",
       "SELECT session_id, subject, locality, cc_request_number, cc_pending_down, cc_pending_up"
       " FROM tracker.session WHERE cc_pending_down IS NOT NULL"
       " AND ($2::text = '' OR session_id = $2::text) ORDER BY session_id LIMIT $1"},
      // Every right-hand side reads the row before the update: reported + pending is the new
      // total. Granted bytes count from what charging has recorded when that is more (as
      // charging does).
      {"tracker_credit_granted",
       "UPDATE tracker.session SET cc_reported_down = cc_reported_down + cc_pending_down,"
       " cc_reported_up = cc_reported_up + cc_pending_up, cc_pending_down = NULL,"
       " cc_pending_up = NULL, cc_final = $4::boolean, cc_validity_seconds = $5::int,"
       " cc_granted_bytes = CASE WHEN cc_granted_bytes IS NOT NULL THEN"
       " greatest(cc_granted_bytes, cc_reported_down + cc_pending_down) + $3::bigint END,"
       " cc_update_at_bytes = CASE WHEN cc_granted_bytes IS NULL OR $4::boolean THEN NULL"
       " ELSE greatest(cc_granted_bytes, cc_reported_down + cc_pending_down)"
       " + $3::bigint - $3::bigint / 5 END,"
       " cc_due_at = CASE WHEN $5::int > 0 THEN now() + make_interval(secs => $5::int * 0.8) END"
       " WHERE session_id = $1 AND cc_request_number = $2 AND cc_pending_down IS NOT NULL"},
      // An answer granting nothing more recorded the usage: the bytes granted before may still
      // be used (then the session ends as exhausted), but no more are asked for. A refused
      // request recorded nothing and gives its number back for the TERMINATION; access ends.
      {"tracker_credit_end",
       "UPDATE tracker.session SET cc_ended = CASE WHEN NOT $4::boolean OR cc_granted_bytes IS NULL"
       " OR bytes_down >= cc_granted_bytes THEN coalesce(cc_ended, $3) ELSE cc_ended END,"
       " cc_final = cc_final OR $4::boolean,"
       " cc_update_at_bytes = CASE WHEN $4::boolean THEN NULL ELSE cc_update_at_bytes END,"
       " cc_due_at = CASE WHEN cc_validity_seconds > 0"
       " THEN now() + make_interval(secs => cc_validity_seconds * 0.8) END,"
       " cc_reported_down = cc_reported_down"
       " + CASE WHEN $4::boolean THEN cc_pending_down ELSE 0 END,"
       " cc_reported_up = cc_reported_up + CASE WHEN $4::boolean THEN cc_pending_up ELSE 0 END,"
       " cc_request_number = cc_request_number - CASE WHEN $4::boolean THEN 0 ELSE 1 END,"
       " cc_pending_down = NULL, cc_pending_up = NULL"
       " WHERE session_id = $1 AND cc_request_number = $2 AND cc_pending_down IS NOT NULL"
       " RETURNING session_id, coalesce(extract(epoch from token_expires_at)::bigint, 0),"
       " cc_ended IS NOT NULL"},
      {"tracker_credit_exhausted",
       std::string("UPDATE tracker.session SET cc_ended ="
                   " 'the granted units are used up and the balance covers no more' WHERE") +
           kOpenCredit +
           " AND cc_final AND bytes_down >= cc_granted_bytes"
           " RETURNING session_id, coalesce(extract(epoch from token_expires_at)::bigint, 0)"},
      {"tracker_credit_pending_or_settlement",
       "SELECT session_id, subject, locality, cc_request_number, cc_pending_down, cc_pending_up,"
       " bytes_down - cc_reported_down, bytes_up - cc_reported_up"
       " FROM tracker.session WHERE session_id = $1"},
      {"tracker_credit_settlement",
       "SELECT cc_request_number, bytes_down - cc_reported_down, bytes_up - cc_reported_up"
       " FROM tracker.session WHERE session_id = $1"},
  };
}

absl::Status CreditStore::Begin(const std::string& session_id, const v1::CreditGrant& grant) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    BeginIn(tx, session_id, grant);
    return absl::OkStatus();
  });
}

void CreditStore::BeginIn(pqxx::work& tx, const std::string& session_id,
                          const v1::CreditGrant& grant) {
  tx.exec_prepared("tracker_credit_begin", session_id, grant.validity_seconds(),
                   grant.request_number(), grant.granted_bytes_down(), grant.final_units());
}

absl::StatusOr<std::vector<CreditUpdate>> CreditStore::Due(int max) {
  std::vector<CreditUpdate> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    out.clear();
    tx.exec_prepared("tracker_credit_claim", max);
    for (const pqxx::row& r : tx.exec_prepared("tracker_credit_pending", max, "")) {
      out.push_back(ReadUpdate(r));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<CreditStore::PendingOrSettled> CreditStore::PendingOrSettlement(
    const std::string& session_id) {
  PendingOrSettled out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec_prepared("tracker_credit_pending_or_settlement", session_id);
    if (r.empty()) return absl::NotFoundError("no such session " + session_id);
    out = {};
    if (!r[0][4].is_null()) {
      out.pending = ReadUpdate(r[0]);
    } else {
      out.settlement = {.request_number = r[0][3].as<int64_t>(),
                        .unreported_down = r[0][6].as<int64_t>(),
                        .unreported_up = r[0][7].as<int64_t>()};
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status CreditStore::Granted(const CreditUpdate& u, const CreditAnswer& a) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_prepared("tracker_credit_granted", u.session_id, u.request_number,
                     a.granted_bytes_down, a.final_units, a.validity_seconds);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<EndedSession>> CreditStore::End(const CreditUpdate& u, bool recorded,
                                                             const std::string& why) {
  std::optional<EndedSession> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared("tracker_credit_end", u.session_id, u.request_number, why,
                                      recorded);
    out.reset();
    if (!r.empty() && r[0][2].as<bool>()) out = EndedSession{r[0][0].as<std::string>(), r[0][1].as<int64_t>()};
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<EndedSession>> CreditStore::EndExhausted() {
  std::vector<EndedSession> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    out = ReadEnded(tx.exec_prepared("tracker_credit_exhausted"));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<CreditSettlement> CreditStore::Settlement(const std::string& session_id) {
  CreditSettlement out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    pqxx::result r = tx.exec_prepared("tracker_credit_settlement", session_id);
    if (r.empty()) return absl::NotFoundError("no such session " + session_id);
    out = {.request_number = r[0][0].as<int64_t>(),
           .unreported_down = r[0][1].as<int64_t>(),
           .unreported_up = r[0][2].as<int64_t>()};
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace p2pims::tracker
