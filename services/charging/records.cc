#include "services/charging/records.h"

#include "services/charging/rating.h"

namespace p2pims::charging {

const char kSessionColumns[] =
    "session_id, state, subject, icid, content_id, owner, price_model, currency, tariff_id,"
    " locality, node_id, access_network_info, called_party, last_request_number, price_minor,"
    " reserved_minor, charged_minor, bytes_down, bytes_up, granted_bytes, bytes_up_credited,"
    " bytes_up_over_claimed, incentive_minor, (extract(epoch from opened_at) * 1000)::bigint,"
    " cdr_sequence, owner_share_bp";

SessionRow ReadSession(const pqxx::row& row) {
  SessionRow s;
  std::string* text[] = {&s.session_id, &s.state,    &s.subject,     &s.icid,
                         &s.content_id, &s.owner,    &s.price_model, &s.currency,
                         &s.tariff_id,  &s.locality, &s.node_id,     &s.access_network_info,
                         &s.called_party};
  int i = 0;
  for (std::string* t : text) *t = row[i++].as<std::string>();
  int64_t* numbers[] = {&s.last_request_number, &s.price_minor,      &s.reserved_minor,
                        &s.charged_minor,       &s.bytes_down,       &s.bytes_up,
                        &s.granted_bytes,       &s.bytes_up_credited, &s.bytes_up_over_claimed,
                        &s.incentive_minor,     &s.opened_at_ms,     &s.cdr_sequence};
  for (int64_t* n : numbers) *n = row[i++].as<int64_t>();
  s.owner_share_bp = row[i].as<int32_t>();
  return s;
}

std::string CauseForRecordClosing(const std::string& cause) {
  if (cause == kCauseSetupFailed) return "unsuccessful_service_delivery";
  if (cause == "timeout" || cause == "time_limit") return "time_limit";
  if (cause == "service_change" || cause == "withdrawn") return "service_change";
  if (cause == "operator" || cause == "management_intervention") return "management_intervention";
  return "normal_release";
}

CdrRow SessionCdr(const SessionRow& s, int64_t charge, const std::string& cause,
                  bool incomplete) {
  CdrRow c;
  c.session_id = s.session_id;
  c.icid = s.icid;
  c.served_identity = s.subject;
  c.content_id = s.content_id;
  c.owner = s.owner;
  c.called_party = s.called_party;
  c.node_id = s.node_id;
  c.locality = s.locality;
  c.access_network_info = s.access_network_info;
  c.cause = cause.empty() ? "normal" : cause;
  c.cause_for_record_closing = CauseForRecordClosing(c.cause);
  c.incomplete = incomplete;
  c.start_ms = s.opened_at_ms;
  c.opened_ms = s.opened_at_ms;
  c.bytes_down = s.bytes_down;
  c.bytes_up = s.bytes_up;
  c.units = s.price_model == "per_byte" ? s.bytes_down : 1;
  c.charge_minor = charge;
  c.incentive_minor = s.incentive_minor;
  c.rated_price_minor = s.price_minor;
  c.currency = s.currency;
  c.price_model = s.price_model;
  c.tariff_id = s.tariff_id;
  c.bytes_up_credited = s.bytes_up_credited;
  c.bytes_up_over_claimed = s.bytes_up_over_claimed;
  c.owner_share_bp = s.owner_share_bp;
  return c;
}

CdrRow AccountingCdr(const v1::AccountingRequest& req, const pqxx::row& totals) {
  CdrRow c;
  c.session_id = req.session_id();
  c.served_identity = req.subject();
  c.icid = req.icid().empty() ? totals[0].as<std::string>() : req.icid();
  c.content_id = req.content_id().empty() ? totals[1].as<std::string>() : req.content_id();
  c.start_ms = totals[2].as<int64_t>();
  c.opened_ms = c.start_ms;
  c.stop_ms = req.event_time_ms();
  c.bytes_down = totals[3].as<int64_t>() + req.used().bytes_down();
  c.bytes_up = totals[4].as<int64_t>() + req.used().bytes_up();
  c.owner = totals[5].as<std::string>();
  c.price_model = totals[6].as<std::string>();
  c.currency = totals[7].as<std::string>();
  c.owner_share_bp = totals[8].as<int32_t>();
  c.units = 1;
  c.locality = req.locality();
  c.node_id = req.node_id();
  c.node_address = req.node_address();
  c.called_party = req.called_party();
  c.access_network_info = req.access_network_info();
  c.sip_method = req.sip_method().empty() ? "INVITE" : req.sip_method();
  c.cause = req.cause().empty() ? "normal" : req.cause();
  return c;
}


std::vector<std::pair<std::string, std::string>> RecordStatements() {
  return {
      {"charging_next_cdr",
       "UPDATE charging.cdr_counter SET last_sequence = last_sequence + 1 RETURNING last_sequence"},
      // Times are Unix milliseconds; 0 means the transaction's now().
      {"charging_write_cdr",
       "INSERT INTO charging.cdr (sequence, record_type, session_id, icid, served_identity,"
       " content_id, owner, start_time, stop_time, duration_seconds, bytes_down, bytes_up, units,"
       " charge_minor, currency, incentive_minor, locality, cause, node_id, sip_method,"
       " node_address, called_party, record_opening_time, record_closure_time,"
       " cause_for_record_closing, incomplete, access_network_info, price_model,"
       " rated_price_minor, tariff_id, bytes_up_credited, bytes_up_over_claimed, owner_share_bp,"
       " owner_share_minor)"
       " SELECT $1::bigint, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text,"
       " t.start, t.stop, greatest(0, floor(extract(epoch from t.stop - t.start)))::bigint,"
       " $10::bigint, $11::bigint, $12::bigint, $13::bigint, $14::text, $15::bigint, $16::text,"
       " $17::text, $18::text, $19::text, $20::text, $21::text, t.opened, now(), $23::text,"
       " $24::boolean, $25::text, $26::text, $27::bigint, $28::text, $29::bigint, $30::bigint,"
       " $31::integer, ($13::bigint * $31::integer) / 10000"
       " FROM (SELECT CASE WHEN $8::bigint = 0 THEN now() ELSE to_timestamp($8::bigint / 1000.0)"
       " END AS start, CASE WHEN $9::bigint = 0 THEN now() ELSE to_timestamp($9::bigint / 1000.0)"
       " END AS stop, CASE WHEN $22::bigint = 0 THEN now()"
       " ELSE to_timestamp($22::bigint / 1000.0) END AS opened) t"},
  };
}

int64_t WriteCdr(pqxx::work& tx, const CdrRow& c) {
  const int64_t sequence = tx.exec_prepared1("charging_next_cdr")[0].as<int64_t>();
  tx.exec_prepared("charging_write_cdr", sequence, c.record_type, c.session_id, c.icid,
                   c.served_identity, c.content_id, c.owner, c.start_ms, c.stop_ms, c.bytes_down,
                   c.bytes_up, c.units, c.charge_minor, c.currency, c.incentive_minor, c.locality,
                   c.cause, c.node_id, c.sip_method, c.node_address, c.called_party, c.opened_ms,
                   c.cause_for_record_closing.empty() ? CauseForRecordClosing(c.cause)
                                                      : c.cause_for_record_closing,
                   c.incomplete, c.access_network_info, c.price_model, c.rated_price_minor,
                   c.tariff_id, c.bytes_up_credited, c.bytes_up_over_claimed, c.owner_share_bp);
  return sequence;
}

}  // namespace p2pims::charging
