#include "services/charging/store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "services/charging/rating.h"

namespace p2pims::charging {
namespace {

constexpr char kAccountColumns[] =
    "subject, kind, currency, balance_minor, reserved_minor, credit_limit_minor, incentive_minor";

v1::Account ReadAccount(const pqxx::row& row) {
  v1::Account a;
  a.set_subject(row[0].as<std::string>());
  a.set_kind(row[1].as<std::string>() == "postpaid" ? v1::ACCOUNT_KIND_POSTPAID
                                                    : v1::ACCOUNT_KIND_PREPAID);
  const std::string currency = row[2].as<std::string>();
  auto money = [&](v1::Money* m, int i) {
    m->set_minor(row[i].as<int64_t>());
    m->set_currency(currency);
  };
  money(a.mutable_balance(), 3);
  money(a.mutable_reserved(), 4);
  money(a.mutable_credit_limit(), 5);
  money(a.mutable_incentive_earned(), 6);
  return a;
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

}  // namespace

std::vector<std::pair<std::string, std::string>> ChargingStore::Statements() {
  return {
      {"charging_find_answer",
       "SELECT encode(answer, 'hex') FROM charging.cc_answer"
       " WHERE session_id = $1 AND request_number = $2"},
      {"charging_store_answer",
       "INSERT INTO charging.cc_answer (session_id, request_number, answer)"
       " VALUES ($1, $2, decode($3, 'hex'))"},
      {"charging_lock_session",
       "SELECT state, last_request_number, subject, price_model, price_minor, currency,"
       " reserved_minor, bytes_down FROM charging.cc_session WHERE session_id = $1 FOR UPDATE"},
      {"charging_lock_account", std::string("SELECT ") + kAccountColumns +
                                    " FROM charging.account WHERE subject = $1 FOR UPDATE"},
      {"charging_get_account",
       std::string("SELECT ") + kAccountColumns + " FROM charging.account WHERE subject = $1"},
      {"charging_open_session",
       "INSERT INTO charging.cc_session (session_id, subject, icid, content_id, owner,"
       " price_model, price_minor, currency, reserved_minor, state, locality, node_id)"
       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"},
      {"charging_reserve",
       "UPDATE charging.account SET reserved_minor = reserved_minor + $2 WHERE subject = $1"},
      {"charging_update_session",
       "UPDATE charging.cc_session SET last_request_number = $2, bytes_down = bytes_down + $3,"
       " bytes_up = bytes_up + $4 WHERE session_id = $1"},
      {"charging_settle_session",
       "UPDATE charging.cc_session SET state = 'terminated', closed_at = now(),"
       " last_request_number = $2, bytes_down = bytes_down + $3, bytes_up = bytes_up + $4,"
       " charged_minor = $5, reserved_minor = 0 WHERE session_id = $1"},
      {"charging_settle_account",
       "UPDATE charging.account SET balance_minor = balance_minor - $2,"
       " reserved_minor = greatest(reserved_minor - $3, 0) WHERE subject = $1"},
      {"charging_ledger",
       "INSERT INTO charging.ledger (subject, amount_minor, currency, cause, session_id, actor,"
       " idempotency_key) VALUES ($1, $2, $3, $4, nullif($5, ''), $6, nullif($7, ''))"},
      {"charging_find_acct",
       "SELECT cdr_sequence FROM charging.acct_record WHERE session_id = $1 AND record_number = "
       "$2"},
      {"charging_store_acct",
       "INSERT INTO charging.acct_record (session_id, record_number, record_type, cdr_sequence)"
       " VALUES ($1, $2, $3, $4)"},
      {"charging_next_cdr",
       "UPDATE charging.cdr_counter SET last_sequence = last_sequence + 1 RETURNING last_sequence"},
      // The CDR takes owner, price and charge from the credit-control session when there is one.
      {"charging_insert_cdr",
       "INSERT INTO charging.cdr (sequence, record_type, session_id, icid, served_identity,"
       " content_id, owner, start_time, stop_time, duration_seconds, bytes_down, bytes_up, units,"
       " charge_minor, currency, locality, cause, node_id)"
       " SELECT $1::bigint, 'session', $2::text, coalesce(nullif($3::text, ''), s.icid, ''), "
       "$4::text,"
       " coalesce(nullif($5::text, ''), s.content_id, ''), coalesce(s.owner, ''),"
       " coalesce(s.opened_at, now()), t.stop,"
       " greatest(0, extract(epoch from t.stop - coalesce(s.opened_at, now())))::bigint,"
       " $7::bigint, $8::bigint,"
       " CASE WHEN coalesce(s.price_model, '') = 'per_byte' THEN $7::bigint ELSE 1 END,"
       " coalesce(s.charged_minor, 0), coalesce(s.currency, 'EUR'), $9::text, $10::text, $11::text"
       // A record without a time (0) stops now.
       " FROM (SELECT CASE WHEN $6::bigint = 0 THEN now()"
       " ELSE to_timestamp($6::bigint / 1000.0) END AS stop) t"
       " LEFT JOIN charging.cc_session s ON s.session_id = $2::text"},
      {"charging_create_account",
       "INSERT INTO charging.account (subject, kind, currency, balance_minor, credit_limit_minor)"
       " VALUES ($1, $2, $3, $4, $5)"},
      {"charging_adjust",
       "UPDATE charging.account SET balance_minor = balance_minor + $2 WHERE subject = $1"},
  };
}

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
    pqxx::result session = tx.exec_prepared("charging_lock_session", req.session_id());
    pqxx::result seen =
        tx.exec_prepared("charging_find_answer", req.session_id(), req.request_number());
    if (!seen.empty()) {
      out.ParseFromString(Unhex(seen[0][0].as<std::string>()).value_or(""));
      return absl::OkStatus();
    }
    const std::string state = session.empty() ? "" : session[0][0].as<std::string>();
    const int64_t last = session.empty() ? 0 : session[0][1].as<int64_t>();
    if (absl::Status ok = CheckSequence(state, last, req.request_type(), req.request_number());
        !ok.ok()) {
      return ok;
    }
    if (!session.empty() && session[0][2].as<std::string>() != req.subject()) {
      return absl::FailedPreconditionError("subject differs from the session's INITIAL");
    }
    pqxx::result account = tx.exec_prepared("charging_lock_account", req.subject());

    if (req.request_type() == v1::REQUEST_TYPE_INITIAL) {
      if (account.empty()) {
        out = Answer(req, v1::RESULT_CODE_USER_UNKNOWN, "no account for this subscriber");
      } else if (IsFree(req.rating())) {
        tx.exec_prepared("charging_open_session", req.session_id(), req.subject(), req.icid(),
                         req.rating().content_id(), req.rating().owner(), "free", 0,
                         account[0][2].as<std::string>(), 0, "not_applicable", req.locality(),
                         req.node_id());
        out = Answer(req, v1::RESULT_CODE_CREDIT_CONTROL_NOT_APPLICABLE, "free content");
      } else {
        auto reserve = ReservationFor(req.rating(), req.requested());
        if (!reserve.ok()) {
          out = Answer(req, v1::RESULT_CODE_RATING_FAILED, std::string(reserve.status().message()));
        } else if (req.rating().price().currency() != account[0][2].as<std::string>()) {
          out = Answer(req, v1::RESULT_CODE_RATING_FAILED, "price currency differs from account");
        } else {
          const int64_t available =
              Available(account[0][1].as<std::string>(), account[0][3].as<int64_t>(),
                        account[0][4].as<int64_t>(), account[0][5].as<int64_t>());
          if (available < *reserve) {
            out = Answer(
                req, v1::RESULT_CODE_CREDIT_LIMIT_REACHED,
                absl::StrCat("out of credit: ", available, " available, ", *reserve, " needed"));
          } else {
            tx.exec_prepared("charging_open_session", req.session_id(), req.subject(), req.icid(),
                             req.rating().content_id(), req.rating().owner(),
                             req.rating().price_model(), req.rating().price().minor(),
                             req.rating().price().currency(), *reserve, "open", req.locality(),
                             req.node_id());
            tx.exec_prepared("charging_reserve", req.subject(), *reserve);
            out = Answer(req, v1::RESULT_CODE_SUCCESS, "reserved");
            out.mutable_granted()->mutable_money()->set_minor(*reserve);
            out.mutable_granted()->mutable_money()->set_currency(req.rating().price().currency());
            if (req.rating().price_model() == "per_byte") {
              out.mutable_granted()->set_bytes_down(req.requested().bytes_down() > 0
                                                        ? req.requested().bytes_down()
                                                        : kDefaultPerByteGrant);
            }
            out.set_validity_seconds(3600);
          }
        }
      }
    } else if (req.request_type() == v1::REQUEST_TYPE_UPDATE) {
      tx.exec_prepared("charging_update_session", req.session_id(), req.request_number(),
                       req.used().bytes_down(), req.used().bytes_up());
      out = Answer(req, v1::RESULT_CODE_SUCCESS, "usage recorded");
      out.set_validity_seconds(3600);
    } else {  // TERMINATION
      const pqxx::row& srow = session[0];
      const std::string model = srow[3].as<std::string>();
      const int64_t reserved = srow[6].as<int64_t>();
      const int64_t bytes = srow[7].as<int64_t>() + req.used().bytes_down();
      int64_t charge = ChargeFor(model, srow[4].as<int64_t>(), bytes, req.termination_cause());
      if (!account.empty()) {
        // Usage beyond the grant is charged only as far as the balance allows.
        const int64_t can_pay =
            Available(account[0][1].as<std::string>(), account[0][3].as<int64_t>(),
                      account[0][4].as<int64_t>() - reserved, account[0][5].as<int64_t>());
        charge = std::max<int64_t>(0, std::min(charge, can_pay));
        tx.exec_prepared("charging_settle_account", req.subject(), charge, reserved);
        if (charge != 0) {
          tx.exec_prepared("charging_ledger", req.subject(), -charge, srow[5].as<std::string>(),
                           "session charge", req.session_id(), "charging", "");
        }
      }
      tx.exec_prepared("charging_settle_session", req.session_id(), req.request_number(),
                       req.used().bytes_down(), req.used().bytes_up(), charge);
      out = Answer(req, v1::RESULT_CODE_SUCCESS, "settled");
      out.mutable_charged()->set_minor(charge);
      out.mutable_charged()->set_currency(srow[5].as<std::string>());
    }
    tx.exec_prepared("charging_store_answer", req.session_id(), req.request_number(),
                     Hex(out.SerializeAsString()));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::AccountingAnswer> ChargingStore::AccountingOnce(
    const v1::AccountingRequest& req) {
  v1::AccountingAnswer out;
  out.set_session_id(req.session_id());
  out.set_record_number(req.record_number());
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    pqxx::result seen =
        tx.exec_prepared("charging_find_acct", req.session_id(), req.record_number());
    if (!seen.empty()) {
      out.set_cdr_sequence(seen[0][0].as<int64_t>());
      return absl::OkStatus();
    }
    int64_t sequence = 0;
    const char* type = "interim";
    switch (req.record_type()) {
      case v1::RECORD_TYPE_START:
        type = "start";
        break;
      case v1::RECORD_TYPE_INTERIM:
        break;
      case v1::RECORD_TYPE_STOP:
        type = "stop";
        sequence = tx.exec_prepared1("charging_next_cdr")[0].as<int64_t>();
        tx.exec_prepared("charging_insert_cdr", sequence, req.session_id(), req.icid(),
                         req.subject(), req.content_id(), req.event_time_ms(),
                         req.used().bytes_down(), req.used().bytes_up(), req.locality(),
                         req.cause().empty() ? "normal" : req.cause(), req.node_id());
        break;
      default:
        return absl::InvalidArgumentError("record_type must be START, INTERIM or STOP");
    }
    tx.exec_prepared("charging_store_acct", req.session_id(), req.record_number(), type, sequence);
    out.set_cdr_sequence(sequence);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::AccountingAnswer> ChargingStore::Accounting(const v1::AccountingRequest& req) {
  auto answer = AccountingOnce(req);
  if (answer.status().code() != absl::StatusCode::kAlreadyExists) return answer;
  // Either a retransmission won the race (reading again finds its answer), or the session
  // already has its CDR under another record number, which is a client error.
  answer = AccountingOnce(req);
  if (answer.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::FailedPreconditionError("this session already has its CDR");
  }
  return answer;
}

absl::StatusOr<v1::Account> ChargingStore::CreateAccount(const v1::Account& a,
                                                         const std::string& actor) {
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_prepared("charging_create_account", a.subject(),
                     a.kind() == v1::ACCOUNT_KIND_POSTPAID ? "postpaid" : "prepaid",
                     a.balance().currency(), a.balance().minor(), a.credit_limit().minor());
    if (a.balance().minor() != 0) {
      tx.exec_prepared("charging_ledger", a.subject(), a.balance().minor(), a.balance().currency(),
                       "opening balance", "", actor, "");
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return GetAccount(a.subject());
}

absl::StatusOr<v1::Account> ChargingStore::GetAccount(const std::string& subject) {
  v1::Account out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared("charging_get_account", subject);
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no account for ", subject));
    out = ReadAccount(r[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Account> ChargingStore::AdjustBalance(const v1::AdjustBalanceRequest& req) {
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared("charging_lock_account", req.subject());
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no account for ", req.subject()));
    if (r[0][2].as<std::string>() != req.amount().currency()) {
      return absl::InvalidArgumentError("amount currency differs from the account's");
    }
    tx.exec_prepared("charging_ledger", req.subject(), req.amount().minor(),
                     req.amount().currency(), req.reason(), "", req.actor(), req.idempotency_key());
    tx.exec_prepared("charging_adjust", req.subject(), req.amount().minor());
    return absl::OkStatus();
  });
  // The same idempotency key again: the first adjustment stands.
  if (!s.ok() && s.code() != absl::StatusCode::kAlreadyExists) return s;
  return GetAccount(req.subject());
}

}  // namespace p2pims::charging
