#include "lib/metrics/counter.h"

#include <utility>

namespace p2pims::metrics {

void Counter::Increment(double v) {
  if (!(v >= 0)) return;  // also rejects NaN
  detail::AtomicAdd(value_, v);
}

double Counter::Value() const { return value_.load(std::memory_order_relaxed); }

void AppendSamples(const Counter& counter, std::vector<std::pair<std::string, std::string>> labels,
                   std::vector<Sample>& out) {
  out.push_back(Sample{"", std::move(labels), counter.Value()});
}

detail::Builder<Counter> BuildCounter() { return {}; }

}  // namespace p2pims::metrics
