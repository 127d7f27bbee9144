// Rf-style offline accounting on the engine's memory: START, INTERIM, STOP and EVENT records,
// deduplicated on (session id, record number). A credit-controlled session's CDR is written by
// its TERMINATION (with the debit); STOP then only confirms it. Sessions without credit control
// (free content, or accounting alone) get their CDR at STOP or EVENT.
#include "absl/strings/str_cat.h"
#include "services/charging/engine.h"

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

void Keep(std::string* into, const std::string& value) {
  if (!value.empty()) *into = value;
}

}  // namespace

void Engine::Accounting(EngineJob& job, WriteSet& ws) {
  const v1::AccountingRequest& req = *job.acct;
  v1::AccountingAnswer& out = *job.acct_answer;
  out.set_session_id(req.session_id());
  out.set_record_number(req.record_number());
  const char* type = TypeName(req.record_type());
  if (type == nullptr) {
    job.status = absl::InvalidArgumentError("record_type must be START, INTERIM, STOP or EVENT");
    return;
  }
  SessionEntry* s = FindSession(req.session_id());
  if (s != nullptr) {
    if (auto seen = s->records.find(req.record_number()); seen != s->records.end()) {
      out.set_cdr_sequence(seen->second);  // a retransmission
      return;
    }
    if (s->acct_closed) {
      job.status = absl::FailedPreconditionError(
          req.record_type() == v1::RECORD_TYPE_STOP || req.record_type() == v1::RECORD_TYPE_EVENT
              ? "duplicate STOP: the session is already closed"
              : "the session is already closed: no records after its STOP");
      return;
    }
  } else {
    std::unique_ptr<SessionEntry>& slot = sessions_[req.session_id()];
    slot = std::make_unique<SessionEntry>();
    slot->id = req.session_id();
    s = slot.get();
  }
  auto sequence = Record(req, type, /*incomplete=*/false, *s, ws);
  if (!sequence.ok()) {
    job.status = sequence.status();
    return;
  }
  out.set_cdr_sequence(*sequence);
}

absl::StatusOr<int64_t> Engine::Record(const v1::AccountingRequest& req, const char* type,
                                       bool incomplete, SessionEntry& session, WriteSet& ws) {
  SessionEntry* s = &session;
  const int64_t now = NowMs();
  int64_t sequence = 0;
  if (req.record_type() == v1::RECORD_TYPE_STOP || req.record_type() == v1::RECORD_TYPE_EVENT) {
    if (s->has_cc && s->cc.state == "open") {
      return absl::FailedPreconditionError(
          "credit control still open for this session: send TERMINATION first");
    }
    if (s->has_cc && s->cc.state == "terminated") {
      sequence = s->cc.cdr_sequence;  // written with the TERMINATION's debit
    } else {
      CdrRow cdr = AccountingCdr(req, s->acct, s->has_cc ? &s->cc : nullptr);
      if (req.record_type() == v1::RECORD_TYPE_EVENT) {
        cdr.record_type = "event";
        if (req.sip_method().empty()) cdr.sip_method = "MESSAGE";
      }
      cdr.incomplete = incomplete;
      sequence = ws.Add(std::move(cdr));
      if (s->has_cc) {  // free content: the not-applicable row is closed with its CDR
        s->cc.state = "terminated";
        s->cc.cdr_sequence = sequence;
        s->cc.closed_at_ms = now;
        s->cc.close_cause = req.cause().empty() ? "normal" : req.cause();
        ws.Touch(s);
      }
    }
    s->acct_closed = true;
    s->closed_ms = now;
  }
  AccountingTotals& t = s->acct;
  if (t.first_ms == 0) t.first_ms = now;
  t.last_ms = now;
  t.last_record_number = std::max(t.last_record_number, req.record_number());
  t.bytes_down += req.used().bytes_down();
  t.bytes_up += req.used().bytes_up();
  Keep(&t.subject, req.subject());
  Keep(&t.icid, req.icid());
  Keep(&t.content_id, req.content_id());
  Keep(&t.locality, req.locality());
  Keep(&t.node_id, req.node_id());
  Keep(&t.called_party, req.called_party());
  Keep(&t.access_network_info, req.access_network_info());
  // A session that is one EVENT and nothing else is stored as its CDR alone: the CDR holds all
  // the record says, and its claim in cdr_session answers a retransmission (Engine::Load).
  const bool lone_event = req.record_type() == v1::RECORD_TYPE_EVENT && s->records.empty() &&
                          !s->has_cc && req.record_number() == 0;
  s->records[req.record_number()] = sequence;
  if (lone_event) return sequence;
  ws.Add(AccountingRow{req.session_id(), type, req.subject(), req.icid(), req.content_id(),
                       req.locality(), req.node_id(), req.called_party(),
                       req.access_network_info(), req.record_number(), sequence,
                       req.used().bytes_down(), req.used().bytes_up(), now});
  return sequence;
}

}  // namespace p2pims::charging
