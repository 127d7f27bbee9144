#include "services/charging/cdr_store.h"

#include <endian.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"

namespace p2pims::charging {
namespace {

// The columns ReadCdr reads, in its order, as text: times are computed as Unix milliseconds.
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

// The same columns for a binary cursor: times stay timestamptz (BinaryColumn::Ms converts them
// as the expressions above do), so PostgreSQL neither computes nor formats anything.
constexpr char kCdrColumnsBinary[] =
    "sequence, record_type, icid, served_identity, content_id, owner, start_time, stop_time,"
    " duration_seconds, bytes_down, bytes_up, units, charge_minor, currency, incentive_minor,"
    " locality, cause, node_id, session_id, sip_method, node_address, called_party,"
    " record_opening_time, record_closure_time, cause_for_record_closing, incomplete,"
    " access_network_info, price_model, rated_price_minor, tariff_id, bytes_up_credited,"
    " bytes_up_over_claimed, owner_share_bp, owner_share_minor";

// Decimal text of an integer column (never NULL) without allocating.
int64_t Int(const pqxx::field& f) {
  int64_t v = 0;
  const char* s = f.c_str();
  std::from_chars(s, s + f.size(), v);
  return v;
}

// Reads kCdrColumns (text format).
struct TextColumn {
  static int64_t Int(const pqxx::field& f) { return charging::Int(f); }
  static int64_t Ms(const pqxx::field& f) { return charging::Int(f); }
  static bool Bool(const pqxx::field& f) { return f.c_str()[0] == 't'; }
};

// Reads kCdrColumnsBinary (binary format: big-endian integers, timestamptz as microseconds since
// 2000-01-01 UTC, bool as one byte).
struct BinaryColumn {
  static int64_t Int(const pqxx::field& f) {
    const char* p = f.c_str();
    switch (f.size()) {
      case 8: {
        uint64_t v;
        std::memcpy(&v, p, sizeof v);
        return static_cast<int64_t>(be64toh(v));
      }
      case 4: {
        uint32_t v;
        std::memcpy(&v, p, sizeof v);
        return static_cast<int32_t>(be32toh(v));
      }
      default:
        return 0;  // NULL
    }
  }
  // The Unix milliseconds `(date_part('epoch', t) * 1000)::bigint` gives, by the same double
  // arithmetic (date_part divides the microseconds by 1e6, the cast rounds half to even); 0 for
  // NULL, as coalesce makes it.
  static int64_t Ms(const pqxx::field& f) {
    if (f.is_null()) return 0;
    constexpr int64_t kUnixToPgEpochMicros = 946'684'800'000'000;
    const double seconds = static_cast<double>(Int(f) + kUnixToPgEpochMicros) / 1000000.0;
    return static_cast<int64_t>(std::nearbyint(seconds * 1000));
  }
  static bool Bool(const pqxx::field& f) { return f.size() == 1 && f.c_str()[0] != 0; }
};

// Reads a row's columns one after the other. The iterator is itself the current field, so no
// pqxx::field (two shared_ptr copies) is made per column.
template <typename Column>
class Columns {
 public:
  explicit Columns(const pqxx::row& row) : col_(row.begin()) {}

  int64_t Int() { return Take(Column::Int); }
  int64_t Ms() { return Take(Column::Ms); }
  bool Bool() { return Take(Column::Bool); }
  std::string_view Str() {  // valid as long as the result
    return Take([](const pqxx::field& f) { return std::string_view(f.c_str(), f.size()); });
  }

 private:
  template <typename Read>
  auto Take(Read read) {
    auto value = read(static_cast<const pqxx::field&>(col_));
    ++col_;
    return value;
  }

  pqxx::row::const_iterator col_;
};

// Copies a text column into a string field. An empty column leaves the field unset, which is
// the same on the wire and spares the allocation of an empty string.
void SetText(std::string_view value, std::string* (v1::Cdr::*field)(), v1::Cdr* c) {
  if (!value.empty()) (c->*field)()->assign(value.data(), value.size());
}

void SetMoney(v1::Money* m, int64_t minor, std::string_view currency) {
  m->set_minor(minor);
  m->set_currency(currency.data(), currency.size());
}

v1::CauseForRecordClosing Cause(std::string_view s) {
  if (s == "normal_release") return v1::CAUSE_FOR_RECORD_CLOSING_NORMAL_RELEASE;
  if (s == "unsuccessful_service_delivery") {
    return v1::CAUSE_FOR_RECORD_CLOSING_UNSUCCESSFUL_SERVICE_DELIVERY;
  }
  if (s == "time_limit") return v1::CAUSE_FOR_RECORD_CLOSING_TIME_LIMIT;
  if (s == "service_change") return v1::CAUSE_FOR_RECORD_CLOSING_SERVICE_CHANGE;
  if (s == "management_intervention") return v1::CAUSE_FOR_RECORD_CLOSING_MANAGEMENT_INTERVENTION;
  return v1::CAUSE_FOR_RECORD_CLOSING_UNSPECIFIED;
}

// Fills `c` from the columns of `row` (kCdrColumns or kCdrColumnsBinary, read by Column), in
// their order. Copies each value once, straight from the result (this is the pull's hot loop).
template <typename Column>
void ReadCdr(const pqxx::row& row, v1::Cdr* c) {
  Columns<Column> in(row);
  c->set_sequence(in.Int());
  c->set_local_record_sequence_number(c->sequence());
  SetText(in.Str(), &v1::Cdr::mutable_record_type, c);
  SetText(in.Str(), &v1::Cdr::mutable_icid, c);
  SetText(in.Str(), &v1::Cdr::mutable_served_identity, c);
  SetText(in.Str(), &v1::Cdr::mutable_content_id, c);
  SetText(in.Str(), &v1::Cdr::mutable_owner, c);
  c->set_start_time_ms(in.Ms());
  c->set_stop_time_ms(in.Ms());
  c->set_duration_seconds(in.Int());
  c->set_bytes_down(in.Int());
  c->set_bytes_up(in.Int());
  c->set_units(in.Int());
  const int64_t charge = in.Int();
  const std::string_view currency = in.Str();
  SetMoney(c->mutable_charge(), charge, currency);
  SetMoney(c->mutable_incentive(), in.Int(), currency);
  SetText(in.Str(), &v1::Cdr::mutable_locality, c);
  SetText(in.Str(), &v1::Cdr::mutable_cause, c);
  SetText(in.Str(), &v1::Cdr::mutable_node_id, c);
  SetText(in.Str(), &v1::Cdr::mutable_session_id, c);
  SetText(in.Str(), &v1::Cdr::mutable_sip_method, c);
  SetText(in.Str(), &v1::Cdr::mutable_node_address, c);
  SetText(in.Str(), &v1::Cdr::mutable_called_party, c);
  c->set_record_opening_time_ms(in.Ms());
  c->set_record_closure_time_ms(in.Ms());
  c->set_record_sequence_number(0);  // complete records only: one CDR per session
  c->set_cause_for_record_closing(Cause(in.Str()));
  c->set_incomplete(in.Bool());
  SetText(in.Str(), &v1::Cdr::mutable_access_network_info, c);
  SetText(in.Str(), &v1::Cdr::mutable_price_model, c);
  SetMoney(c->mutable_rated_price(), in.Int(), currency);
  SetText(in.Str(), &v1::Cdr::mutable_tariff_id, c);
  c->set_bytes_up_credited(in.Int());
  c->set_bytes_up_over_claimed(in.Int());
  c->set_owner_share_bp(static_cast<int32_t>(in.Int()));
  SetMoney(c->mutable_owner_share(), in.Int(), currency);
}

// CDRs a pull fetches at a time: small enough that turning the first chunk into CDRs starts
// soon after the page's statement does, large enough that a FETCH's own cost does not count.
constexpr int kPageChunk = 500;

// The CDRs with after < sequence <= last (at most `most` of them), in order, through a binary
// cursor read in chunks whose FETCHes are all sent at once: this thread turns one chunk into
// CDRs while PostgreSQL produces the next, and no result ever holds the whole page.
void ReadPage(pqxx::work& tx, int64_t after, int64_t last, int64_t most,
              google::protobuf::RepeatedPtrField<v1::Cdr>* cdrs) {
  cdrs->Reserve(static_cast<int>(most));
  // Both bounds are numbers, so the planner sees the page's exact range.
  tx.exec0(absl::StrCat("DECLARE charging_pull BINARY NO SCROLL CURSOR FOR SELECT ",
                        kCdrColumnsBinary, " FROM charging.cdr WHERE sequence > ", after,
                        " AND sequence <= ", last, " ORDER BY sequence"));
  const int chunks = static_cast<int>((most + kPageChunk - 1) / kPageChunk);
  pqxx::pipeline fetches(tx);
  fetches.retain(chunks);
  std::vector<pqxx::pipeline::query_id> ids;
  ids.reserve(chunks);
  for (int64_t left = most; left > 0; left -= kPageChunk) {  // never more than `most` in all
    ids.push_back(fetches.insert(
        absl::StrCat("FETCH ", std::min<int64_t>(left, kPageChunk), " FROM charging_pull")));
  }
  fetches.resume();
  for (pqxx::pipeline::query_id id : ids) {
    const pqxx::result rows = fetches.retrieve(id);
    for (const auto& row : rows) ReadCdr<BinaryColumn>(row, cdrs->Add());
  }
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
      // A page's bounds, and its mark: locks the consumer's cursor until the pull commits (pulls
      // of one consumer take turns), finds the page's last sequence by a narrow index-only scan
      // and raises the pulled mark to it. Answers the cursor, the mark as it was, the page's
      // lower bound and its last sequence (NULL when nothing is newer).
      {"charging_pull_mark",
       "WITH cur AS (SELECT acked_sequence, pulled_sequence,"
       "  greatest($2::bigint, acked_sequence) AS after FROM charging.billing_cursor"
       "  WHERE consumer = $1 FOR UPDATE),"
       " b AS (SELECT cur.*, (SELECT max(s.sequence) FROM (SELECT sequence FROM charging.cdr"
       "  WHERE sequence > cur.after ORDER BY sequence LIMIT $3::integer) s) AS last FROM cur),"
       " mark AS (UPDATE charging.billing_cursor SET pulled_sequence = b.last FROM b"
       "  WHERE consumer = $1 AND b.last > b.pulled_sequence)"
       " SELECT acked_sequence, pulled_sequence, after, last FROM b"},
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
    const pqxx::result mark =
        tx.exec_prepared("charging_pull_mark", consumer, after_sequence, limit);
    if (mark.empty()) return absl::OkStatus();
    out.set_acked_sequence(Int(mark[0][0]));  // as it is now that the cursor is locked
    if (mark[0][3].is_null()) return absl::OkStatus();  // nothing newer after all
    const int64_t pulled_before = Int(mark[0][1]);
    const int64_t after = Int(mark[0][2]);
    const int64_t last = Int(mark[0][3]);
    ReadPage(tx, after, last, std::min<int64_t>(limit, last - after), out.mutable_cdrs());
    for (v1::Cdr& c : *out.mutable_cdrs()) c.set_retransmission(c.sequence() <= pulled_before);
    if (out.cdrs_size() > 0) out.set_last_sequence(out.cdrs(out.cdrs_size() - 1).sequence());
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
    for (size_t i = 0; i < rows.size(); ++i) ReadCdr<TextColumn>(rows[i], &out[i]);
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
