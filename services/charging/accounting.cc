// Rf-style offline accounting: START, INTERIM, STOP and EVENT records, deduplicated on
// (session id, record number). A credit-controlled session's CDR is written by its TERMINATION
// (with the debit); STOP then only confirms it. Sessions without credit control (free content)
// get their CDR at STOP.
#include <optional>

#include "absl/strings/str_cat.h"
#include "services/charging/store.h"

namespace p2pims::charging {
namespace {

const char* TypeName(v1::RecordType type) {
  switch (type) {
    case v1::RECORD_TYPE_START:
      return "start";
    case v1::RECORD_TYPE_INTERIM:
      return "interim";
    case v1::RECORD_TYPE_STOP:
      return "stop";
    case v1::RECORD_TYPE_EVENT:
      return "event";
    default:
      return nullptr;
  }
}

}  // namespace

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

absl::StatusOr<v1::AccountingAnswer> ChargingStore::AccountingOnce(
    const v1::AccountingRequest& req) {
  v1::AccountingAnswer out;
  out.set_session_id(req.session_id());
  out.set_record_number(req.record_number());
  const char* type = TypeName(req.record_type());
  if (type == nullptr) {
    return absl::InvalidArgumentError("record_type must be START, INTERIM, STOP or EVENT");
  }
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    // One session's records are handled one at a time (and after its credit control).
    tx.exec_prepared("charging_lock_acct", req.session_id());
    pqxx::result seen =
        tx.exec_prepared("charging_find_acct", req.session_id(), req.record_number());
    if (!seen.empty()) {
      out.set_cdr_sequence(seen[0][0].as<int64_t>());
      return absl::OkStatus();
    }
    int64_t sequence = 0;
    if (req.record_type() == v1::RECORD_TYPE_STOP || req.record_type() == v1::RECORD_TYPE_EVENT) {
      if (!tx.exec_prepared("charging_find_stop", req.session_id()).empty()) {
        return absl::FailedPreconditionError("duplicate STOP: the session is already closed");
      }
      pqxx::result cc = tx.exec_prepared("charging_lock_session", req.session_id());
      std::optional<SessionRow> session;
      if (!cc.empty()) session = ReadSession(cc[0]);
      if (session && session->state == "terminated") {
        sequence = session->cdr_sequence;  // written with the TERMINATION's debit
      } else if (session && session->state == "open") {
        return absl::FailedPreconditionError(
            "credit control still open for this session: send TERMINATION first");
      } else {
        pqxx::row totals = tx.exec_prepared1("charging_acct_totals", req.session_id());
        CdrRow cdr = AccountingCdr(req, totals);
        if (req.record_type() == v1::RECORD_TYPE_EVENT) {
          cdr.record_type = "event";
          if (req.sip_method().empty()) cdr.sip_method = "MESSAGE";
        }
        sequence = WriteCdr(tx, cdr);
        if (session) {  // free content: the not-applicable row is closed with its CDR
          tx.exec_prepared("charging_close_session", req.session_id(),
                           session->last_request_number, 0, cdr.cause, sequence);
        }
      }
    }
    tx.exec_prepared("charging_store_acct", req.session_id(), req.record_number(), type,
                     sequence, req.subject(), req.icid(), req.content_id(), req.locality(),
                     req.node_id(), req.called_party(), req.access_network_info(),
                     req.used().bytes_down(), req.used().bytes_up());
    out.set_cdr_sequence(sequence);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

std::vector<std::pair<std::string, std::string>> AccountingStatements() {
  return {
      {"charging_lock_acct", "SELECT pg_advisory_xact_lock(hashtext('acct ' || $1::text))"},
      {"charging_find_acct",
       "SELECT cdr_sequence FROM charging.acct_record WHERE session_id = $1"
       " AND record_number = $2"},
      {"charging_find_stop",
       "SELECT 1 FROM charging.acct_record WHERE session_id = $1"
       " AND record_type IN ('stop', 'event')"},
      {"charging_store_acct",
       "INSERT INTO charging.acct_record (session_id, record_number, record_type, cdr_sequence,"
       " subject, icid, content_id, locality, node_id, called_party, access_network_info,"
       " bytes_down, bytes_up) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"},
      // Totals of a session's earlier records, and what its not-applicable credit-control row
      // (free content) knows: icid, content, start, bytes, owner, model, currency, owner share.
      {"charging_acct_totals",
       "SELECT coalesce(max(nullif(a.icid, '')), s.icid, ''),"
       " coalesce(max(nullif(a.content_id, '')), s.content_id, ''),"
       " coalesce((extract(epoch from least(min(a.at), s.opened_at)) * 1000)::bigint,"
       "          (extract(epoch from min(a.at)) * 1000)::bigint,"
       "          (extract(epoch from s.opened_at) * 1000)::bigint, 0),"
       " coalesce(sum(a.bytes_down), 0)::bigint, coalesce(sum(a.bytes_up), 0)::bigint,"
       " coalesce(s.owner, ''), coalesce(s.price_model, 'free'), coalesce(s.currency, 'EUR'),"
       " coalesce(s.owner_share_bp, 0)"
       " FROM (SELECT $1::text AS id) k"
       " LEFT JOIN charging.acct_record a ON a.session_id = k.id"
       " LEFT JOIN charging.cc_session s ON s.session_id = k.id"
       " GROUP BY s.icid, s.content_id, s.opened_at, s.owner, s.price_model, s.currency,"
       " s.owner_share_bp"},
  };
}

}  // namespace p2pims::charging
