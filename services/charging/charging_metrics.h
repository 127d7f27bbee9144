// The metrics charging exposes. Counters are bumped by the handlers; the gauges are read from
// PostgreSQL at each scrape (open reservations, consumers' lag, the over-claim ratio), so every
// replica reports the same shared state.
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

namespace p2pims::charging {

class ChargingMetrics {
 public:
  // `leader` and `batches` read the engine's state at each scrape.
  ChargingMetrics(metrics::Registry& registry, pg::Pool& pool, std::function<bool()> leader = {},
                  std::function<int64_t()> batches = {});

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
