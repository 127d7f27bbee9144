// Counter: a value that only goes up, e.g. requests served or bytes sent. Name it with a
// `_total` suffix.
//
//   auto& served = BuildCounter().Name("p2pims_tracker_announces_total")
//                      .Help("Announces answered.").Register(registry);
//   Counter& http = served.Add({{"transport", "http"}});   // cache it
//   http.Increment();
#pragma once

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "lib/metrics/builder.h"
#include "lib/metrics/metric.h"

namespace p2pims::metrics {

class Counter {
 public:
  static constexpr MetricType kType = MetricType::kCounter;

  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Adds `v`. Negative and NaN values are ignored: a counter never goes down.
  void Increment(double v = 1.0);
  double Value() const;

 private:
  std::atomic<double> value_{0.0};
};
// Thread-safe and lock-free.

// The counter's one sample, for Family<Counter>::Collect.
void AppendSamples(const Counter& counter, std::vector<std::pair<std::string, std::string>> labels,
                   std::vector<Sample>& out);

detail::Builder<Counter> BuildCounter();

}  // namespace p2pims::metrics
