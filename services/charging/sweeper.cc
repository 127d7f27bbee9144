// Sessions that never end on their own: a credit-controlled session whose client stopped
// updating before its reservation's validity ran out, or an accounting session whose STOP never
// came. The sweeper settles each into its CDR with cause time limit and the incomplete flag.
#include "absl/strings/str_cat.h"
#include "services/charging/store.h"

namespace p2pims::charging {

absl::StatusOr<int> ChargingStore::SweepExpired(int limit) {
  int closed = 0;
  std::vector<std::string> expired, silent;
  absl::Status listed = pool_.WithReadOnly([&](pqxx::nontransaction& tx) {
    for (const auto& row : tx.exec_prepared("charging_expired_sessions", limit)) {
      expired.push_back(row[0].as<std::string>());
    }
    for (const auto& row : tx.exec_prepared("charging_silent_accounting",
                                            absl::ToInt64Seconds(options_.accounting_timeout),
                                            limit)) {
      silent.push_back(row[0].as<std::string>());
    }
    return absl::OkStatus();
  });
  if (!listed.ok()) return listed;

  for (const std::string& id : expired) {
    absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
      tx.exec_prepared("charging_lock_acct", id);  // no STOP may race the closing CDR
      pqxx::result locked = tx.exec_prepared("charging_lock_expired", id);
      if (locked.empty()) return absl::OkStatus();  // ended or extended meanwhile
      SessionRow session = ReadSession(locked[0]);
      std::string note;
      Settle(tx, session, "timeout", /*incomplete=*/true, &note);
      ++closed;
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  }

  for (const std::string& id : silent) {
    absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
      tx.exec_prepared("charging_lock_acct", id);
      if (!tx.exec_prepared("charging_find_stop", id).empty()) return absl::OkStatus();
      pqxx::result cc = tx.exec_prepared("charging_lock_session", id);
      if (!cc.empty() && ReadSession(cc[0]).state != "not_applicable") return absl::OkStatus();
      // The STOP that never came, as the last record describes it.
      pqxx::row last = tx.exec_prepared1("charging_acct_last", id);
      v1::AccountingRequest stop;
      stop.set_session_id(id);
      stop.set_subject(last[0].as<std::string>());
      stop.set_record_number(last[1].as<int64_t>());
      stop.set_record_type(v1::RECORD_TYPE_STOP);
      stop.set_event_time_ms(last[2].as<int64_t>());
      stop.set_locality(last[3].as<std::string>());
      stop.set_node_id(last[4].as<std::string>());
      stop.set_called_party(last[5].as<std::string>());
      stop.set_access_network_info(last[6].as<std::string>());
      stop.set_cause("timeout");
      CdrRow cdr = AccountingCdr(stop, tx.exec_prepared1("charging_acct_totals", id));
      cdr.incomplete = true;
      const int64_t sequence = WriteCdr(tx, cdr);
      if (!cc.empty()) {
        tx.exec_prepared("charging_close_session", id, ReadSession(cc[0]).last_request_number, 0,
                         "timeout", sequence);
      }
      tx.exec_prepared("charging_store_acct", id, stop.record_number(), "stop", sequence,
                       stop.subject(), cdr.icid, cdr.content_id, cdr.locality, cdr.node_id,
                       cdr.called_party, cdr.access_network_info, 0, 0);
      ++closed;
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  }
  return closed;
}

std::vector<std::pair<std::string, std::string>> SweeperStatements() {
  return {
      {"charging_expired_sessions",
       "SELECT session_id FROM charging.cc_session WHERE state = 'open' AND expires_at < now()"
       " ORDER BY expires_at LIMIT $1"},
      {"charging_lock_expired",
       std::string("SELECT ") + kSessionColumns +
           " FROM charging.cc_session WHERE session_id = $1 AND state = 'open'"
           " AND expires_at < now() FOR UPDATE SKIP LOCKED"},
      // Accounting sessions without STOP whose last record is older than the timeout, except
      // credit-controlled ones (the reservation's expiry governs those).
      {"charging_silent_accounting",
       "SELECT a.session_id FROM charging.acct_record a"
       " LEFT JOIN charging.cc_session s ON s.session_id = a.session_id"
       " WHERE s.state IS NULL OR s.state = 'not_applicable'"
       " GROUP BY a.session_id HAVING bool_and(a.record_type NOT IN ('stop', 'event'))"
       " AND max(a.at) < now() - make_interval(secs => $1) LIMIT $2"},
      // Subject, next record number, last record time and where it was.
      {"charging_acct_last",
       "SELECT max(subject), max(record_number) + 1,"
       " (extract(epoch from max(at)) * 1000)::bigint, max(locality), max(node_id),"
       " max(called_party), max(access_network_info)"
       " FROM charging.acct_record WHERE session_id = $1"},
  };
}

}  // namespace p2pims::charging
