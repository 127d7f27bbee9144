// The metrics charging exposes. Counters are bumped by the handlers; gauges are read at each
// scrape: the writer's engine (writer or standby, batches, open reservations and the money they
// hold) and PostgreSQL (consumers' lag, the over-claim ratio).
#pragma once

#include <array>
#include <functional>
#include <map>
#include <utility>

#include "lib/metrics/counter.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/registry.h"
#include "lib/pg/pool.h"
#include "p2pims/charging/v1/charging.pb.h"
#include "services/charging/engine.h"

namespace p2pims::charging {

class ChargingMetrics {
 public:
  // `engine` (when given) is read at each scrape for the writer's figures; the rest comes from
  // PostgreSQL, so every replica reports the same shared state.
  ChargingMetrics(metrics::Registry& registry, pg::Pool& pool, const Engine* engine = nullptr);

  // One answered credit-control request.
  void CreditControl(const v1::CreditControlRequest& req, const v1::CreditControlAnswer& answer);
  // One request by type and result (accounting records, and refused requests by gRPC code).
  void Count(const std::string& type, const std::string& result);
  // One CDR written (its sequence was new to this process).
  void CdrWritten() { cdrs_written_.Increment(); }

 private:
  metrics::Registry& registry_;
  metrics::Family<metrics::Counter>& requests_;
  // Credit-control counters by (request type, result code), resolved once: no lookup per request.
  std::map<std::pair<int, int>, metrics::Counter*> cc_requests_;
  metrics::Counter& balance_exhausted_;
  metrics::Counter& cdrs_written_;
};

}  // namespace p2pims::charging
