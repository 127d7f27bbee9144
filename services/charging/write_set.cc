#include "services/charging/write_set.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "lib/pg/array.h"

namespace p2pims::charging {
namespace {

// N array parameters filled row by row, in column order.
template <size_t N>
struct Columns {
  std::array<pg::ArrayParam, N> col;
  size_t i = 0;
  template <typename T>
  Columns& operator<<(const T& v) {
    col[i++ % N].Add(v);
    return *this;
  }
  std::array<std::string, N> Take() {
    std::array<std::string, N> out;
    for (size_t k = 0; k < N; ++k) out[k] = col[k].Take();
    return out;
  }
};

// The answers of `e` its row lacks, and from now on has.
std::map<int64_t, std::string> NewAnswers(SessionEntry* e) {
  std::map<int64_t, std::string> fresh(e->answers.upper_bound(e->answers_written_through),
                                       e->answers.end());
  if (!fresh.empty()) e->answers_written_through = fresh.rbegin()->first;
  return fresh;
}

// Unix milliseconds as timestamptz, 0 as NULL.
std::string Ts(const std::string& column) {
  return absl::StrCat("to_timestamp(nullif(", column, ", 0) / 1000.0)");
}

}  // namespace

std::vector<std::pair<std::string, std::string>> WriteSet::Statements() {
  return {
      {"charging_ws_new_sessions",
       absl::StrCat(
           "INSERT INTO charging.cc_session (session_id, subject, icid, content_id, owner,"
           " price_model, currency, tariff_id, locality, node_id, access_network_info,"
           " called_party, state, close_cause, price_minor, reserved_minor, charged_minor,"
           " bytes_down, bytes_up, last_request_number, granted_bytes, bytes_up_same_cell,"
           " bytes_up_same_area, bytes_up_credited, bytes_up_over_claimed, incentive_minor,"
           " cdr_sequence, owner_share_bp, opened_at, closed_at, last_activity, expires_at,"
           " answers)"
           " SELECT id, sub, icid, cid, own, pm, cur, tar, loc, node, ani, called, st,"
           " nullif(cause, ''), price, res, chg, down, up, lrn, gb, cell, area, cred, over, inc,"
           " seq, share, coalesce(", Ts("opened"), ", now()), ", Ts("closed"), ", coalesce(",
           Ts("active"), ", now()), ", Ts("expires"), ", decode(answer, 'hex')",
           " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
           " $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
           " $13::text[], $14::text[], $15::bigint[], $16::bigint[], $17::bigint[],"
           " $18::bigint[], $19::bigint[], $20::bigint[], $21::bigint[], $22::bigint[],"
           " $23::bigint[], $24::bigint[], $25::bigint[], $26::bigint[], $27::bigint[],"
           " $28::integer[], $29::bigint[], $30::bigint[], $31::bigint[], $32::bigint[],"
           " $33::text[]) AS u(id, sub, icid, cid, own, pm, cur, tar, loc, node, ani, called, st,"
           " cause, price, res, chg, down, up, lrn, gb, cell, area, cred, over, inc, seq, share,"
           " opened, closed, active, expires, answer)")},
      // What a session's later requests change.
      {"charging_ws_sessions",
       absl::StrCat(
           "UPDATE charging.cc_session s SET state = u.st, close_cause = nullif(u.cause, ''),"
           " reserved_minor = u.res, charged_minor = u.chg, bytes_down = u.down,"
           " bytes_up = u.up, last_request_number = u.lrn, granted_bytes = u.gb,"
           " bytes_up_same_cell = u.cell, bytes_up_same_area = u.area,"
           " bytes_up_credited = u.cred, bytes_up_over_claimed = u.over, incentive_minor = u.inc,"
           " cdr_sequence = u.seq, closed_at = ", Ts("u.closed"), ", last_activity = coalesce(",
           Ts("u.active"), ", now()), expires_at = ", Ts("u.expires"),
           ", answers = coalesce(s.answers, ''::bytea) || decode(u.answer, 'hex')"
           " FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],"
           " $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[],"
           " $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[],"
           " $16::bigint[], $17::bigint[], $18::bigint[], $19::text[])"
           " AS u(id, st, cause, res, chg, down, up, lrn, gb, cell, area, cred, over, inc, seq,"
           " closed, active, expires, answer) WHERE s.session_id = u.id")},
      {"charging_ws_new_accounts",
       "INSERT INTO charging.account (subject, kind, currency, balance_minor, credit_limit_minor,"
       " incentive_minor)"
       " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],"
       " $6::bigint[])"},
      // Balances only: reservations are the open sessions' (cc_session.reserved_minor).
      {"charging_ws_accounts",
       "UPDATE charging.account a SET balance_minor = u.b, incentive_minor = u.i"
       " FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(s, b, i)"
       " WHERE a.subject = u.s"},
      {"charging_ws_ledger",
       "INSERT INTO charging.ledger (subject, amount_minor, currency, cause, session_id, actor,"
       " idempotency_key) SELECT sub, amount, cur, cause, nullif(sid, ''), actor, nullif(k, '')"
       " FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],"
       " $7::text[]) AS u(sub, amount, cur, cause, sid, actor, k)"},
      // The CDRs and each one's claim to its session (one CDR per session across partitions).
      {"charging_ws_cdrs",
       absl::StrCat(
           "WITH c AS (INSERT INTO charging.cdr (sequence, record_type, session_id, icid,"
           " served_identity, content_id, owner, start_time, stop_time, duration_seconds,"
           " bytes_down, bytes_up, units, charge_minor, currency, incentive_minor, locality,"
           " cause, node_id, sip_method, node_address, called_party, record_opening_time,"
           " record_closure_time, cause_for_record_closing, incomplete, access_network_info,"
           " price_model, rated_price_minor, tariff_id, bytes_up_credited,"
           " bytes_up_over_claimed, owner_share_bp, owner_share_minor)"
           " SELECT seq, rt, sid, icid, served, cid, own, t.start, t.stop,"
           " greatest(0, floor(extract(epoch from t.stop - t.start)))::bigint, down, up, units,"
           " chg, cur, inc, loc, cause, node, method, addr, called, t.opened, now(), closing,"
           " incomplete, ani, pm, rated, tar, cred, over, share, (chg * share) / 10000"
           " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],"
           " $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[],"
           " $12::bigint[], $13::bigint[], $14::text[], $15::bigint[], $16::text[], $17::text[],"
           " $18::text[], $19::text[], $20::text[], $21::text[], $22::bigint[], $23::text[],"
           " $24::boolean[], $25::text[], $26::text[], $27::bigint[], $28::text[],"
           " $29::bigint[], $30::bigint[], $31::integer[])"
           " AS u(seq, rt, sid, icid, served, cid, own, start_ms, stop_ms, down, up, units, chg,"
           " cur, inc, loc, cause, node, method, addr, called, opened_ms, closing, incomplete,"
           " ani, pm, rated, tar, cred, over, share)"
           " CROSS JOIN LATERAL (SELECT coalesce(", Ts("u.start_ms"), ", now()) AS start,"
           " coalesce(", Ts("u.stop_ms"), ", now()) AS stop, coalesce(", Ts("u.opened_ms"),
           ", now()) AS opened) t RETURNING session_id, sequence)"
           " INSERT INTO charging.cdr_session (session_id, sequence)"
           " SELECT session_id, sequence FROM c")},
      {"charging_ws_accounting",
       absl::StrCat(
           "INSERT INTO charging.acct_record (session_id, record_number, record_type,"
           " cdr_sequence, subject, icid, content_id, locality, node_id, called_party,"
           " access_network_info, bytes_down, bytes_up, at)"
           " SELECT sid, n, rt, seq, sub, icid, cid, loc, node, called, ani, down, up,"
           " coalesce(", Ts("at_ms"), ", now())"
           " FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[],"
           " $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],"
           " $12::bigint[], $13::bigint[], $14::bigint[])"
           " AS u(sid, n, rt, seq, sub, icid, cid, loc, node, called, ani, down, up, at_ms)")},
      {"charging_ws_pools",
       "INSERT INTO charging.incentive_pool AS p (content_id, period_start, bytes_down,"
       " bytes_up_credited, bytes_up_over_claimed)"
       " SELECT cid, to_timestamp(start), down, cred, over FROM unnest($1::text[],"
       " $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(cid, start, down, cred,"
       " over) ON CONFLICT (content_id, period_start) DO UPDATE SET"
       " bytes_down = p.bytes_down + excluded.bytes_down,"
       " bytes_up_credited = p.bytes_up_credited + excluded.bytes_up_credited,"
       " bytes_up_over_claimed = p.bytes_up_over_claimed + excluded.bytes_up_over_claimed"},
      // Moves the counter only from where this batch started: anything else numbering CDRs
      // meanwhile makes it match no row, and the batch rolls back.
      {"charging_ws_counter",
       "UPDATE charging.cdr_counter SET last_sequence = $2 WHERE last_sequence = $1"},
  };
}

void WriteSet::Touch(SessionEntry* s) {
  if (!s->dirty) sessions_.push_back(s);
  s->dirty = true;
}

void WriteSet::Touch(AccountEntry* a) {
  if (!a->dirty) accounts_.push_back(a);
  a->dirty = true;
}

void WriteSet::Touch(PoolEntry* p) {
  if (!p->dirty) pools_.push_back(p);
  p->dirty = true;
}

int64_t WriteSet::Add(CdrRow cdr) {
  cdr.sequence = ++next_sequence_;
  cdrs_.push_back(std::move(cdr));
  return next_sequence_;
}

bool WriteSet::empty() const {
  return sessions_.empty() && accounts_.empty() && pools_.empty() && ledger_.empty() &&
         cdrs_.empty() && accounting_.empty();
}

void WriteSet::Seal() {
  // Accounts first: ledger rows reference them.
  SealAccounts();
  SealLedger();
  SealSessions();
  SealCdrs();
  SealAccounting();
  SealPools();
}

absl::Status WriteSet::Write(pqxx::work& tx) const {
  for (const Statement& s : statements_) {
    tx.exec_prepared(s.name, pqxx::prepare::make_dynamic_params(s.params));
  }
  if (next_sequence_ != committed_sequence_) {
    pqxx::result moved =
        tx.exec_prepared("charging_ws_counter", committed_sequence_, next_sequence_);
    if (moved.affected_rows() != 1) {
      return absl::InternalError(absl::StrCat(
          "the CDR counter is no longer at ", committed_sequence_, ": another writer numbered CDRs"));
    }
  }
  return absl::OkStatus();
}

// The N literals as the parameters $1..$N of statement `name`.
template <size_t N>
static void Push(std::vector<WriteSet::Statement>* out, const char* name, Columns<N>& c) {
  auto taken = c.Take();
  out->push_back({name, std::vector<std::string>(taken.begin(), taken.end())});
}

void WriteSet::SealSessions() {
  Columns<33> added;
  Columns<19> changed;
  for (SessionEntry* e : sessions_) {
    e->dirty = false;
    if (!e->has_cc) continue;
    const SessionRow& s = e->cc;
    if (!e->cc_persisted) {
      added << s.session_id << s.subject << s.icid << s.content_id << s.owner << s.price_model
            << s.currency << s.tariff_id << s.locality << s.node_id << s.access_network_info
            << s.called_party << s.state << s.close_cause << s.price_minor << s.reserved_minor
            << s.charged_minor << s.bytes_down << s.bytes_up << s.last_request_number
            << s.granted_bytes << s.bytes_up_same_cell << s.bytes_up_same_area
            << s.bytes_up_credited << s.bytes_up_over_claimed << s.incentive_minor
            << s.cdr_sequence << s.owner_share_bp << s.opened_at_ms << s.closed_at_ms
            << s.last_activity_ms << s.expires_at_ms << Hex(PackAnswers(e->answers));
      e->cc_persisted = true;
      e->answers_written_through = e->answers.empty() ? -1 : e->answers.rbegin()->first;
    } else {
      changed << s.session_id << s.state << s.close_cause << s.reserved_minor << s.charged_minor
              << s.bytes_down << s.bytes_up << s.last_request_number << s.granted_bytes
              << s.bytes_up_same_cell << s.bytes_up_same_area << s.bytes_up_credited
              << s.bytes_up_over_claimed << s.incentive_minor << s.cdr_sequence << s.closed_at_ms
              << s.last_activity_ms << s.expires_at_ms << Hex(PackAnswers(NewAnswers(e)));
    }
  }
  if (added.i > 0) Push(&statements_, "charging_ws_new_sessions", added);
  if (changed.i > 0) Push(&statements_, "charging_ws_sessions", changed);
}

void WriteSet::SealAccounts() {
  Columns<6> added;
  Columns<3> changed;
  for (AccountEntry* a : accounts_) {
    a->dirty = false;
    if (!a->persisted) {
      added << a->subject << a->kind << a->currency << a->balance << a->credit_limit
            << a->incentive;
      a->persisted = true;
    } else {
      changed << a->subject << a->balance << a->incentive;
    }
  }
  if (added.i > 0) Push(&statements_, "charging_ws_new_accounts", added);
  if (changed.i > 0) Push(&statements_, "charging_ws_accounts", changed);
}

void WriteSet::SealLedger() {
  if (ledger_.empty()) return;
  Columns<7> c;
  for (const LedgerRow& l : ledger_) {
    c << l.subject << l.amount_minor << l.currency << l.cause << l.session_id << l.actor
      << l.idempotency_key;
  }
  Push(&statements_, "charging_ws_ledger", c);
}

void WriteSet::SealCdrs() {
  if (cdrs_.empty()) return;
  Columns<31> c;
  for (const CdrRow& r : cdrs_) {
    c << r.sequence << r.record_type << r.session_id << r.icid << r.served_identity
      << r.content_id << r.owner << r.start_ms << r.stop_ms << r.bytes_down << r.bytes_up
      << r.units << r.charge_minor << r.currency << r.incentive_minor << r.locality << r.cause
      << r.node_id << r.sip_method << r.node_address << r.called_party << r.opened_ms
      << (r.cause_for_record_closing.empty() ? CauseForRecordClosing(r.cause)
                                             : r.cause_for_record_closing)
      << r.incomplete << r.access_network_info << r.price_model << r.rated_price_minor
      << r.tariff_id << r.bytes_up_credited << r.bytes_up_over_claimed << r.owner_share_bp;
  }
  Push(&statements_, "charging_ws_cdrs", c);
}

void WriteSet::SealAccounting() {
  if (accounting_.empty()) return;
  Columns<14> c;
  for (const AccountingRow& r : accounting_) {
    c << r.session_id << r.record_number << r.record_type << r.cdr_sequence << r.subject
      << r.icid << r.content_id << r.locality << r.node_id << r.called_party
      << r.access_network_info << r.bytes_down << r.bytes_up << r.at_ms;
  }
  Push(&statements_, "charging_ws_accounting", c);
}

void WriteSet::SealPools() {
  if (pools_.empty()) return;
  Columns<5> c;
  for (PoolEntry* p : pools_) {
    p->dirty = false;
    c << p->content_id << p->period_start_s << std::exchange(p->delta_down, 0)
      << std::exchange(p->delta_credited, 0) << std::exchange(p->delta_over_claimed, 0);
  }
  Push(&statements_, "charging_ws_pools", c);
}

}  // namespace p2pims::charging
