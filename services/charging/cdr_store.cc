#include "services/charging/cdr_store.h"

#include <pqxx/pqxx>

namespace p2pims::charging {

std::vector<std::pair<std::string, std::string>> CdrStore::Statements() {
  return {
      {"charging_pull_cdrs",
       "SELECT sequence, record_type, icid, served_identity, content_id, owner,"
       " (extract(epoch from start_time) * 1000)::bigint, (extract(epoch from stop_time) * "
       "1000)::bigint,"
       " duration_seconds, bytes_down, bytes_up, units, charge_minor, currency, incentive_minor,"
       " locality, cause, node_id, session_id FROM charging.cdr"
       " WHERE sequence > (SELECT coalesce(max(acked_sequence), 0) FROM charging.billing_cursor"
       " WHERE consumer = $1) ORDER BY sequence LIMIT $2"},
      // The cursor only moves forward and never past the last CDR written.
      {"charging_ack_cdrs",
       "INSERT INTO charging.billing_cursor (consumer, acked_sequence)"
       " VALUES ($1, greatest(0, least($2, (SELECT coalesce(max(sequence), 0) FROM charging.cdr))))"
       " ON CONFLICT (consumer) DO UPDATE SET acked_sequence ="
       " greatest(charging.billing_cursor.acked_sequence, EXCLUDED.acked_sequence)"
       " RETURNING acked_sequence"},
  };
}

absl::StatusOr<v1::PullCdrsResponse> CdrStore::PullCdrs(const std::string& consumer,
                                                             int limit) {
  v1::PullCdrsResponse out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    for (const auto& row : tx.exec_prepared("charging_pull_cdrs", consumer, limit)) {
      v1::Cdr* c = out.add_cdrs();
      c->set_sequence(row[0].as<int64_t>());
      c->set_record_type(row[1].as<std::string>());
      c->set_icid(row[2].as<std::string>());
      c->set_served_identity(row[3].as<std::string>());
      c->set_content_id(row[4].as<std::string>());
      c->set_owner(row[5].as<std::string>());
      c->set_start_time_ms(row[6].as<int64_t>());
      c->set_stop_time_ms(row[7].as<int64_t>());
      c->set_duration_seconds(row[8].as<int64_t>());
      c->set_bytes_down(row[9].as<int64_t>());
      c->set_bytes_up(row[10].as<int64_t>());
      c->set_units(row[11].as<int64_t>());
      c->mutable_charge()->set_minor(row[12].as<int64_t>());
      c->mutable_charge()->set_currency(row[13].as<std::string>());
      c->mutable_incentive()->set_minor(row[14].as<int64_t>());
      c->mutable_incentive()->set_currency(row[13].as<std::string>());
      c->set_locality(row[15].as<std::string>());
      c->set_cause(row[16].as<std::string>());
      c->set_node_id(row[17].as<std::string>());
      c->set_session_id(row[18].as<std::string>());
      out.set_last_sequence(c->sequence());
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<int64_t> CdrStore::AckCdrs(const std::string& consumer, int64_t up_to) {
  int64_t cursor = 0;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    cursor = tx.exec_prepared1("charging_ack_cdrs", consumer, up_to)[0].as<int64_t>();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return cursor;
}

}  // namespace p2pims::charging
