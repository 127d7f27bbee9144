// Rows charging reads and writes inside its transactions: a credit-control session and a CDR.
// Shared by credit control, accounting and the sweeper, which all close sessions into CDRs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "p2pims/charging/v1/charging.pb.h"

namespace p2pims::charging {

// One row of charging.cc_session.
struct SessionRow {
  std::string session_id, state, subject, icid, content_id, owner, price_model, currency;
  std::string tariff_id, locality, node_id, access_network_info, called_party, close_cause;
  int64_t last_request_number = 0, price_minor = 0, reserved_minor = 0, charged_minor = 0;
  int64_t bytes_down = 0, bytes_up = 0, granted_bytes = 0;
  int64_t bytes_up_same_cell = 0, bytes_up_same_area = 0;
  int64_t bytes_up_credited = 0, bytes_up_over_claimed = 0, incentive_minor = 0;
  int64_t opened_at_ms = 0, cdr_sequence = 0, closed_at_ms = 0, last_activity_ms = 0;
  int64_t expires_at_ms = 0;
  int32_t owner_share_bp = 0;
  std::string answers;  // every answer given, as PackAnswers writes them
};

// A session's answers by request number in one bytea: per answer, the request number (8 bytes)
// and the answer's length (4 bytes), big-endian, then the serialised answer.
std::string PackAnswers(const std::map<int64_t, std::string>& answers);
// The reverse; stops at the first malformed entry.
std::map<int64_t, std::string> UnpackAnswers(const std::string& packed);

// The SELECT list SessionRow reads, in its order (times as Unix milliseconds, 0 for NULL).
extern const char kSessionColumns[];
SessionRow ReadSession(const pqxx::row& row);

// What an accounting session's records add up to (its CDR when no credit control wrote one).
struct AccountingTotals {
  std::string subject, icid, content_id, locality, node_id, called_party, access_network_info;
  int64_t first_ms = 0, last_ms = 0, bytes_down = 0, bytes_up = 0, last_record_number = -1;
};

// One CDR as written (record_closure_time is the commit's now()).
struct CdrRow {
  int64_t sequence = 0;
  std::string record_type = "session";  // or "event"
  std::string session_id, icid, served_identity, content_id, owner, called_party;
  std::string sip_method = "INVITE", node_id, node_address, locality, access_network_info;
  std::string cause = "normal";          // free text from the client
  std::string cause_for_record_closing;  // normal_release, time_limit, ... (CauseName)
  bool incomplete = false;
  int64_t start_ms = 0, stop_ms = 0, opened_ms = 0;  // 0 = now
  int64_t bytes_down = 0, bytes_up = 0, units = 0;
  int64_t charge_minor = 0, incentive_minor = 0, rated_price_minor = 0;
  std::string currency = "EUR", price_model, tariff_id;
  int64_t bytes_up_credited = 0, bytes_up_over_claimed = 0;
  int32_t owner_share_bp = 0;
};

// TS 32.298 cause-for-record-closing from a client's free-text cause: "normal" (or empty) ->
// normal_release, "setup_failed" -> unsuccessful_service_delivery, "timeout" -> time_limit,
// "service_change"/"withdrawn" -> service_change, "operator" -> management_intervention; any
// other text -> normal_release (the text itself is kept in the CDR's cause).
std::string CauseForRecordClosing(const std::string& cause);

// A CDR for a credit-controlled session being closed with `charge` and `cause`.
CdrRow SessionCdr(const SessionRow& s, int64_t charge, const std::string& cause, bool incomplete);

// The CDR of a session known from its accounting records (and, for free content, its
// not-applicable credit-control row `cc`, or null): `totals` adds up the records before `req`,
// the closing record.
CdrRow AccountingCdr(const v1::AccountingRequest& req, const AccountingTotals& totals,
                     const SessionRow* cc);

}  // namespace p2pims::charging
