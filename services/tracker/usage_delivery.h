// Delivery of metered usage to charging as Rf INTERIM records (Charging.AccountingBatch). The
// usage waits in PostgreSQL (tracker.usage_outbox, written by the announce plane's flush), so
// nothing is lost while charging is away: a row leaves the outbox only once charging recorded
// it, and a resent row is the same record (same session id and record number), counted once.
//
//   UsageDelivery delivery(store, charging_stub, "tracker-0", registry);
//   delivery.RunOnce();                 // from housekeeping, once a second
//   store.CloseSession(id, cause, delivery.Deliverer(), &expiry);
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/registry.h"
#include "p2pims/charging/v1/charging.grpc.pb.h"
#include "services/tracker/store.h"

namespace p2pims::tracker {

struct UsageDeliveryOptions {
  int batch = 1000;                            // records per AccountingBatch
  absl::Duration deadline = absl::Seconds(5);  // per call
  std::string node_id = "tracker-0";           // AccountingRequest.node_id
};

// Thread-safe.
class UsageDelivery {
 public:
  // Without a stub nothing is delivered: usage stays in the outbox's gathering rows and
  // CloseSession returns all of it as unreported (sip-edge's STOP carries it).
  UsageDelivery(TrackerStore& store, std::shared_ptr<charging::v1::Charging::StubInterface> charging,
                metrics::Registry& registry, UsageDeliveryOptions options);

  // Delivers what waits, batch after batch, until the outbox is empty or charging fails; then
  // refreshes the queue depth gauge. No-op without a stub.
  void RunOnce();
  // The sender for TrackerStore (empty without a stub).
  UsageSender Deliverer();

 private:
  absl::StatusOr<std::vector<int64_t>> Send(const std::vector<InterimRecord>& records);

  TrackerStore& store_;
  const std::shared_ptr<charging::v1::Charging::StubInterface> charging_;
  const UsageDeliveryOptions options_;
  metrics::Counter& delivered_;
  metrics::Counter& refused_;
  metrics::Counter& failed_batches_;
  metrics::Gauge& depth_;
  bool warned_ = false;  // one warning per outage
};

}  // namespace p2pims::tracker
