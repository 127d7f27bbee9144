// The metrics rights exposes, with the children the hot path uses resolved once up front.
#pragma once

#include <array>

#include "lib/metrics/counter.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/histogram.h"
#include "lib/metrics/registry.h"
#include "p2pims/rights/v1/rights.pb.h"

namespace p2pims::rights {

struct RightsMetrics {
  explicit RightsMetrics(metrics::Registry& registry);

  // Decisions by result ("allow", "deny") and reason (the DenyReason name, "none" for allows).
  metrics::Counter& decision(bool allowed, v1::DenyReason reason) {
    return allowed ? *allowed_ : *denied_[reason];
  }

  metrics::Counter* allowed_;
  std::array<metrics::Counter*, v1::DenyReason_ARRAYSIZE> denied_{};
  metrics::Counter& tokens_issued;
  metrics::Counter& content_hit;
  metrics::Counter& content_miss;
  metrics::Counter& subject_hit;
  metrics::Counter& subject_miss;
  metrics::Counter& cache_bypass;
  metrics::Counter& device_slot_checks;
  metrics::Histogram& authorize_seconds;
  metrics::Gauge& signing_key_age;
  metrics::Gauge& verify_keys;
  metrics::Counter& key_reload_failures;
  metrics::Gauge& listener_live;
  metrics::Gauge& audit_backlog;
  metrics::Gauge& audit_written;
  metrics::Gauge& revocations_in_force;
  metrics::Counter& audit_refusals;
};

}  // namespace p2pims::rights
