#include "services/charging/records.h"

#include <algorithm>

#include "lib/encoding/encoding.h"
#include "services/charging/rating.h"

namespace p2pims::charging {

const char kSessionColumns[] =
    "session_id, state, subject, icid, content_id, owner, price_model, currency, tariff_id,"
    " locality, node_id, access_network_info, called_party, coalesce(close_cause, ''),"
    " last_request_number, price_minor, reserved_minor, charged_minor, bytes_down, bytes_up,"
    " granted_bytes, bytes_up_same_cell, bytes_up_same_area, bytes_up_credited,"
    " bytes_up_over_claimed, incentive_minor, (extract(epoch from opened_at) * 1000)::bigint,"
    " cdr_sequence, coalesce((extract(epoch from closed_at) * 1000)::bigint, 0),"
    " (extract(epoch from last_activity) * 1000)::bigint,"
    " coalesce((extract(epoch from expires_at) * 1000)::bigint, 0), owner_share_bp,"
    " encode(coalesce(answers, ''), 'hex')";

SessionRow ReadSession(const pqxx::row& row) {
  SessionRow s;
  std::string* text[] = {&s.session_id, &s.state,    &s.subject,     &s.icid,
                         &s.content_id, &s.owner,    &s.price_model, &s.currency,
                         &s.tariff_id,  &s.locality, &s.node_id,     &s.access_network_info,
                         &s.called_party, &s.close_cause};
  int i = 0;
  for (std::string* t : text) *t = row[i++].as<std::string>();
  int64_t* numbers[] = {&s.last_request_number, &s.price_minor,       &s.reserved_minor,
                        &s.charged_minor,       &s.bytes_down,        &s.bytes_up,
                        &s.granted_bytes,       &s.bytes_up_same_cell, &s.bytes_up_same_area,
                        &s.bytes_up_credited,   &s.bytes_up_over_claimed, &s.incentive_minor,
                        &s.opened_at_ms,        &s.cdr_sequence,      &s.closed_at_ms,
                        &s.last_activity_ms,    &s.expires_at_ms};
  for (int64_t* n : numbers) *n = row[i++].as<int64_t>();
  s.owner_share_bp = row[i++].as<int32_t>();
  s.answers = Unhex(row[i].as<std::string>()).value_or("");
  return s;
}

std::string PackAnswers(const std::map<int64_t, std::string>& answers) {
  std::string out;
  for (const auto& [number, answer] : answers) {
    const uint64_t n = static_cast<uint64_t>(number);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
    const uint32_t len = static_cast<uint32_t>(answer.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(len >> shift));
    out += answer;
  }
  return out;
}

std::map<int64_t, std::string> UnpackAnswers(const std::string& packed) {
  std::map<int64_t, std::string> out;
  auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<uint8_t>(packed[i])); };
  for (size_t at = 0; at + 12 <= packed.size();) {
    uint64_t number = 0, len = 0;
    for (size_t k = 0; k < 8; ++k) number = number << 8 | byte(at + k);
    for (size_t k = 8; k < 12; ++k) len = len << 8 | byte(at + k);
    at += 12;
    if (at + len > packed.size()) break;
    out[static_cast<int64_t>(number)] = packed.substr(at, len);
    at += len;
  }
  return out;
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

CdrRow AccountingCdr(const v1::AccountingRequest& req, const AccountingTotals& t,
                     const SessionRow* cc) {
  CdrRow c;
  c.session_id = req.session_id();
  c.served_identity = req.subject();
  c.icid = !req.icid().empty() ? req.icid() : !t.icid.empty() ? t.icid : cc ? cc->icid : "";
  c.content_id = !req.content_id().empty() ? req.content_id()
                 : !t.content_id.empty()   ? t.content_id
                 : cc                      ? cc->content_id
                                           : "";
  c.start_ms = t.first_ms != 0 ? t.first_ms : req.event_time_ms();
  if (cc != nullptr && cc->opened_at_ms != 0) c.start_ms = std::min(c.start_ms, cc->opened_at_ms);
  if (c.start_ms == 0) c.start_ms = req.event_time_ms();
  c.opened_ms = c.start_ms;
  c.stop_ms = req.event_time_ms();
  c.bytes_down = t.bytes_down + req.used().bytes_down();
  c.bytes_up = t.bytes_up + req.used().bytes_up();
  if (cc != nullptr) {
    c.owner = cc->owner;
    c.price_model = cc->price_model;
    c.currency = cc->currency;
    c.owner_share_bp = cc->owner_share_bp;
  } else {
    c.price_model = "free";
  }
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

}  // namespace p2pims::charging
