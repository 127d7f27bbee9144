#include "services/tracker/store.h"

#include <pqxx/pqxx>

#include "absl/container/flat_hash_map.h"

#include "lib/encoding/encoding.h"
#include "lib/pg/array.h"

namespace p2pims::tracker {
namespace {

constexpr char kContentColumns[] =
    "content_id, encode(info_hash, 'hex'), coalesce(encode(info_hash_v2_truncated, 'hex'), ''),"
    " name, size_bytes, coalesce(encode(metainfo, 'hex'), '')";

v1::IndexedContent ReadContent(const pqxx::row& row, bool with_metainfo) {
  v1::IndexedContent c;
  c.set_content_id(row[0].as<std::string>());
  c.set_info_hash(Unhex(row[1].as<std::string>()).value_or(""));
  c.set_info_hash_v2_truncated(Unhex(row[2].as<std::string>()).value_or(""));
  c.set_name(row[3].as<std::string>());
  c.set_size_bytes(row[4].as<int64_t>());
  if (with_metainfo) c.set_metainfo(Unhex(row[5].as<std::string>()).value_or(""));
  return c;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> TrackerStore::Statements() {
  std::vector<std::pair<std::string, std::string>> all = {
      {"tracker_index_content",
       "INSERT INTO tracker.content (content_id, info_hash, info_hash_v2_truncated, name,"
       " size_bytes, metainfo) VALUES ($1, decode($2, 'hex'), nullif(decode($3, 'hex'), ''::bytea),"
       " $4, $5, nullif(decode($6, 'hex'), ''::bytea))"},
      {"tracker_find_content_by_id",
       std::string("SELECT ") + kContentColumns + " FROM tracker.content WHERE content_id = $1"},
      {"tracker_find_content_by_hash",
       std::string("SELECT ") + kContentColumns +
           " FROM tracker.content WHERE info_hash = decode($1, 'hex')"
           " OR info_hash_v2_truncated = decode($1, 'hex')"},
      {"tracker_list_content",
       std::string("SELECT ") + kContentColumns +
           " FROM tracker.content WHERE content_id > $1 ORDER BY content_id LIMIT $2"},
      {"tracker_open_session",
       "INSERT INTO tracker.session (session_id, token_id, info_hash, subject, locality,"
       " token_expires_at, announce_key, token, operator_seed)"
       " VALUES ($1, $2, decode($3, 'hex'), $4, $5, to_timestamp($6), $7, $8, $9)"
       // Opened again with a later token of the same session: the session goes on with it.
       " ON CONFLICT (session_id) DO UPDATE SET token_id = EXCLUDED.token_id,"
       " token = EXCLUDED.token, token_expires_at = EXCLUDED.token_expires_at"
       " WHERE session.closed_at IS NULL AND session.subject = EXCLUDED.subject"
       " AND session.info_hash = EXCLUDED.info_hash"
       " AND session.token_expires_at < EXCLUDED.token_expires_at"},
      {"tracker_find_session",
       "SELECT encode(info_hash, 'hex'), subject, closed_at IS NOT NULL,"
       " coalesce(announce_key, '') FROM tracker.session WHERE session_id = $1"},
      {"tracker_token_by_key",
       "SELECT token FROM tracker.session WHERE announce_key = $1 AND token IS NOT NULL"},
      // Closed, or its access ended by credit control.
      {"tracker_udp_connection_key",
       "SELECT encode(key, 'hex') FROM tracker.udp_connection_key WHERE id = 1"},
      {"tracker_session_closed",
       "SELECT closed_at IS NOT NULL OR cc_ended IS NOT NULL, bytes_up, bytes_down,"
       " cc_granted_bytes IS NOT NULL FROM tracker.session"
       " WHERE session_id = $1"},
      // At close, under the session row's lock (numbering and the flush skip or wait): what no
      // record carried is unreported (an operator seed's usage never goes to charging).
      {"tracker_close_session",
       "UPDATE tracker.session SET closed_at = coalesce(closed_at, now()),"
       " close_cause = coalesce(close_cause, $2),"
       " unreported_bytes_up = coalesce(unreported_bytes_up,"
       " CASE WHEN operator_seed THEN 0 ELSE bytes_up - queued_up END),"
       " unreported_bytes_down = coalesce(unreported_bytes_down,"
       " CASE WHEN operator_seed THEN 0 ELSE bytes_down - queued_down END) WHERE session_id = $1"
       " RETURNING bytes_down, bytes_up, bytes_up_in_cell,"
       " (extract(epoch from opened_at) * 1000)::bigint, (extract(epoch from closed_at) * "
       "1000)::bigint, coalesce(extract(epoch from token_expires_at)::bigint, 0),"
       " unreported_bytes_down, unreported_bytes_up"},
      // Usage goes to the open session's totals only. What it gathers for its next record is
      // the totals less queued_*; a session that had nothing gathered gets its marker (record 0).
      {"tracker_add_usage",
       "WITH u AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(id, up, down)),"
       " s AS (UPDATE tracker.session s SET bytes_up = s.bytes_up + u.up,"
       " bytes_down = s.bytes_down + u.down FROM u"
       " WHERE s.session_id = u.id AND s.closed_at IS NULL"
       " RETURNING s.session_id, NOT s.operator_seed AND (u.up <> 0 OR u.down <> 0)"
       " AND s.bytes_up - u.up = s.queued_up AND s.bytes_down - u.down = s.queued_down AS starts)"
       " , o AS (INSERT INTO tracker.usage_outbox (session_id, bytes_up, bytes_down)"
       " SELECT session_id, 0, 0 FROM s WHERE starts"
       " ON CONFLICT (session_id) WHERE record_number = 0 DO NOTHING)"
       // Sessions that took nothing: closed (maybe by another replica) or unknown.
       " SELECT id FROM u WHERE id NOT IN (SELECT session_id FROM s)"},
      // Cuts records from marked sessions: the totals less queued_*, numbered 2, 3, ... (record 0
      // is sip-edge's START, 1 its STOP), one at a time per session: a session whose record is
      // still on its way gathers on behind it, so the outbox holds at most two rows a session
      // however long charging is away. Sessions and markers another transaction holds (a close,
      // a flush, another replica's numbering) wait for the next round.
      {"tracker_outbox_number",
       "WITH picked AS (SELECT s.session_id, g.id, s.bytes_up - s.queued_up AS up,"
       " s.bytes_down - s.queued_down AS down"
       " FROM tracker.usage_outbox g JOIN tracker.session s USING (session_id)"
       " WHERE g.record_number = 0 AND s.closed_at IS NULL AND NOT s.operator_seed"
       " AND NOT EXISTS (SELECT 1 FROM tracker.usage_outbox r"
       " WHERE r.session_id = g.session_id AND r.record_number > 0)"
       " ORDER BY g.id LIMIT $1 FOR UPDATE OF g, s SKIP LOCKED),"
       " bumped AS (UPDATE tracker.session s SET interim_records = s.interim_records + 1,"
       " queued_up = s.bytes_up, queued_down = s.bytes_down"
       " FROM picked p WHERE s.session_id = p.session_id AND (p.up <> 0 OR p.down <> 0)"
       " RETURNING s.session_id, s.interim_records),"
       " idle AS (DELETE FROM tracker.usage_outbox o USING picked p"
       " WHERE o.id = p.id AND p.up = 0 AND p.down = 0)"
       " UPDATE tracker.usage_outbox o SET record_number = 1 + b.interim_records,"
       " bytes_up = p.up, bytes_down = p.down"
       " FROM picked p JOIN bumped b USING (session_id) WHERE o.id = p.id"},
      {"tracker_outbox_attempted",
       "SELECT o.id, o.session_id, o.record_number, o.bytes_up, o.bytes_down,"
       " (extract(epoch from o.metered_at) * 1000)::bigint, s.subject, s.locality,"
       " coalesce(c.content_id, '') FROM tracker.usage_outbox o"
       " JOIN tracker.session s USING (session_id)"
       " LEFT JOIN tracker.content c ON c.info_hash = s.info_hash"
       " WHERE o.record_number > 0 AND ($2 = '' OR o.session_id = $2)"
       " ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED"},
      {"tracker_outbox_delete", "DELETE FROM tracker.usage_outbox WHERE id = ANY($1::bigint[])"},
      // At close: holds the session row first (the order the flush and numbering take), then
      // waits for a delivery holding the session's records.
      {"tracker_session_lock",
       "SELECT closed_at IS NULL FROM tracker.session WHERE session_id = $1 FOR UPDATE"},
      // Open sessions whose token expired more than $1 seconds ago (operator seeds renew theirs).
      {"tracker_expired_open_sessions",
       "SELECT session_id FROM tracker.session WHERE closed_at IS NULL AND NOT operator_seed"
       " AND token_expires_at < now() - make_interval(secs => $1) ORDER BY token_expires_at"
       " LIMIT $2"},
      {"tracker_outbox_lock_session",
       "SELECT id FROM tracker.usage_outbox WHERE session_id = $1 FOR UPDATE"},
      {"tracker_outbox_drop_marker",
       "DELETE FROM tracker.usage_outbox WHERE session_id = $1 AND record_number = 0"},
      {"tracker_outbox_depth", "SELECT count(*) FROM tracker.usage_outbox"},
      {"tracker_upsert_presence",
       "INSERT INTO tracker.presence (subject, locality, verified, expires_at)"
       " VALUES ($1, $2, $3, now() + make_interval(secs => $4))"
       " ON CONFLICT (subject) DO UPDATE SET locality = EXCLUDED.locality,"
       " verified = EXCLUDED.verified, expires_at = EXCLUDED.expires_at"},
      {"tracker_delete_presence", "DELETE FROM tracker.presence WHERE subject = $1"},
      {"tracker_swarm_stats",
       "SELECT count(*) FILTER (WHERE closed_at IS NULL), coalesce(sum(bytes_down), 0)::bigint,"
       " coalesce(sum(bytes_up), 0)::bigint FROM tracker.session WHERE info_hash = decode($1, "
       "'hex')"},
  };
  all.emplace_back(
      "tracker_session_progress",
      "SELECT s.session_id, s.subject, c.content_id, c.size_bytes, s.bytes_down, s.bytes_up,"
      " s.closed_at IS NOT NULL, coalesce(s.close_cause, ''), encode(c.info_hash, 'hex'),"
      " coalesce(s.cc_ended, '') FROM tracker.session s JOIN tracker.content c"
      " ON c.info_hash = s.info_hash OR c.info_hash_v2_truncated = s.info_hash"
      " WHERE s.session_id = ANY($1::text[])");
  for (auto& s : CreditStore::Statements()) all.push_back(std::move(s));
  return all;
}

absl::Status TrackerStore::IndexContent(const v1::IndexedContent& c) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_prepared("tracker_index_content", c.content_id(), Hex(c.info_hash()),
                     Hex(c.info_hash_v2_truncated()), c.name(), c.size_bytes(), Hex(c.metainfo()));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<v1::IndexedContent>> TrackerStore::FindContent(
    const std::string& content_id, const std::string& info_hash) {
  if (content_id.empty()) {
    absl::MutexLock lock(&content_mu_);
    if (auto it = content_by_hash_.find(info_hash); it != content_by_hash_.end()) {
      return std::optional<v1::IndexedContent>(*it->second);
    }
  }
  std::optional<v1::IndexedContent> found;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = content_id.empty()
                         ? tx.exec_prepared("tracker_find_content_by_hash", Hex(info_hash))
                         : tx.exec_prepared("tracker_find_content_by_id", content_id);
    if (!r.empty()) found = ReadContent(r[0], true);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (content_id.empty() && found) {
    absl::MutexLock lock(&content_mu_);
    if (content_by_hash_.size() >= kMaxCachedContent) content_by_hash_.clear();  // bounded
    content_by_hash_.emplace(info_hash, std::make_shared<const v1::IndexedContent>(*found));
  }
  return found;
}

absl::StatusOr<std::vector<v1::IndexedContent>> TrackerStore::ListContent(const std::string& after,
                                                                          int limit) {
  std::vector<v1::IndexedContent> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    for (const auto& row : tx.exec_prepared("tracker_list_content", after, limit)) {
      out.push_back(ReadContent(row, false));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::string> TrackerStore::OpenSession(const SessionOpening& o) {
  std::string key;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_prepared("tracker_open_session", o.session_id, o.token_id, Hex(o.info_hash), o.subject,
                     o.locality, static_cast<double>(o.token_expires_at), o.announce_key, o.token,
                     o.operator_seed);
    // Opening again is a retransmission only if it is the same session.
    pqxx::row r = tx.exec_prepared1("tracker_find_session", o.session_id);
    if (r[0].as<std::string>() != Hex(o.info_hash) || r[1].as<std::string>() != o.subject) {
      return absl::AlreadyExistsError("session id is in use by another subscriber or content");
    }
    if (r[2].as<bool>()) return absl::FailedPreconditionError("session is closed");
    key = r[3].as<std::string>();
    if (o.credit != nullptr) CreditStore::BeginIn(tx, o.session_id, *o.credit);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return key;
}

absl::StatusOr<std::optional<std::string>> TrackerStore::TokenByAnnounceKey(
    const std::string& key) {
  std::optional<std::string> token;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared("tracker_token_by_key", key);
    if (!r.empty()) token = r[0][0].as<std::string>();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return token;
}

absl::StatusOr<std::string> TrackerStore::UdpConnectionKey() {
  std::string key;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    key = Unhex(tx.exec_prepared1("tracker_udp_connection_key")[0].as<std::string>()).value_or("");
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return key;
}

absl::StatusOr<std::vector<std::string>> TrackerStore::ExpiredOpenSessions(absl::Duration grace,
                                                                          int limit) {
  std::vector<std::string> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    for (const auto& row : tx.exec_prepared("tracker_expired_open_sessions",
                                            absl::ToDoubleSeconds(grace), limit)) {
      out.push_back(row[0].as<std::string>());
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<bool> TrackerStore::SessionClosed(const std::string& session_id) {
  auto state = FindSessionState(session_id);
  if (!state.ok()) return state.status();
  return state->ended;
}

absl::StatusOr<TrackerStore::StoredSession> TrackerStore::FindSessionState(
    const std::string& session_id) {
  StoredSession out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared("tracker_session_closed", session_id);
    if (!r.empty()) {
      out.ended = r[0][0].as<bool>();
      out.bytes_up = r[0][1].as<int64_t>();
      out.bytes_down = r[0][2].as<int64_t>();
      out.credit_by_bytes = r[0][3].as<bool>();
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

namespace {

std::vector<InterimRecord> ReadInterims(const pqxx::result& rows) {
  std::vector<InterimRecord> out;
  out.reserve(rows.size());
  for (const pqxx::row& r : rows) {
    out.push_back({.id = r[0].as<int64_t>(),
                   .session_id = r[1].as<std::string>(),
                   .record_number = r[2].as<int64_t>(),
                   .bytes_up = r[3].as<int64_t>(),
                   .bytes_down = r[4].as<int64_t>(),
                   .metered_at_ms = r[5].as<int64_t>(),
                   .subject = r[6].as<std::string>(),
                   .locality = r[7].as<std::string>(),
                   .content_id = r[8].as<std::string>()});
  }
  return out;
}

// Sends `records` and deletes the rows charging took (or refused for good); the error when it
// could not be reached, or, with `all`, when it left some to send again (UNAVAILABLE for them).
absl::Status DeliverAndDelete(pqxx::work& tx, const std::vector<InterimRecord>& records,
                              const UsageSender& deliver, bool all = false) {
  auto taken = deliver(records);
  if (!taken.ok()) return taken.status();
  pg::ArrayParam ids;
  for (int64_t id : *taken) ids.Add(id);
  tx.exec_prepared("tracker_outbox_delete", ids.Take());
  if (all && taken->size() < records.size()) {
    return absl::UnavailableError("charging did not take every record yet");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::CloseSessionResponse> TrackerStore::CloseSession(
    const std::string& session_id, const std::string& cause, const UsageSender& deliver,
    int64_t* token_expires_at, bool* closed_now) {
  v1::CloseSessionResponse out;
  bool was_open = false;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    // The session row first: a flush or a numbering of it in progress finishes, later ones skip
    // it until the close is committed, and then find it closed.
    const pqxx::result locked = tx.exec_prepared("tracker_session_lock", session_id);
    if (locked.empty()) return absl::NotFoundError("no such session " + session_id);
    was_open = locked[0][0].as<bool>();
    // A delivery of this session's record in flight finishes first; one that failed is retried
    // here, so that every INTERIM reaches charging before sip-edge sends the STOP.
    tx.exec_prepared("tracker_outbox_lock_session", session_id);
    const auto pending = ReadInterims(tx.exec_prepared("tracker_outbox_attempted", 1000, session_id));
    if (!pending.empty()) {
      if (!deliver) return absl::InternalError("usage was sent to charging, which is now unset");
      // All of them, or none of this is committed: a record left behind would reach charging
      // after sip-edge's STOP, which closes the session's accounting, and be refused there.
      if (absl::Status d = DeliverAndDelete(tx, pending, deliver, /*all=*/true); !d.ok()) {
        return absl::UnavailableError(
            "this session's usage is still on its way to charging; close it again later");
      }
    }
    // What no record carried (the totals less queued) is unreported: the STOP carries it.
    pqxx::result r = tx.exec_prepared("tracker_close_session", session_id, cause);
    tx.exec_prepared("tracker_outbox_drop_marker", session_id);
    out.set_session_id(session_id);
    out.set_bytes_down(r[0][0].as<int64_t>());
    out.set_bytes_up(r[0][1].as<int64_t>());
    out.set_bytes_up_in_cell(r[0][2].as<int64_t>());
    out.set_opened_at_ms(r[0][3].as<int64_t>());
    out.set_closed_at_ms(r[0][4].as<int64_t>());
    *token_expires_at = r[0][5].as<int64_t>();
    out.set_unreported_bytes_down(r[0][6].as<int64_t>());
    out.set_unreported_bytes_up(r[0][7].as<int64_t>());
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (closed_now != nullptr) *closed_now = was_open;
  return out;
}

absl::StatusOr<int> TrackerStore::DeliverUsage(int max_records, const UsageSender& deliver) {
  absl::Status numbered = pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_prepared("tracker_outbox_number", max_records);
    return absl::OkStatus();
  });
  if (!numbered.ok()) return numbered;
  int sent = 0;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    const auto records = ReadInterims(tx.exec_prepared("tracker_outbox_attempted", max_records, ""));
    sent = static_cast<int>(records.size());
    return records.empty() ? absl::OkStatus() : DeliverAndDelete(tx, records, deliver);
  });
  if (!s.ok()) return s;
  return sent;
}

absl::StatusOr<int64_t> TrackerStore::OutboxDepth() {
  int64_t depth = 0;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    depth = tx.exec_prepared1("tracker_outbox_depth")[0].as<int64_t>();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return depth;
}

absl::StatusOr<std::vector<std::string>> TrackerStore::AddUsage(
    const std::vector<SessionUsage>& usage) {
  pg::ArrayParam ids, up, down;
  for (const SessionUsage& u : usage) {
    ids.Add(u.session_id);
    up.Add(u.bytes_up);
    down.Add(u.bytes_down);
  }
  std::vector<std::string> not_open;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    not_open.clear();
    for (const pqxx::row& r : tx.exec_prepared("tracker_add_usage", ids.Take(), up.Take(), down.Take())) {
      not_open.push_back(r[0].as<std::string>());
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return not_open;
}

absl::Status TrackerStore::SetPresence(const v1::RegisterPresenceRequest& req) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    if (req.expires_seconds() <= 0) {
      tx.exec_prepared("tracker_delete_presence", req.subject());
    } else {
      tx.exec_prepared("tracker_upsert_presence", req.subject(), req.locality(),
                       req.locality_verified(), static_cast<double>(req.expires_seconds()));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::SwarmStatsResponse> TrackerStore::SwarmStats(const std::string& info_hash) {
  v1::SwarmStatsResponse out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::row r = tx.exec_prepared1("tracker_swarm_stats", Hex(info_hash));
    out.set_info_hash(info_hash);
    out.set_open_sessions(r[0].as<int64_t>());
    out.set_bytes_down(r[1].as<int64_t>());
    out.set_bytes_up(r[2].as<int64_t>());
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<TrackerStore::Progress>> TrackerStore::SessionProgress(
    const std::vector<std::string>& session_ids) {
  std::vector<Progress> out(session_ids.size());
  absl::flat_hash_map<std::string, size_t> at;
  for (size_t i = 0; i < session_ids.size(); ++i) {
    out[i].fields.set_session_id(session_ids[i]);
    at.emplace(session_ids[i], i);
  }
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    for (const pqxx::row& r :
         tx.exec_prepared("tracker_session_progress", pg::ArrayLiteral(session_ids))) {
      auto it = at.find(r[0].as<std::string>());
      if (it == at.end()) continue;
      Progress& p = out[it->second];
      p.fields.set_found(true);
      p.fields.set_subject(r[1].as<std::string>());
      p.fields.set_content_id(r[2].as<std::string>());
      p.fields.set_size_bytes(r[3].as<int64_t>());
      p.fields.set_bytes_down(r[4].as<int64_t>());
      p.fields.set_bytes_up(r[5].as<int64_t>());
      p.fields.set_closed(r[6].as<bool>());
      p.fields.set_close_cause(r[7].as<std::string>());
      p.info_hash = Unhex(r[8].as<std::string>()).value_or("");
      p.fields.set_access_end_reason(r[9].as<std::string>());
      p.fields.set_access_ended(!p.fields.access_end_reason().empty());
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  // A duplicate id gets the first one's answer.
  for (size_t i = 0; i < session_ids.size(); ++i) {
    if (size_t first = at[session_ids[i]]; first != i) out[i] = out[first];
  }
  return out;
}

}  // namespace p2pims::tracker
