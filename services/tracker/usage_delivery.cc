#include "services/tracker/usage_delivery.h"

#include "lib/grpc/client.h"
#include "lib/log/log.h"

namespace p2pims::tracker {
namespace {

metrics::Counter& Records(metrics::Registry& registry, const char* result) {
  return metrics::BuildCounter()
      .Name("p2pims_tracker_usage_records_total")
      .Help(
          "INTERIM usage records sent to charging, by outcome (delivered: recorded by charging; "
          "refused: charging will never take it, e.g. the session is closed there).")
      .Register(registry)
      .Add({{"result", result}});
}

// Per-record codes after which resending cannot help.
bool Permanent(int code) {
  return code == grpc::StatusCode::INVALID_ARGUMENT ||
         code == grpc::StatusCode::FAILED_PRECONDITION ||
         code == grpc::StatusCode::ALREADY_EXISTS || code == grpc::StatusCode::NOT_FOUND;
}

}  // namespace

UsageDelivery::UsageDelivery(TrackerStore& store,
                             std::shared_ptr<charging::v1::Charging::StubInterface> charging,
                             metrics::Registry& registry, UsageDeliveryOptions options)
    : store_(store),
      charging_(std::move(charging)),
      options_(std::move(options)),
      delivered_(Records(registry, "delivered")),
      refused_(Records(registry, "refused")),
      failed_batches_(metrics::BuildCounter()
                          .Name("p2pims_tracker_usage_delivery_failures_total")
                          .Help("AccountingBatch calls to charging that failed (retried later).")
                          .Register(registry)
                          .Add({})),
      depth_(metrics::BuildGauge()
                 .Name("p2pims_tracker_usage_outbox_rows")
                 .Help("Usage rows waiting in PostgreSQL for delivery to charging.")
                 .Register(registry)
                 .Add({})) {}

UsageSender UsageDelivery::Deliverer() {
  if (!charging_) return nullptr;
  return [this](const std::vector<InterimRecord>& records) { return Send(records); };
}

void UsageDelivery::RunOnce() {
  if (charging_) {
    for (;;) {
      auto sent = store_.DeliverUsage(options_.batch, Deliverer());
      if (!sent.ok()) {
        failed_batches_.Increment();
        if (!warned_) {
          log::Warn("usage not delivered to charging; it waits in the outbox",
                    {{"error", std::string(sent.status().message())}});
          warned_ = true;
        }
        break;
      }
      if (warned_) {
        log::Info("usage delivery to charging resumed");
        warned_ = false;
      }
      if (*sent < options_.batch) break;
    }
  }
  if (auto depth = store_.OutboxDepth(); depth.ok()) depth_.Set(static_cast<double>(*depth));
}

absl::StatusOr<std::vector<int64_t>> UsageDelivery::Send(
    const std::vector<InterimRecord>& records) {
  charging::v1::AccountingBatchRequest req;
  for (const InterimRecord& r : records) {
    charging::v1::AccountingRequest* a = req.add_records();
    a->set_session_id(r.session_id);
    a->set_record_number(r.record_number);
    a->set_record_type(charging::v1::RECORD_TYPE_INTERIM);
    a->set_subject(r.subject);
    a->set_content_id(r.content_id);
    a->mutable_used()->set_bytes_up(r.bytes_up);
    a->mutable_used()->set_bytes_down(r.bytes_down);
    a->set_locality(r.locality);
    a->set_event_time_ms(r.metered_at_ms);
    a->set_node_id(options_.node_id);
  }
  charging::v1::AccountingBatchResponse resp;
  absl::Status s = Call({.deadline = options_.deadline, .idempotent = true},
                        [&](grpc::ClientContext& ctx) {
                          return charging_->AccountingBatch(&ctx, req, &resp);
                        });
  if (!s.ok()) return s;
  if (resp.outcomes_size() != req.records_size()) {
    return absl::InternalError("charging answered a different number of records");
  }
  std::vector<int64_t> taken;
  for (int i = 0; i < resp.outcomes_size(); ++i) {
    const int code = resp.outcomes(i).code();
    if (code == 0) {
      delivered_.Increment();
    } else if (Permanent(code)) {
      refused_.Increment();
      log::Warn("charging refused an INTERIM usage record; dropped",
                {{"session_id", records[i].session_id},
                 {"record_number", std::to_string(records[i].record_number)},
                 {"error", resp.outcomes(i).error()}});
    } else {
      continue;  // e.g. UNAVAILABLE: resent later as the same record
    }
    taken.push_back(records[i].id);
  }
  return taken;
}

}  // namespace p2pims::tracker
