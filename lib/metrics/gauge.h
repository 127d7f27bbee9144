// Gauge: a value that goes up and down, e.g. peers connected or sessions open.
//
//   auto& open = BuildGauge().Name("p2pims_sip_edge_sessions")
//                    .Help("Content sessions open.").Register(registry);
//   Gauge& sessions = open.Add({});
//   sessions.Increment();  ...  sessions.Decrement();
#pragma once

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "lib/metrics/builder.h"
#include "lib/metrics/metric.h"

namespace p2pims::metrics {

class Gauge {
 public:
  static constexpr MetricType kType = MetricType::kGauge;

  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double v);
  void Increment(double v = 1.0);
  void Decrement(double v = 1.0);
  double Value() const;

 private:
  std::atomic<double> value_{0.0};
};
// Thread-safe and lock-free.

// The gauge's one sample, for Family<Gauge>::Collect.
void AppendSamples(const Gauge& gauge, std::vector<std::pair<std::string, std::string>> labels,
                   std::vector<Sample>& out);

detail::Builder<Gauge> BuildGauge();

}  // namespace p2pims::metrics
