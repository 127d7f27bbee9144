#include "services/sip-edge/sessions.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/encoding/encoding.h"
#include "lib/log/log.h"
#include "lib/status/status_macros.h"
#include "services/sip-edge/descriptor.h"
#include "services/sip-edge/ims_headers.h"
#include "services/sip-edge/sdp.h"

namespace p2pims::sip_edge {
namespace {

// The largest body a 200 over UDP may carry: 65,507 bytes a datagram less room for the headers.
constexpr size_t kMaxUdpAnswerBody = 60 * 1024;

// 1-128 of A-Z a-z 0-9 . _ ~ - (checked by hand: std::regex costs microseconds per INVITE).
bool ValidContentId(const std::string& id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                  c == '~' || c == '-';
         });
}

std::string NewSessionId() {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  return Hex({reinterpret_cast<const char*>(raw), sizeof raw});
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

// Charging rates by the short name: PRICE_MODEL_PER_BYTE -> "per_byte".
std::string PriceModelName(rv1::PriceModel model) {
  std::string name = rv1::PriceModel_Name(model);
  constexpr std::string_view kPrefix = "PRICE_MODEL_";
  if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace

cv1::CreditControlRequest SessionManager::Ccr(const Active& a, cv1::RequestType type,
                                              int64_t number) const {
  cv1::CreditControlRequest r;
  r.set_session_id(a.session_id);
  r.set_request_number(number);
  r.set_request_type(type);
  r.set_subject(a.subject);
  r.set_icid(a.icid);
  r.set_locality(a.locality);
  r.set_node_id(config_.node_id);
  r.set_event_time_ms(NowMs());
  r.set_access_network_info(a.access_network_info);
  r.set_called_party(a.called_party);
  return r;
}

cv1::AccountingRequest SessionManager::Acr(const Active& a, cv1::RecordType type,
                                           int64_t number) const {
  cv1::AccountingRequest r;
  r.set_session_id(a.session_id);
  r.set_record_number(number);
  r.set_record_type(type);
  r.set_subject(a.subject);
  r.set_icid(a.icid);
  r.set_content_id(a.content_id);
  r.set_locality(a.locality);
  r.set_node_id(config_.node_id);
  r.set_event_time_ms(NowMs());
  r.set_access_network_info(a.access_network_info);
  r.set_called_party(a.called_party);
  r.set_sip_method("INVITE");
  return r;
}

SessionManager::SessionManager(Backends& backends, AccountingQueue& accounting,
                               SessionConfig config, metrics::Registry& registry)
    : backends_(backends),
      accounting_(accounting),
      config_(std::move(config)),
      reply_(registry, {.warn_agent = config_.warn_agent,
                        .retry_after_seconds = config_.retry_after_seconds}),
      identify_(config_.trusted, config_.authenticator, reply_),
      setup_seconds_(metrics::BuildHistogram()
                         .Name("p2pims_sip_session_setup_seconds")
                         .Help("Time from INVITE to its final response.")
                         .Register(registry)
                         .Add({}, metrics::LatencyBuckets())),
      active_gauge_(metrics::BuildGauge()
                        .Name("p2pims_sip_active_sessions")
                        .Help("Content sessions established and not yet torn down.")
                        .Register(registry)
                        .Add({})),
      teardown_failures_(metrics::BuildCounter()
                             .Name("p2pims_sip_teardown_failures_total")
                             .Help("Session teardowns left incomplete: a step was refused or every retry failed.")
                             .Register(registry)
                             .Add({})) {}

void SessionManager::BeginSetUp(uint64_t id) {
  absl::MutexLock lock(&mu_);
  setting_up_.try_emplace(id, false);
}

void SessionManager::AbandonSetUp(uint64_t id) {
  absl::MutexLock lock(&mu_);
  setting_up_.erase(id);
}

SipResponse SessionManager::HandleInvite(const SipRequest& req) {
  {
    absl::MutexLock lock(&mu_);
    setting_up_.try_emplace(req.id, false);  // kept true if the dialog already ended
  }
  Active a;
  SipResponse r = SetUp(req, &a);
  bool ended;
  {
    absl::MutexLock lock(&mu_);
    ended = setting_up_[req.id];
    setting_up_.erase(req.id);
    if (r.status == 200 && !ended) {
      active_[req.id] = a;
      active_gauge_.Set(static_cast<double>(active_.size()));
    }
  }
  if (r.status == 200 && ended) {
    log::Info("dialog ended during set-up", {{"session_id", a.session_id}});
    Teardown(a);
    return reply_("INVITE", 487, "Request Terminated");
  }
  return r;
}

SipResponse SessionManager::SetUp(const SipRequest& req, Active* established) {
  const auto start = std::chrono::steady_clock::now();
  struct Observe {
    metrics::Histogram& h;
    std::chrono::steady_clock::time_point start;
    ~Observe() {
      h.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  } observe{setup_seconds_, start};

  if (!ValidContentId(req.request_user)) {
    return reply_("INVITE", 400, "Bad Request", "Request-URI must be sip:<content-id>@<domain>");
  }
  if (!config_.domains.empty() && std::find(config_.domains.begin(), config_.domains.end(),
                                            req.request_host) == config_.domains.end()) {
    return reply_("INVITE", 404, "Not Found", "unknown content domain " + req.request_host);
  }
  // An SDP offer is answered (every stream declined) beside the descriptor; an unusable one is
  // refused before any backend is asked.
  std::optional<SdpOffer> offer;
  if (absl::EqualsIgnoreCase(req.content_type, "application/sdp")) {
    std::string why;
    offer = ParseSdpOffer(req.body, &why);
    if (!offer) return reply_("INVITE", 488, "Not Acceptable Here", "unusable SDP offer: " + why);
  }
  auto who = identify_(req, absl::Now());
  if (auto* denied = std::get_if<SipResponse>(&who)) return *denied;

  Active a;
  a.subject = std::get<std::string>(who);
  a.content_id = req.request_user;
  a.session_id = NewSessionId();
  a.icid = ParseChargingVector(req.p_charging_vector).icid;
  if (a.icid.empty()) a.icid = NewIcid(config_.node_id);
  const AccessNetwork access = ParseAccessNetworkInfo(req.p_access_network_info);
  a.locality = access.locality;
  a.access_network_info = req.p_access_network_info;
  a.called_party = "sip:" + req.request_user + "@" + req.request_host;

  rv1::AuthorizeRequest auth;
  auth.set_subject(a.subject);
  auth.set_content_id(a.content_id);
  auth.set_locality(a.locality);
  // Only a trusted CSCF can vouch for the cell; a terminal's own claim never unlocks territory.
  auth.set_locality_verified(access.network_provided && identify_.Trusted(req));
  auth.set_session_id(a.session_id);
  auth.set_role("leech");
  auth.set_device(req.from);
  auto decision = backends_.Authorize(auth);
  if (!decision.ok()) {
    if (decision.status().code() == absl::StatusCode::kInvalidArgument) {
      return reply_("INVITE", 400, "Bad Request", std::string(decision.status().message()));
    }
    return reply_.Unavailable("INVITE", "rights");
  }
  if (!decision->allowed()) {
    if (decision->reason() == rv1::DENY_REASON_UNKNOWN_CONTENT) {
      return reply_("INVITE", 404, "Not Found", decision->message());
    }
    return reply_("INVITE", 403, "Forbidden", decision->message());
  }

  cv1::CreditControlRequest ccr = Ccr(a, cv1::REQUEST_TYPE_INITIAL, 0);
  cv1::Rating* rating = ccr.mutable_rating();
  rating->set_content_id(a.content_id);
  rating->set_owner(decision->owner());
  rating->set_price_model(PriceModelName(decision->price_model()));
  *rating->mutable_price()->mutable_currency() = decision->price().currency();
  rating->mutable_price()->set_minor(decision->price().minor());
  rating->set_owner_share_bp(decision->owner_share_bp());
  auto cca = backends_.CreditControl(ccr);
  if (!cca.ok()) return reply_.Unavailable("INVITE", "charging");
  switch (cca->result_code()) {
    case cv1::RESULT_CODE_SUCCESS:
      a.credit_controlled = true;
      break;
    case cv1::RESULT_CODE_CREDIT_CONTROL_NOT_APPLICABLE:
      break;
    case cv1::RESULT_CODE_CREDIT_LIMIT_REACHED:
      return reply_("INVITE", 402, "Payment Required", cca->message());
    case cv1::RESULT_CODE_USER_UNKNOWN:
      return reply_("INVITE", 403, "Forbidden", "no charging account for this subscriber");
    default:
      return reply_("INVITE", 403, "Forbidden", "charging refused: " + cca->message());
  }

  tv1::OpenSessionRequest open;
  open.set_token(decision->token());
  open.set_session_id(a.session_id);
  open.set_content_id(a.content_id);
  open.set_max_peers(50);
  if (a.credit_controlled) {
    // The tracker asks charging for more (UPDATE 1, 2, ...) as the peers use this grant up.
    tv1::CreditGrant* credit = open.mutable_credit();
    credit->set_request_number(ccr.request_number());
    credit->set_granted_bytes_down(cca->granted().bytes_down());
    credit->set_validity_seconds(cca->validity_seconds());
    credit->set_final_units(cca->final_unit_action() == cv1::FINAL_UNIT_ACTION_TERMINATE);
  }
  auto swarm = backends_.OpenSession(open);
  if (!swarm.ok()) {
    ReleaseReservation(a);
    if (swarm.status().code() == absl::StatusCode::kNotFound) {
      return reply_("INVITE", 404, "Not Found", "content is not available for distribution");
    }
    if (IsTransient(swarm.status())) return reply_.Unavailable("INVITE", "tracker");
    return reply_("INVITE", 500, "Server Internal Error", std::string(swarm.status().message()));
  }

  SessionDescriptor d;
  d.session_id = a.session_id;
  d.icid = a.icid;
  d.content_id = a.content_id;
  d.info_hash = swarm->info_hash();
  d.name = swarm->name();
  d.size_bytes = swarm->size_bytes();
  d.token = decision->token();
  d.expires_at = decision->expires_at();
  d.announce_urls.assign(swarm->announce_urls().begin(), swarm->announce_urls().end());
  d.metainfo = swarm->metainfo();
  d.progress_uri = absl::StrCat("sip:", a.session_id, "@", req.request_host);
  std::string content_type = kDescriptorType, body = RenderDescriptor(d);
  if (offer) {
    Multipart both =
        MultipartMixed({{"application/sdp", DeclineAll(*offer, a.session_id)}, {kDescriptorType, body}});
    content_type = std::move(both.content_type);
    body = std::move(both.body);
  }
  // A UDP datagram holds at most 65,507 bytes. The descriptor carries the metainfo, which grows
  // with the number of pieces (52 bytes each for a hybrid torrent, before base64): beyond this
  // Sofia-SIP could not send the 200 and would answer 500 itself, the session set up behind it.
  if (req.transport == "udp" && body.size() > kMaxUdpAnswerBody) {
    AbandonSession(a);
    return reply_("INVITE", 500, "Server Internal Error",
                  absl::StrCat("the session descriptor (", body.size(),
                               " bytes) is too large for UDP: send the INVITE over TCP"));
  }

  // Sent in a batch after this answer; a full queue means charging has not taken records for
  // long, and sessions whose CDR might not be written are not started.
  if (!accounting_.Submit(Acr(a, cv1::RECORD_TYPE_START, 0))) {
    AbandonSession(a);
    return reply_.Unavailable("INVITE", "charging");
  }
  a.ends_at = absl::Now() + config_.max_session;
  if (decision->expires_at() > 0) {
    a.ends_at = std::min(a.ends_at, absl::FromUnixSeconds(decision->expires_at()));
  }
  *established = a;
  log::Info("session established", {{"session_id", a.session_id},
                                    {"icid", a.icid},
                                    {"subject", a.subject},
                                    {"content_id", a.content_id}});
  SipResponse ok = reply_("INVITE", 200, "OK");
  ok.content_type = std::move(content_type);
  ok.body = std::move(body);
  return ok;
}

template <typename F>
bool SessionManager::Retry(const char* step, const Active& a, F&& attempt) {
  absl::Duration pause = config_.teardown_backoff;
  for (int i = 0; i < config_.teardown_attempts; ++i) {
    absl::Status s = attempt();
    if (s.ok()) return true;
    if (!IsTransient(s)) {
      log::Error("teardown step refused",
                 {{"step", step}, {"session_id", a.session_id}, {"error", s.message()}});
      return false;
    }
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(pause));  // backoff, not sync
    pause = std::min(pause * 2, absl::Seconds(5));
  }
  log::Error(
      "teardown step abandoned",
      {{"step", step}, {"session_id", a.session_id}, {"icid", a.icid}, {"subject", a.subject}});
  return false;
}

void SessionManager::ReleaseReservation(const Active& a) {
  if (!a.credit_controlled) return;
  // "setup_failed": the service was never delivered, so charging releases without a charge.
  cv1::CreditControlRequest ccr = Ccr(a, cv1::REQUEST_TYPE_TERMINATION, 1);
  ccr.set_termination_cause("setup_failed");
  Retry("release", a, [&] { return backends_.CreditControl(ccr).status(); });
}

void SessionManager::AbandonSession(const Active& a) {
  tv1::CloseSessionRequest close;
  close.set_session_id(a.session_id);
  close.set_cause("setup_failed");
  Retry("close_session", a, [&] { return backends_.CloseSession(close).status(); });
  ReleaseReservation(a);
}

bool SessionManager::HandleBye(const SipRequest& req) {
  Active a;
  {
    absl::MutexLock lock(&mu_);
    auto it = active_.find(req.id);
    if (it == active_.end()) {
      // Still being set up: HandleInvite tears it down when it finishes. Otherwise the dialog
      // never got a session, or it was torn down already.
      if (auto p = setting_up_.find(req.id); p != setting_up_.end()) p->second = true;
      return true;
    }
    a = it->second;
    // The stack's own BYE (session timer run out, ACK never came) ends it like a time limit.
    if (req.stack_ended) a.cause = "timeout";
    active_.erase(it);
    active_gauge_.Set(static_cast<double>(active_.size()));
  }
  return Teardown(a);
}

bool SessionManager::Teardown(const Active& a) {
  tv1::CloseSessionResponse usage;
  tv1::CloseSessionRequest close;
  close.set_session_id(a.session_id);
  close.set_cause(a.cause);
  bool ok = Retry("close_session", a, [&]() -> absl::Status {
    auto r = backends_.CloseSession(close);
    if (r.ok()) usage = *r;
    return r.status();
  });
  if (a.credit_controlled) {
    // It follows the tracker's UPDATEs and carries what they did not report.
    cv1::CreditControlRequest ccr =
        Ccr(a, cv1::REQUEST_TYPE_TERMINATION, usage.credit_request_number() + 1);
    ccr.mutable_used()->set_bytes_down(usage.credit_unreported_bytes_down());
    ccr.mutable_used()->set_bytes_up(usage.credit_unreported_bytes_up());
    ccr.set_termination_cause(a.cause);
    ok = Retry("termination", a, [&] { return backends_.CreditControl(ccr).status(); }) && ok;
  }
  cv1::AccountingRequest stop = Acr(a, cv1::RECORD_TYPE_STOP, 1);
  // The tracker already sent the rest as INTERIM records.
  stop.mutable_used()->set_bytes_down(usage.unreported_bytes_down());
  stop.mutable_used()->set_bytes_up(usage.unreported_bytes_up());
  stop.set_cause(a.cause);
  // Queued behind the session's START; sent here and now only when the queue is full.
  if (!accounting_.Submit(stop)) {
    ok = Retry("accounting_stop", a, [&] { return backends_.Accounting(stop).status(); }) && ok;
  }
  if (!ok) teardown_failures_.Increment();
  log::Info("session closed", {{"session_id", a.session_id}, {"icid", a.icid}, {"complete", ok}});
  if (config_.on_ended) config_.on_ended(a.session_id);
  return ok;
}

std::vector<uint64_t> SessionManager::Overdue(absl::Time now) {
  std::vector<uint64_t> due;
  absl::MutexLock lock(&mu_);
  for (auto& [id, a] : active_) {
    if (a.ends_at <= now && a.cause == "normal") {
      a.cause = "timeout";
      due.push_back(id);
    }
  }
  if (!due.empty()) log::Info("sessions past their end", {{"count", static_cast<int64_t>(due.size())}});
  return due;
}

std::vector<std::pair<uint64_t, std::string>> SessionManager::OpenSessions() const {
  std::vector<std::pair<uint64_t, std::string>> out;
  absl::MutexLock lock(&mu_);
  out.reserve(active_.size());
  for (const auto& [id, a] : active_) {
    if (a.cause == "normal") out.emplace_back(id, a.session_id);
  }
  return out;
}

bool SessionManager::EndForCredit(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = active_.find(id);
  if (it == active_.end() || it->second.cause != "normal") return false;
  it->second.cause = "out_of_credit";
  return true;
}

size_t SessionManager::active() const {
  absl::MutexLock lock(&mu_);
  return active_.size();
}

}  // namespace p2pims::sip_edge
