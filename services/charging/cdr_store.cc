#include "services/charging/cdr_store.h"

#include <algorithm>
#include <charconv>
#include <pqxx/pqxx>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace p2pims::charging {
namespace {

// The columns ReadCdr reads, in its order. Times are Unix milliseconds.
constexpr char kCdrColumns[] =
    "sequence, record_type, icid, served_identity, content_id, owner,"
    " (date_part('epoch', start_time) * 1000)::bigint,"
    " (date_part('epoch', stop_time) * 1000)::bigint, duration_seconds, bytes_down, bytes_up,"
    " units, charge_minor, currency, incentive_minor, locality, cause, node_id, session_id,"
    " sip_method, node_address, called_party,"
    " coalesce((date_part('epoch', record_opening_time) * 1000)::bigint, 0),"
    " (date_part('epoch', record_closure_time) * 1000)::bigint, cause_for_record_closing,"
    " incomplete, access_network_info, price_model, rated_price_minor, tariff_id,"
    " bytes_up_credited, bytes_up_over_claimed, owner_share_bp, owner_share_minor";

// Decimal text of an integer column (never NULL) without allocating.
int64_t Int(const pqxx::field& f) {
  int64_t v = 0;
  const char* s = f.c_str();
  std::from_chars(s, s + f.size(), v);
  return v;
}

v1::CauseForRecordClosing Cause(const pqxx::field& f) {
  const std::string_view s(f.c_str(), f.size());
  if (s == "normal_release") return v1::CAUSE_FOR_RECORD_CLOSING_NORMAL_RELEASE;
  if (s == "unsuccessful_service_delivery") {
    return v1::CAUSE_FOR_RECORD_CLOSING_UNSUCCESSFUL_SERVICE_DELIVERY;
  }
  if (s == "time_limit") return v1::CAUSE_FOR_RECORD_CLOSING_TIME_LIMIT;
  if (s == "service_change") return v1::CAUSE_FOR_RECORD_CLOSING_SERVICE_CHANGE;
  if (s == "management_intervention") return v1::CAUSE_FOR_RECORD_CLOSING_MANAGEMENT_INTERVENTION;
  return v1::CAUSE_FOR_RECORD_CLOSING_UNSPECIFIED;
}

// Fills `c` from the kCdrColumns of `row`, which start at column `at`.
void ReadCdr(const pqxx::row& row, int at, v1::Cdr* c) {
  auto text = [&](int i) { return std::string(row[at + i].c_str(), row[at + i].size()); };
  auto num = [&](int i) { return Int(row[at + i]); };
  c->set_sequence(num(0));
  c->set_local_record_sequence_number(c->sequence());
  c->set_record_type(text(1));
  c->set_icid(text(2));
  c->set_served_identity(text(3));
  c->set_content_id(text(4));
  c->set_owner(text(5));
  c->set_start_time_ms(num(6));
  c->set_stop_time_ms(num(7));
  c->set_duration_seconds(num(8));
  c->set_bytes_down(num(9));
  c->set_bytes_up(num(10));
  c->set_units(num(11));
  const std::string currency = text(13);
  c->mutable_charge()->set_minor(num(12));
  c->mutable_charge()->set_currency(currency);
  c->mutable_incentive()->set_minor(num(14));
  c->mutable_incentive()->set_currency(currency);
  c->set_locality(text(15));
  c->set_cause(text(16));
  c->set_node_id(text(17));
  c->set_session_id(text(18));
  c->set_sip_method(text(19));
  c->set_node_address(text(20));
  c->set_called_party(text(21));
  c->set_record_opening_time_ms(num(22));
  c->set_record_closure_time_ms(num(23));
  c->set_record_sequence_number(0);  // complete records only: one CDR per session
  c->set_cause_for_record_closing(Cause(row[at + 24]));
  c->set_incomplete(row[at + 25].c_str()[0] == 't');
  c->set_access_network_info(text(26));
  c->set_price_model(text(27));
  c->mutable_rated_price()->set_minor(num(28));
  c->mutable_rated_price()->set_currency(currency);
  c->set_tariff_id(text(29));
  c->set_bytes_up_credited(num(30));
  c->set_bytes_up_over_claimed(num(31));
  c->set_owner_share_bp(static_cast<int32_t>(num(32)));
  c->mutable_owner_share()->set_minor(num(33));
  c->mutable_owner_share()->set_currency(currency);
}

absl::Status CheckConsumer(const std::string& consumer) {
  if (consumer.empty()) return absl::InvalidArgumentError("consumer is required");
  if (consumer.size() > 256) return absl::InvalidArgumentError("consumer is longer than 256 bytes");
  return absl::OkStatus();
}

absl::Status CheckLimit(int limit) {
  if (limit < 1 || limit > CdrStore::kMaxPage) {
    return absl::InvalidArgumentError(
        absl::StrCat("page size must be 1..", CdrStore::kMaxPage, ", not ", limit));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> CdrStore::Statements() {
  return {
      // A pull's first statement: creates the consumer's cursor row, so that the pull statement
      // can lock it even on a first pull (a no-op index lookup once it exists), and answers
      // whether anything is newer than max(after_sequence, the cursor). The counter holds the
      // newest committed CDR (CDRs commit in sequence order), so a caught-up consumer costs one
      // row lookup and no scan of the partitions.
      {"charging_pull_check",
       "WITH created AS (INSERT INTO charging.billing_cursor (consumer) VALUES ($1)"
       " ON CONFLICT (consumer) DO NOTHING)"
       " SELECT coalesce((SELECT acked_sequence FROM charging.billing_cursor"
       " WHERE consumer = $1), 0), (SELECT last_sequence FROM charging.cdr_counter)"},
      {"charging_pull_cdrs",
       absl::StrCat(
           "WITH cur AS (SELECT acked_sequence, pulled_sequence FROM charging.billing_cursor"
           "  WHERE consumer = $1 FOR UPDATE),"
           " f AS (SELECT coalesce(max(acked_sequence), 0) AS acked,"
           "  coalesce(max(pulled_sequence), 0) AS pulled,"
           "  greatest($2::bigint, coalesce(max(acked_sequence), 0)) AS after FROM cur),"
           " b AS (SELECT f.acked, f.pulled, f.after, (SELECT max(s.sequence) FROM"
           "  (SELECT sequence FROM charging.cdr WHERE sequence > f.after ORDER BY sequence"
           "   LIMIT $3::integer) s) AS last FROM f),"
           " mark AS (UPDATE charging.billing_cursor SET pulled_sequence = b.last FROM b"
           "  WHERE consumer = $1 AND b.last > b.pulled)"
           " SELECT (SELECT acked FROM b), (SELECT pulled FROM b), ",
           kCdrColumns,
           " FROM charging.cdr WHERE sequence > (SELECT after FROM b)"
           " AND sequence <= (SELECT last FROM b) ORDER BY sequence")},
      {"charging_cursor",
       "SELECT acked_sequence, pulled_sequence FROM charging.billing_cursor WHERE consumer = $1"
       " FOR UPDATE"},
      {"charging_ack_cdrs",
       "UPDATE charging.billing_cursor SET acked_sequence = $2 WHERE consumer = $1"},
      {"charging_last_cdr", "SELECT last_sequence FROM charging.cdr_counter"},
      {"charging_read_cdrs",
       absl::StrCat("SELECT ", kCdrColumns, " FROM charging.cdr WHERE sequence > $1::bigint",
                    " ORDER BY sequence LIMIT $2::integer")},
      {"charging_settlement",
       "SELECT owner, currency, count(*), count(*) FILTER (WHERE record_type = 'session'),"
       " coalesce(sum(bytes_down), 0)::bigint, coalesce(sum(bytes_up), 0)::bigint,"
       " coalesce(sum(charge_minor), 0)::bigint, coalesce(sum(owner_share_minor), 0)::bigint,"
       " coalesce(sum(incentive_minor), 0)::bigint FROM charging.cdr"
       " WHERE record_closure_time >= to_timestamp($2::bigint)"
       " AND record_closure_time < to_timestamp($3::bigint)"
       " AND ($1::text = '' OR owner = $1::text)"
       " GROUP BY owner, currency ORDER BY owner COLLATE \"C\", currency COLLATE \"C\""},
      {"charging_ensure_cdr_partitions",
       "SELECT charging.ensure_cdr_partitions((now() AT TIME ZONE 'UTC')::date, $1::integer)"},
  };
}

absl::StatusOr<v1::PullCdrsResponse> CdrStore::PullCdrs(const std::string& consumer,
                                                        int64_t after_sequence, int limit) {
  if (absl::Status s = CheckConsumer(consumer); !s.ok()) return s;
  if (absl::Status s = CheckLimit(limit); !s.ok()) return s;
  if (after_sequence < 0) return absl::InvalidArgumentError("after_sequence must not be negative");
  v1::PullCdrsResponse out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    const pqxx::row check = tx.exec_prepared1("charging_pull_check", consumer);
    const int64_t acked = Int(check[0]);
    out.set_acked_sequence(acked);
    if (Int(check[1]) <= std::max(after_sequence, acked)) return absl::OkStatus();  // caught up
    const pqxx::result rows =
        tx.exec_prepared("charging_pull_cdrs", consumer, after_sequence, limit);
    if (rows.empty()) {
      out.set_acked_sequence(Int(tx.exec_prepared1("charging_cursor", consumer)[0]));
      return absl::OkStatus();
    }
    out.set_acked_sequence(Int(rows[0][0]));
    const int64_t pulled_before = Int(rows[0][1]);
    out.mutable_cdrs()->Reserve(static_cast<int>(rows.size()));
    for (const auto& row : rows) {
      v1::Cdr* c = out.add_cdrs();
      ReadCdr(row, 2, c);
      c->set_retransmission(c->sequence() <= pulled_before);
    }
    out.set_last_sequence(out.cdrs(out.cdrs_size() - 1).sequence());
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<int64_t> CdrStore::AckCdrs(const std::string& consumer, int64_t up_to) {
  if (absl::Status s = CheckConsumer(consumer); !s.ok()) return s;
  if (up_to < 0) return absl::InvalidArgumentError("up_to_sequence must not be negative");
  int64_t acked = 0;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    const pqxx::result cur = tx.exec_prepared("charging_cursor", consumer);
    if (cur.empty()) {
      return absl::NotFoundError(absl::StrCat("consumer ", consumer, " has pulled nothing yet"));
    }
    acked = Int(cur[0][0]);
    const int64_t pulled = Int(cur[0][1]);
    if (up_to > pulled) {
      return absl::FailedPreconditionError(
          absl::StrCat("up_to_sequence ", up_to, " is past what consumer ", consumer,
                       " has pulled (", pulled, "); nothing acknowledged"));
    }
    if (up_to > acked) {
      tx.exec_prepared0("charging_ack_cdrs", consumer, up_to);
      acked = up_to;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return acked;
}

absl::StatusOr<std::vector<v1::Cdr>> CdrStore::ReadCdrs(int64_t after_sequence, int limit) {
  if (absl::Status s = CheckLimit(limit); !s.ok()) return s;
  if (after_sequence < 0) return absl::InvalidArgumentError("after_sequence must not be negative");
  std::vector<v1::Cdr> out;
  absl::Status s = pool_.WithReadOnly([&](pqxx::nontransaction& tx) {
    out.clear();  // fn runs again on a fresh connection when the first one was broken
    if (Int(tx.exec_prepared1("charging_last_cdr")[0]) <= after_sequence) return absl::OkStatus();
    const pqxx::result rows = tx.exec_prepared("charging_read_cdrs", after_sequence, limit);
    out.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) ReadCdr(rows[i], 0, &out[i]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::GetSettlementResponse> CdrStore::Settlement(const std::string& owner,
                                                               int64_t from_time, int64_t to_time) {
  if (from_time < 0) return absl::InvalidArgumentError("from_time must not be negative");
  if (to_time <= from_time) return absl::InvalidArgumentError("to_time must be after from_time");
  v1::GetSettlementResponse out;
  absl::Status s = pool_.WithReadOnly([&](pqxx::nontransaction& tx) {
    out.Clear();
    for (const auto& row : tx.exec_prepared("charging_settlement", owner, from_time, to_time)) {
      v1::Settlement* st = out.add_settlements();
      const std::string currency = row[1].as<std::string>();
      const int64_t gross = Int(row[6]), owner_share = Int(row[7]);
      st->set_owner(row[0].as<std::string>());
      st->set_cdr_count(Int(row[2]));
      st->set_sessions(Int(row[3]));
      st->set_bytes_down(Int(row[4]));
      st->set_bytes_up(Int(row[5]));
      st->mutable_gross()->set_minor(gross);
      st->mutable_owner_share()->set_minor(owner_share);
      st->mutable_operator_share()->set_minor(gross - owner_share);
      st->mutable_incentive_cost()->set_minor(Int(row[8]));
      for (v1::Money* m : {st->mutable_gross(), st->mutable_owner_share(),
                           st->mutable_operator_share(), st->mutable_incentive_cost()}) {
        m->set_currency(currency);
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<int> CdrStore::EnsurePartitions(int days_ahead) {
  if (days_ahead < 0 || days_ahead > 366) {
    return absl::InvalidArgumentError("days_ahead must be 0..366");
  }
  int created = 0;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    created = static_cast<int>(
        Int(tx.exec_prepared1("charging_ensure_cdr_partitions", days_ahead + 1)[0]));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return created;
}

}  // namespace p2pims::charging
