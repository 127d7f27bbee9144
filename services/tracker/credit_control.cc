#include "services/tracker/credit_control.h"

#include "absl/time/clock.h"
#include "lib/grpc/client.h"
#include "lib/log/log.h"
#include "lib/status/status_macros.h"

namespace p2pims::tracker {
namespace {

namespace cv1 = charging::v1;

metrics::Counter& Updates(metrics::Registry& registry, const char* result) {
  return metrics::BuildCounter()
      .Name("p2pims_tracker_credit_updates_total")
      .Help(
          "Ro CreditControl UPDATEs the tracker sent, by outcome (granted: charging recorded the "
          "usage and answered 2001; refused: charging granted nothing more or refused the "
          "request; failed: charging could not be asked, resent later).")
      .Register(registry)
      .Add({{"result", result}});
}

cv1::CreditControlRequest UpdateRequest(const CreditUpdate& u, const std::string& node_id) {
  cv1::CreditControlRequest r;
  r.set_session_id(u.session_id);
  r.set_request_number(u.request_number);
  r.set_request_type(cv1::REQUEST_TYPE_UPDATE);
  r.set_subject(u.subject);
  r.set_locality(u.locality);
  r.set_node_id(node_id);
  r.set_event_time_ms(absl::ToUnixMillis(absl::Now()));
  r.mutable_used()->set_bytes_down(u.bytes_down);
  r.mutable_used()->set_bytes_up(u.bytes_up);
  return r;
}

}  // namespace

CreditControl::CreditControl(CreditStore& store,
                             std::shared_ptr<cv1::Charging::StubInterface> charging,
                             StopAccess stop, metrics::Registry& registry,
                             CreditControlOptions options)
    : store_(store),
      charging_(std::move(charging)),
      stop_(std::move(stop)),
      options_(std::move(options)),
      granted_(Updates(registry, "granted")),
      refused_(Updates(registry, "refused")),
      failed_(Updates(registry, "failed")),
      ended_(metrics::BuildCounter()
                 .Name("p2pims_tracker_credit_sessions_ended_total")
                 .Help("Sessions whose swarm access the tracker ended because charging granted "
                       "no more units.")
                 .Register(registry)
                 .Add({})),
      waiting_(metrics::BuildGauge()
                   .Name("p2pims_tracker_credit_updates_waiting")
                   .Help("UPDATEs written ahead that charging has not answered after the last "
                         "round (at most one round's batch).")
                   .Register(registry)
                   .Add({})) {}

void CreditControl::RunOnce() {
  if (!charging_) return;
  auto due = store_.Due(options_.batch);
  if (!due.ok()) {
    log::Warn("credit control: the sessions cannot be read", {{"error", due.status().message()}});
    return;
  }
  absl::Status outage;
  size_t answered = 0;
  for (const CreditUpdate& u : *due) {
    absl::Status s = Send(u);
    if (!s.ok()) {
      outage = s;
      break;  // charging is away: the rest waits, written ahead
    }
    ++answered;
  }
  waiting_.Set(static_cast<double>(due->size() - answered));
  if (!outage.ok() && !warned_) {
    log::Warn("credit control: charging unreachable; UPDATEs wait and announces go on",
              {{"error", outage.message()}});
  } else if (outage.ok() && warned_) {
    log::Info("credit control: charging reachable again");
  }
  warned_ = !outage.ok();
  auto exhausted = store_.EndExhausted();
  if (!exhausted.ok()) return;
  for (const EndedSession& e : *exhausted) Ended(e, "final units used");
}

absl::StatusOr<CreditSettlement> CreditControl::Settle(const std::string& session_id) {
  // Usually nothing is on its way: one read answers.
  auto state = store_.PendingOrSettlement(session_id);
  if (!state.ok()) return state.status();
  if (!state->pending) return state->settlement;
  if (!charging_) return absl::InternalError("an UPDATE waits, but charging is now unset");
  if (absl::Status s = Send(*state->pending); !s.ok()) {
    return absl::UnavailableError(
        "this session's credit update is still on its way to charging; close it again later");
  }
  return store_.Settlement(session_id);
}

absl::Status CreditControl::Send(const CreditUpdate& u) {
  const cv1::CreditControlRequest req = UpdateRequest(u, options_.node_id);
  cv1::CreditControlAnswer answer;
  absl::Status call = Call({.deadline = options_.deadline, .idempotent = true},
                           [&](grpc::ClientContext& ctx) {
                             return charging_->CreditControl(&ctx, req, &answer);
                           });
  if (!call.ok() && IsTransient(call)) {
    failed_.Increment();
    return call;
  }
  if (!call.ok()) {
    // E.g. charging's session expired or was terminated: nothing will be granted, and the
    // number is free again for the TERMINATION.
    refused_.Increment();
    const std::string why = "charging refused the update: " + std::string(call.message());
    auto ended = store_.End(u, /*recorded=*/false, why);
    if (!ended.ok()) return ended.status();
    Ended(*ended, why);
    return absl::OkStatus();
  }
  const bool more = answer.result_code() == cv1::RESULT_CODE_SUCCESS;
  if (more) {
    granted_.Increment();
    return store_.Granted(u, {.granted_bytes_down = answer.granted().bytes_down(),
                              .final_units = answer.final_unit_action() ==
                                             cv1::FINAL_UNIT_ACTION_TERMINATE,
                              .validity_seconds = answer.validity_seconds()});
  }
  refused_.Increment();
  auto ended = store_.End(u, /*recorded=*/true, answer.message());
  if (!ended.ok()) return ended.status();
  Ended(*ended, answer.message());
  return absl::OkStatus();
}

void CreditControl::Ended(const std::optional<EndedSession>& session, const std::string& why) {
  if (!session) return;  // another caller applied the answer
  ended_.Increment();
  const absl::Time until = session->token_expires_at > 0
                               ? absl::FromUnixSeconds(session->token_expires_at)
                               : absl::Now() + absl::Hours(24);
  stop_(session->session_id, until);
  log::Info("swarm access ended by credit control",
            {{"session_id", session->session_id}, {"why", why}});
}

}  // namespace p2pims::tracker
