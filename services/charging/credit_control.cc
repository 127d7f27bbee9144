// Ro-style online credit control: INITIAL reserves, UPDATE reports usage and grants more,
// TERMINATION settles into the session's CDR, EVENT charges once. One transaction each, with the
// answer stored under (session id, request number) so that a retransmission gets it again.
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/encoding/encoding.h"
#include "services/charging/store.h"

namespace p2pims::charging {
namespace {

// Account columns (kAccountColumns in store.cc): subject, kind, currency, balance, reserved,
// credit limit, incentive.
int64_t AvailableIn(const pqxx::result& account) {
  return Available(account[0][1].as<std::string>(), account[0][3].as<int64_t>(),
                   account[0][4].as<int64_t>(), account[0][5].as<int64_t>());
}

v1::CreditControlAnswer Answer(const v1::CreditControlRequest& req, v1::ResultCode code,
                               std::string message) {
  v1::CreditControlAnswer a;
  a.set_session_id(req.session_id());
  a.set_request_number(req.request_number());
  a.set_result_code(code);
  a.set_message(std::move(message));
  return a;
}

void SetMoney(v1::Money* m, int64_t minor, const std::string& currency) {
  m->set_minor(minor);
  m->set_currency(currency);
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

absl::StatusOr<v1::CreditControlAnswer> ChargingStore::CreditControl(
    const v1::CreditControlRequest& req) {
  auto answer = CreditControlOnce(req);
  // A concurrent retransmission may win the race to store the answer: read the winner's.
  if (answer.status().code() == absl::StatusCode::kAlreadyExists ||
      answer.status().code() == absl::StatusCode::kAborted) {
    answer = CreditControlOnce(req);
  }
  return answer;
}

absl::StatusOr<v1::CreditControlAnswer> ChargingStore::CreditControlOnce(
    const v1::CreditControlRequest& req) {
  v1::CreditControlAnswer out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    // Lock the session before looking for a stored answer, so that a retransmission racing
    // the original waits for it and then finds its answer instead of a state error.
    pqxx::result locked = tx.exec_prepared("charging_lock_session", req.session_id());
    pqxx::result seen =
        tx.exec_prepared("charging_find_answer", req.session_id(), req.request_number());
    if (!seen.empty()) {
      out.ParseFromString(Unhex(seen[0][0].as<std::string>()).value_or(""));
      return absl::OkStatus();
    }
    std::optional<SessionRow> session;
    if (!locked.empty()) session = ReadSession(locked[0]);
    if (absl::Status ok = CheckSequence(session ? session->state : "",
                                        session ? session->last_request_number : 0,
                                        req.request_type(), req.request_number());
        !ok.ok()) {
      return ok;
    }
    if (session && session->subject != req.subject()) {
      return absl::FailedPreconditionError("subject differs from the session's INITIAL");
    }
    pqxx::result account = tx.exec_prepared("charging_lock_account", req.subject());
    switch (req.request_type()) {
      case v1::REQUEST_TYPE_INITIAL:
        out = Initial(tx, req, account);
        break;
      case v1::REQUEST_TYPE_EVENT:
        out = Event(tx, req, account);
        break;
      case v1::REQUEST_TYPE_UPDATE: {
        auto answered = Update(tx, req, *session, account);
        if (!answered.ok()) return answered.status();
        out = *std::move(answered);
        break;
      }
      default: {
        auto answered = Terminate(tx, req, *session, account);
        if (!answered.ok()) return answered.status();
        out = *std::move(answered);
      }
    }
    tx.exec_prepared("charging_store_answer", req.session_id(), req.request_number(),
                     Hex(out.SerializeAsString()));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

v1::CreditControlAnswer ChargingStore::Initial(pqxx::work& tx,
                                               const v1::CreditControlRequest& req,
                                               const pqxx::result& account) {
  if (account.empty()) {
    return Answer(req, v1::RESULT_CODE_USER_UNKNOWN, "no account for this subscriber");
  }
  const std::string currency = account[0][2].as<std::string>();
  const TariffRates tariff = tariffs_.Get(tx, "", absl::Now());
  const v1::Rating& rating = req.rating();
  auto open = [&](const std::string& model, int64_t price, int64_t reserve, const char* state,
                  int64_t granted_bytes, int64_t validity) {
    tx.exec_prepared("charging_open_session", req.session_id(), req.subject(), req.icid(),
                     rating.content_id(), rating.owner(), model, price, currency, reserve, state,
                     req.locality(), req.node_id(), rating.owner_share_bp(), tariff.tariff_id,
                     granted_bytes, validity, req.access_network_info(), req.called_party());
  };
  if (IsFree(rating)) {
    // Free content needs no credit control, but the session row keeps what its CDR needs.
    open("free", 0, 0, "not_applicable", 0, tariff.validity_seconds);
    return Answer(req, v1::RESULT_CODE_CREDIT_CONTROL_NOT_APPLICABLE, "free content");
  }
  auto reserve = ReservationFor(rating, req.requested(), tariff.per_byte_grant_bytes);
  if (!reserve.ok()) {
    return Answer(req, v1::RESULT_CODE_RATING_FAILED, std::string(reserve.status().message()));
  }
  if (rating.price().currency() != currency) {
    return Answer(req, v1::RESULT_CODE_RATING_FAILED,
                  absl::StrCat("price in ", rating.price().currency(), ", account in ", currency));
  }
  const int64_t available = AvailableIn(account);
  if (available < *reserve) {
    return Answer(req, v1::RESULT_CODE_CREDIT_LIMIT_REACHED,
                  absl::StrCat("out of credit: ", available, " available, ", *reserve, " needed"));
  }
  const bool per_byte = rating.price_model() == "per_byte";
  const int64_t grant_bytes =
      per_byte ? (req.requested().bytes_down() > 0 ? req.requested().bytes_down()
                                                   : tariff.per_byte_grant_bytes)
               : 0;
  open(rating.price_model(), rating.price().minor(), *reserve, "open", grant_bytes,
       tariff.validity_seconds);
  tx.exec_prepared("charging_reserve", req.subject(), *reserve);
  v1::CreditControlAnswer out = Answer(req, v1::RESULT_CODE_SUCCESS, "reserved");
  SetMoney(out.mutable_granted()->mutable_money(), *reserve, currency);
  out.mutable_granted()->set_bytes_down(grant_bytes);
  out.set_validity_seconds(tariff.validity_seconds);
  // The last units the balance can cover: after this grant another one would not be affordable.
  if (per_byte && available - *reserve < *reserve) {
    out.set_final_unit_action(v1::FINAL_UNIT_ACTION_TERMINATE);
  }
  return out;
}

absl::Status ChargingStore::RecordUsage(pqxx::work& tx, const v1::CreditControlRequest& req,
                                        SessionRow& s) {
  const v1::ServiceUnits& used = req.used();
  const int64_t elapsed_ms = NowMs() - s.opened_at_ms;
  for (int64_t total : {s.bytes_down + used.bytes_down(), s.bytes_up + used.bytes_up()}) {
    if (absl::Status ok = CheckPlausible(total, elapsed_ms, options_.max_bytes_per_second);
        !ok.ok()) {
      return ok;
    }
  }
  if (used.bytes_up_same_cell() + used.bytes_up_same_area() > used.bytes_up()) {
    return absl::InvalidArgumentError("uploads in the cell and area exceed bytes_up");
  }
  // The swarm's pool for this hour: downloads first, then uploads are credited from it.
  int64_t credited = 0;
  if (!s.content_id.empty() && (used.bytes_down() > 0 || used.bytes_up() > 0)) {
    pqxx::row pool = tx.exec_prepared1("charging_pool_report", s.content_id, used.bytes_down());
    const int64_t room = std::max<int64_t>(0, pool[0].as<int64_t>() - pool[1].as<int64_t>());
    credited = std::min(used.bytes_up(), room);
    if (used.bytes_up() > 0) {
      tx.exec_prepared("charging_pool_claim", s.content_id, credited, used.bytes_up() - credited);
    }
  }
  int64_t incentive = 0;
  const TariffRates tariff = tariffs_.Get(tx, s.tariff_id, absl::Now());
  if (tariff.currency == s.currency) incentive = IncentiveFor(tariff, used, credited);
  if (incentive > 0) {
    tx.exec_prepared("charging_credit_incentive", s.subject, incentive);
    tx.exec_prepared("charging_ledger", s.subject, incentive, s.currency, "incentive",
                     s.session_id, "charging", "");
  }
  s.bytes_down += used.bytes_down();
  s.bytes_up += used.bytes_up();
  s.bytes_up_credited += credited;
  s.bytes_up_over_claimed += used.bytes_up() - credited;
  s.incentive_minor += incentive;
  s.last_request_number = req.request_number();
  tx.exec_prepared("charging_record_usage", s.session_id, req.request_number(),
                   used.bytes_down(), used.bytes_up(), used.bytes_up_same_cell(),
                   used.bytes_up_same_area(), credited, used.bytes_up() - credited, incentive);
  return absl::OkStatus();
}

absl::StatusOr<v1::CreditControlAnswer> ChargingStore::Update(
    pqxx::work& tx, const v1::CreditControlRequest& req, SessionRow& s,
    const pqxx::result& account) {
  if (absl::Status ok = RecordUsage(tx, req, s); !ok.ok()) return ok;
  const TariffRates tariff = tariffs_.Get(tx, s.tariff_id, absl::Now());
  v1::CreditControlAnswer out = Answer(req, v1::RESULT_CODE_SUCCESS, "usage recorded");
  out.set_validity_seconds(tariff.validity_seconds);
  int64_t granted = s.granted_bytes;
  int64_t reserved = s.reserved_minor;
  if (s.price_model == "per_byte" && !account.empty()) {
    // Reserve the cost of everything granted so far plus the next grant.
    const int64_t want = req.requested().bytes_down() > 0 ? req.requested().bytes_down()
                                                          : tariff.per_byte_grant_bytes;
    const int64_t base = std::max(s.bytes_down, s.granted_bytes);
    const int64_t available = AvailableIn(account);
    int64_t grant = want;
    int64_t extra = PerMiB(s.price_minor, base + grant) - s.reserved_minor;
    if (extra > available) {
      // Only part of the next grant is affordable: grant that much, and say it is the last.
      grant = std::max<int64_t>(
          0, BytesFor(s.price_minor, s.reserved_minor + available) - base);
      extra = std::max<int64_t>(0, PerMiB(s.price_minor, base + grant) - s.reserved_minor);
      if (extra > available) {  // rounding: one byte less is always affordable
        grant = std::max<int64_t>(0, grant - 1);
        extra = std::max<int64_t>(0, PerMiB(s.price_minor, base + grant) - s.reserved_minor);
      }
      out.set_final_unit_action(v1::FINAL_UNIT_ACTION_TERMINATE);
      if (grant == 0) {
        out.set_result_code(v1::RESULT_CODE_CREDIT_LIMIT_REACHED);
        out.set_message("out of credit: no further units");
      }
    } else if (available - extra < extra) {
      out.set_final_unit_action(v1::FINAL_UNIT_ACTION_TERMINATE);
    }
    if (extra > 0) tx.exec_prepared("charging_reserve", s.subject, extra);
    granted = base + grant;
    reserved = s.reserved_minor + std::max<int64_t>(0, extra);
    out.mutable_granted()->set_bytes_down(grant);
    SetMoney(out.mutable_granted()->mutable_money(), std::max<int64_t>(0, extra), s.currency);
  }
  tx.exec_prepared("charging_extend_grant", s.session_id, granted, reserved,
                   tariff.validity_seconds);
  return out;
}

int64_t ChargingStore::Settle(pqxx::work& tx, SessionRow& s, const std::string& cause,
                              bool incomplete, std::string* note, const pqxx::result* locked) {
  int64_t charge = ChargeFor(s.price_model, s.price_minor, s.bytes_down, cause);
  const pqxx::result account =
      locked != nullptr ? *locked : tx.exec_prepared("charging_lock_account", s.subject);
  if (!account.empty()) {
    // Usage beyond the grant is charged only as far as the balance allows (this session's own
    // reservation counts as available to it).
    const int64_t can_pay = AvailableIn(account) + s.reserved_minor;
    if (charge > can_pay) {
      *note = absl::StrCat("charge capped at what the balance allows: ", can_pay, " of ", charge);
      charge = std::max<int64_t>(0, can_pay);
    }
    tx.exec_prepared("charging_settle_account", s.subject, charge, s.reserved_minor);
    if (charge != 0) {
      tx.exec_prepared("charging_ledger", s.subject, -charge, s.currency, "session charge",
                       s.session_id, "charging", "");
    }
  }
  s.charged_minor = charge;
  s.cdr_sequence = WriteCdr(tx, SessionCdr(s, charge, cause, incomplete));
  tx.exec_prepared("charging_close_session", s.session_id, s.last_request_number, charge,
                   cause.empty() ? "normal" : cause, s.cdr_sequence);
  return charge;
}

absl::StatusOr<v1::CreditControlAnswer> ChargingStore::Terminate(
    pqxx::work& tx, const v1::CreditControlRequest& req, SessionRow& s,
    const pqxx::result& account) {
  if (absl::Status ok = RecordUsage(tx, req, s); !ok.ok()) return ok;
  // The account row as locked before the usage: an incentive credited meanwhile only adds.
  std::string note;
  const int64_t charge = Settle(tx, s, req.termination_cause(), false, &note, &account);
  v1::CreditControlAnswer out =
      Answer(req, v1::RESULT_CODE_SUCCESS, note.empty() ? "settled" : note);
  SetMoney(out.mutable_charged(), charge, s.currency);
  out.set_cdr_sequence(s.cdr_sequence);
  return out;
}

v1::CreditControlAnswer ChargingStore::Event(pqxx::work& tx, const v1::CreditControlRequest& req,
                                             const pqxx::result& account) {
  if (account.empty()) {
    return Answer(req, v1::RESULT_CODE_USER_UNKNOWN, "no account for this subscriber");
  }
  const v1::Rating& rating = req.rating();
  const std::string currency = account[0][2].as<std::string>();
  if (IsFree(rating)) return Answer(req, v1::RESULT_CODE_CREDIT_CONTROL_NOT_APPLICABLE, "free");
  if (rating.price_model() == "per_byte") {
    return Answer(req, v1::RESULT_CODE_RATING_FAILED, "per-byte content is charged by session");
  }
  if (rating.price().currency() != currency) {
    return Answer(req, v1::RESULT_CODE_RATING_FAILED,
                  absl::StrCat("price in ", rating.price().currency(), ", account in ", currency));
  }
  const int64_t price = rating.price().minor();
  const int64_t available = AvailableIn(account);
  if (available < price) {
    return Answer(req, v1::RESULT_CODE_CREDIT_LIMIT_REACHED,
                  absl::StrCat("out of credit: ", available, " available, ", price, " needed"));
  }
  tx.exec_prepared("charging_settle_account", req.subject(), price, 0);
  tx.exec_prepared("charging_ledger", req.subject(), -price, currency, "event charge",
                   req.session_id(), "charging", "");
  CdrRow cdr;
  cdr.record_type = "event";
  cdr.sip_method = "";
  cdr.session_id = req.session_id();
  cdr.icid = req.icid();
  cdr.served_identity = req.subject();
  cdr.content_id = rating.content_id();
  cdr.owner = rating.owner();
  cdr.called_party = req.called_party();
  cdr.node_id = req.node_id();
  cdr.locality = req.locality();
  cdr.access_network_info = req.access_network_info();
  cdr.units = 1;
  cdr.charge_minor = price;
  cdr.rated_price_minor = price;
  cdr.currency = currency;
  cdr.price_model = rating.price_model();
  cdr.owner_share_bp = rating.owner_share_bp();
  v1::CreditControlAnswer out = Answer(req, v1::RESULT_CODE_SUCCESS, "charged");
  SetMoney(out.mutable_charged(), price, currency);
  out.set_cdr_sequence(WriteCdr(tx, cdr));
  return out;
}

std::vector<std::pair<std::string, std::string>> CreditControlStatements() {
  return {
      {"charging_find_answer",
       "SELECT encode(answer, 'hex') FROM charging.cc_answer"
       " WHERE session_id = $1 AND request_number = $2"},
      {"charging_store_answer",
       "INSERT INTO charging.cc_answer (session_id, request_number, answer)"
       " VALUES ($1, $2, decode($3, 'hex'))"},
      {"charging_lock_session", std::string("SELECT ") + kSessionColumns +
                                    " FROM charging.cc_session WHERE session_id = $1 FOR UPDATE"},
      {"charging_all_tariffs",
       "SELECT tariff_id, currency, incentive_per_gib_minor, incentive_same_area_per_gib_minor,"
       " incentive_same_cell_per_gib_minor, validity_seconds, per_byte_grant_bytes,"
       " extract(epoch from effective_from)::bigint FROM charging.tariff"
       " ORDER BY effective_from DESC"},
      // A reservation stays for two validity periods: the client must UPDATE within the first.
      {"charging_open_session",
       "INSERT INTO charging.cc_session (session_id, subject, icid, content_id, owner,"
       " price_model, price_minor, currency, reserved_minor, state, locality, node_id,"
       " owner_share_bp, tariff_id, granted_bytes, expires_at, access_network_info, called_party)"
       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
       " now() + make_interval(secs => 2 * $16::bigint), $17, $18)"},
      {"charging_reserve",
       "UPDATE charging.account SET reserved_minor = reserved_minor + $2 WHERE subject = $1"},
      {"charging_pool_report",
       "INSERT INTO charging.incentive_pool AS p (content_id, period_start, bytes_down)"
       " VALUES ($1, date_trunc('hour', now()), $2) ON CONFLICT (content_id, period_start)"
       " DO UPDATE SET bytes_down = p.bytes_down + excluded.bytes_down"
       " RETURNING bytes_down, bytes_up_credited"},
      {"charging_pool_claim",
       "UPDATE charging.incentive_pool SET bytes_up_credited = bytes_up_credited + $2,"
       " bytes_up_over_claimed = bytes_up_over_claimed + $3"
       " WHERE content_id = $1 AND period_start = date_trunc('hour', now())"},
      {"charging_credit_incentive",
       "UPDATE charging.account SET balance_minor = balance_minor + $2,"
       " incentive_minor = incentive_minor + $2 WHERE subject = $1"},
      {"charging_record_usage",
       "UPDATE charging.cc_session SET last_request_number = $2, bytes_down = bytes_down + $3,"
       " bytes_up = bytes_up + $4, bytes_up_same_cell = bytes_up_same_cell + $5,"
       " bytes_up_same_area = bytes_up_same_area + $6,"
       " bytes_up_credited = bytes_up_credited + $7,"
       " bytes_up_over_claimed = bytes_up_over_claimed + $8,"
       " incentive_minor = incentive_minor + $9, last_activity = now() WHERE session_id = $1"},
      {"charging_extend_grant",
       "UPDATE charging.cc_session SET granted_bytes = $2, reserved_minor = $3,"
       " expires_at = now() + make_interval(secs => 2 * $4::bigint) WHERE session_id = $1"},
      {"charging_settle_account",
       "UPDATE charging.account SET balance_minor = balance_minor - $2,"
       " reserved_minor = greatest(reserved_minor - $3, 0) WHERE subject = $1"},
      {"charging_close_session",
       "UPDATE charging.cc_session SET state = 'terminated', closed_at = now(),"
       " last_request_number = $2, charged_minor = $3, reserved_minor = 0, close_cause = $4,"
       " cdr_sequence = $5 WHERE session_id = $1"},
  };
}

}  // namespace p2pims::charging
