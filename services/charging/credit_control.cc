// Ro-style online credit control on the engine's memory: INITIAL reserves, UPDATE reports usage
// and grants more, TERMINATION settles into the session's CDR, EVENT charges once. Each answer is
// kept with its session (and in its row, cc_session.answers), so that a retransmission gets it
// again; the engine commits the batch before anyone sees it.
#include "absl/strings/str_cat.h"
#include "services/charging/engine.h"

namespace p2pims::charging {
namespace {

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

// The session row an INITIAL or EVENT opens, before rating decides its state.
void OpenRow(const v1::CreditControlRequest& req, const std::string& currency,
             const TariffRates& tariff, int64_t now_ms, SessionRow* s) {
  const v1::Rating& rating = req.rating();
  s->session_id = req.session_id();
  s->subject = req.subject();
  s->icid = req.icid();
  s->content_id = rating.content_id();
  s->owner = rating.owner();
  s->price_model = rating.price_model();
  s->price_minor = rating.price().minor();
  s->currency = currency.empty() ? rating.price().currency() : currency;
  s->locality = req.locality();
  s->node_id = req.node_id();
  s->owner_share_bp = rating.owner_share_bp();
  s->tariff_id = tariff.tariff_id;
  s->access_network_info = req.access_network_info();
  s->called_party = req.called_party();
  s->opened_at_ms = now_ms;
  s->last_activity_ms = now_ms;
  s->last_request_number = req.request_number();
}

// A request answered without a session going on (refused, or an event): the row keeps the
// answer for retransmissions and has nothing to settle.
void CloseRefused(SessionRow* s, int64_t now_ms, const char* cause) {
  s->state = "terminated";
  s->closed_at_ms = now_ms;
  s->close_cause = cause;
}

}  // namespace

void Engine::CreditControl(EngineJob& job, WriteSet& ws) {
  const v1::CreditControlRequest& req = *job.cc;
  SessionEntry* s = FindSession(req.session_id());
  if (s != nullptr) {
    // A retransmission, or the original arriving after it: the answer already given.
    auto given = s->answers.find(req.request_number());
    if (given != s->answers.end() && s->has_cc) {
      job.cc_answer->ParseFromString(given->second);
      return;
    }
  }
  const bool exists = s != nullptr && s->has_cc;
  if (absl::Status ok = CheckSequence(exists ? s->cc.state : "",
                                      exists ? s->cc.last_request_number : 0,
                                      req.request_type(), req.request_number());
      !ok.ok()) {
    job.status = ok;
    return;
  }
  if (exists && s->cc.subject != req.subject()) {
    job.status = absl::FailedPreconditionError("subject differs from the session's INITIAL");
    return;
  }
  AccountEntry* account = FindAccount(req.subject());
  const int64_t now = NowMs();
  if (account != nullptr) account->used_ms = now;
  if (s == nullptr) {
    std::unique_ptr<SessionEntry>& slot = sessions_[req.session_id()];
    slot = std::make_unique<SessionEntry>();
    slot->id = req.session_id();
    s = slot.get();
  }
  absl::StatusOr<v1::CreditControlAnswer> answer;
  switch (req.request_type()) {
    case v1::REQUEST_TYPE_INITIAL:
      answer = Initial(req, *s, account, ws);
      break;
    case v1::REQUEST_TYPE_EVENT:
      answer = Event(req, *s, account, ws);
      break;
    case v1::REQUEST_TYPE_UPDATE:
      answer = Update(req, *s, account, ws);
      break;
    default:
      answer = Terminate(req, *s, account, ws);
  }
  if (!answer.ok()) {
    job.status = answer.status();
    return;
  }
  std::string bytes = answer->SerializeAsString();
  s->cc.last_request_number = req.request_number();
  s->cc.last_activity_ms = now;
  s->answers[req.request_number()] = std::move(bytes);
  ws.Touch(s);
  *job.cc_answer = *std::move(answer);
}

v1::CreditControlAnswer Engine::Initial(const v1::CreditControlRequest& req, SessionEntry& e,
                                        AccountEntry* account, WriteSet&) {
  const int64_t now = NowMs();
  const TariffRates tariff = tariffs_.Cached("", options_.clock());
  SessionRow& s = e.cc;
  e.has_cc = true;
  OpenRow(req, account != nullptr ? account->currency : "", tariff, now, &s);
  auto refuse = [&](v1::ResultCode code, std::string why) {
    CloseRefused(&s, now, "refused");
    return Answer(req, code, std::move(why));
  };
  if (account == nullptr) {
    return refuse(v1::RESULT_CODE_USER_UNKNOWN, "no account for this subscriber");
  }
  const v1::Rating& rating = req.rating();
  if (IsFree(rating)) {
    // Free content needs no credit control, but the session row keeps what its CDR needs.
    s.state = "not_applicable";
    s.price_model = "free";
    s.price_minor = 0;
    e.expires_at_ms = s.expires_at_ms = now + 2 * tariff.validity_seconds * 1000;
    return Answer(req, v1::RESULT_CODE_CREDIT_CONTROL_NOT_APPLICABLE, "free content");
  }
  auto reserve = ReservationFor(rating, req.requested(), tariff.per_byte_grant_bytes);
  if (!reserve.ok()) {
    return refuse(v1::RESULT_CODE_RATING_FAILED, std::string(reserve.status().message()));
  }
  if (rating.price().currency() != account->currency) {
    return refuse(v1::RESULT_CODE_RATING_FAILED, absl::StrCat("price in ", rating.price().currency(),
                                                             ", account in ", account->currency));
  }
  const int64_t available = account->available();
  const bool per_byte = rating.price_model() == "per_byte";
  s.granted_bytes = per_byte ? (req.requested().bytes_down() > 0 ? req.requested().bytes_down()
                                                                 : tariff.per_byte_grant_bytes)
                             : 0;
  bool final_units = false;
  if (available < *reserve) {
    // Per-byte content: what the balance covers, as the last units, when that is a MiB or more
    // (as UPDATE does when the next grant is only partly affordable).
    const int64_t price = rating.price().minor();
    if (!per_byte || price <= 0 || available < price) {
      return refuse(v1::RESULT_CODE_CREDIT_LIMIT_REACHED,
                    absl::StrCat("out of credit: ", available, " available, ",
                                 per_byte ? std::min(*reserve, std::max<int64_t>(price, 1)) : *reserve,
                                 " needed"));
    }
    s.granted_bytes = BytesFor(price, available);
    if (PerMiB(price, s.granted_bytes) > available) --s.granted_bytes;  // rounding
    *reserve = PerMiB(price, s.granted_bytes);
    final_units = true;
  }
  s.state = "open";
  open_reservations_.fetch_add(1, std::memory_order_relaxed);
  s.reserved_minor = *reserve;
  // A reservation stays for two validity periods: the client must UPDATE within the first.
  e.expires_at_ms = s.expires_at_ms = now + 2 * tariff.validity_seconds * 1000;
  Reserve(s.subject, account, *reserve);  // held by the session row, written anyway
  v1::CreditControlAnswer out = Answer(req, v1::RESULT_CODE_SUCCESS, "reserved");
  SetMoney(out.mutable_granted()->mutable_money(), *reserve, account->currency);
  out.mutable_granted()->set_bytes_down(s.granted_bytes);
  out.set_validity_seconds(tariff.validity_seconds);
  // The last units the balance can cover: after this grant another one would not be affordable.
  if (per_byte && (final_units || available - *reserve < *reserve)) {
    out.set_final_unit_action(v1::FINAL_UNIT_ACTION_TERMINATE);
  }
  return out;
}

absl::Status Engine::RecordUsage(const v1::CreditControlRequest& req, SessionEntry& e,
                                 WriteSet& ws) {
  SessionRow& s = e.cc;
  const v1::ServiceUnits& used = req.used();
  const int64_t now = NowMs();
  const int64_t elapsed_ms = now - s.opened_at_ms;
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
    PoolEntry* pool = PoolFor(s.content_id, now / 1000 / 3600 * 3600);
    pool->bytes_down += used.bytes_down();
    pool->delta_down += used.bytes_down();
    if (used.bytes_up() > 0) {
      ws.Touch(pool);  // credit given is written with the incentive
      // Load() read the totals for every report with uploads.
      const int64_t room = std::max<int64_t>(0, pool->bytes_down - pool->bytes_up_credited);
      credited = std::min(used.bytes_up(), room);
      pool->bytes_up_credited += credited;
      pool->bytes_up_over_claimed += used.bytes_up() - credited;
      pool->delta_credited += credited;
      pool->delta_over_claimed += used.bytes_up() - credited;
    }
  }
  int64_t incentive = 0;
  const TariffRates tariff = tariffs_.Cached(s.tariff_id, options_.clock());
  if (tariff.currency == s.currency) incentive = IncentiveFor(tariff, used, credited);
  if (incentive > 0) {
    if (AccountEntry* uploader = FindAccount(s.subject); uploader != nullptr) {
      uploader->balance += incentive;
      uploader->incentive += incentive;
      ws.Touch(uploader);
      ws.Add(LedgerRow{s.subject, incentive, s.currency, "incentive", s.session_id, "charging", ""});
    } else {
      incentive = 0;
    }
  }
  s.bytes_down += used.bytes_down();
  s.bytes_up += used.bytes_up();
  s.bytes_up_same_cell += used.bytes_up_same_cell();
  s.bytes_up_same_area += used.bytes_up_same_area();
  s.bytes_up_credited += credited;
  s.bytes_up_over_claimed += used.bytes_up() - credited;
  s.incentive_minor += incentive;
  return absl::OkStatus();
}

absl::StatusOr<v1::CreditControlAnswer> Engine::Update(const v1::CreditControlRequest& req,
                                                       SessionEntry& e, AccountEntry* account,
                                                       WriteSet& ws) {
  if (absl::Status ok = RecordUsage(req, e, ws); !ok.ok()) return ok;
  SessionRow& s = e.cc;
  const TariffRates tariff = tariffs_.Cached(s.tariff_id, options_.clock());
  v1::CreditControlAnswer out = Answer(req, v1::RESULT_CODE_SUCCESS, "usage recorded");
  out.set_validity_seconds(tariff.validity_seconds);
  if (s.price_model == "per_byte" && account != nullptr) {
    // Reserve the cost of everything granted so far plus the next grant.
    const int64_t want = req.requested().bytes_down() > 0 ? req.requested().bytes_down()
                                                          : tariff.per_byte_grant_bytes;
    const int64_t base = std::max(s.bytes_down, s.granted_bytes);
    const int64_t available = account->available();
    int64_t grant = want;
    int64_t extra = PerMiB(s.price_minor, base + grant) - s.reserved_minor;
    if (extra > available) {
      // Only part of the next grant is affordable: grant that much, and say it is the last.
      grant = std::max<int64_t>(0, BytesFor(s.price_minor, s.reserved_minor + available) - base);
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
    extra = std::max<int64_t>(0, extra);
    if (extra > 0) Reserve(s.subject, account, extra);
    s.granted_bytes = base + grant;
    s.reserved_minor += extra;
    out.mutable_granted()->set_bytes_down(grant);
    SetMoney(out.mutable_granted()->mutable_money(), extra, s.currency);
  }
  e.expires_at_ms = s.expires_at_ms = NowMs() + 2 * tariff.validity_seconds * 1000;
  return out;
}

int64_t Engine::Settle(SessionEntry& e, const std::string& cause, bool incomplete,
                       std::string* note, WriteSet& ws) {
  SessionRow& s = e.cc;
  int64_t charge = ChargeFor(s.price_model, s.price_minor, s.bytes_down, cause);
  if (AccountEntry* account = FindAccount(s.subject); account != nullptr) {
    // Usage beyond the grant is charged only as far as the balance allows (this session's own
    // reservation counts as available to it).
    const int64_t can_pay = account->available() + s.reserved_minor;
    if (charge > can_pay) {
      *note = absl::StrCat("charge capped at what the balance allows: ", can_pay, " of ", charge);
      charge = std::max<int64_t>(0, can_pay);
    }
    account->balance -= charge;
    ws.Touch(account);
    if (charge != 0) {
      ws.Add(LedgerRow{s.subject, -charge, s.currency, "session charge", s.session_id, "charging",
                       ""});
    }
  }
  Reserve(s.subject, FindAccount(s.subject), -s.reserved_minor);
  const int64_t now = NowMs();
  s.charged_minor = charge;
  s.cdr_sequence = ws.Add(SessionCdr(s, charge, cause, incomplete));
  if (s.state == "open") open_reservations_.fetch_sub(1, std::memory_order_relaxed);
  s.state = "terminated";
  s.reserved_minor = 0;
  s.closed_at_ms = now;
  s.close_cause = cause.empty() ? "normal" : cause;
  e.closed_ms = now;
  ws.Touch(&e);
  return charge;
}

absl::StatusOr<v1::CreditControlAnswer> Engine::Terminate(const v1::CreditControlRequest& req,
                                                          SessionEntry& e, AccountEntry*,
                                                          WriteSet& ws) {
  if (absl::Status ok = RecordUsage(req, e, ws); !ok.ok()) return ok;
  std::string note;
  const int64_t charge = Settle(e, req.termination_cause(), false, &note, ws);
  v1::CreditControlAnswer out =
      Answer(req, v1::RESULT_CODE_SUCCESS, note.empty() ? "settled" : note);
  SetMoney(out.mutable_charged(), charge, e.cc.currency);
  out.set_cdr_sequence(e.cc.cdr_sequence);
  return out;
}

v1::CreditControlAnswer Engine::Event(const v1::CreditControlRequest& req, SessionEntry& e,
                                      AccountEntry* account, WriteSet& ws) {
  const int64_t now = NowMs();
  SessionRow& s = e.cc;
  e.has_cc = true;
  OpenRow(req, account != nullptr ? account->currency : "",
          tariffs_.Cached("", options_.clock()), now, &s);
  CloseRefused(&s, now, "refused");
  e.closed_ms = now;
  if (account == nullptr) {
    return Answer(req, v1::RESULT_CODE_USER_UNKNOWN, "no account for this subscriber");
  }
  const v1::Rating& rating = req.rating();
  if (IsFree(rating)) return Answer(req, v1::RESULT_CODE_CREDIT_CONTROL_NOT_APPLICABLE, "free");
  if (rating.price_model() == "per_byte") {
    return Answer(req, v1::RESULT_CODE_RATING_FAILED, "per-byte content is charged by session");
  }
  if (rating.price().currency() != account->currency) {
    return Answer(req, v1::RESULT_CODE_RATING_FAILED,
                  absl::StrCat("price in ", rating.price().currency(), ", account in ",
                               account->currency));
  }
  const int64_t price = rating.price().minor();
  const int64_t available = account->available();
  if (available < price) {
    return Answer(req, v1::RESULT_CODE_CREDIT_LIMIT_REACHED,
                  absl::StrCat("out of credit: ", available, " available, ", price, " needed"));
  }
  account->balance -= price;
  ws.Touch(account);
  ws.Add(LedgerRow{req.subject(), -price, account->currency, "event charge", req.session_id(),
                   "charging", ""});
  s.close_cause = "normal";
  s.charged_minor = price;
  // The session row OpenRow filled holds everything the event's CDR says.
  CdrRow cdr = SessionCdr(s, price, s.close_cause, /*incomplete=*/false);
  cdr.record_type = "event";
  cdr.sip_method = "";
  s.cdr_sequence = ws.Add(std::move(cdr));
  v1::CreditControlAnswer out = Answer(req, v1::RESULT_CODE_SUCCESS, "charged");
  SetMoney(out.mutable_charged(), price, account->currency);
  out.set_cdr_sequence(s.cdr_sequence);
  return out;
}

}  // namespace p2pims::charging
