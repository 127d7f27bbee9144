#include "lib/metrics/gauge.h"

#include <utility>

namespace p2pims::metrics {

void Gauge::Set(double v) { value_.store(v, std::memory_order_relaxed); }

void Gauge::Increment(double v) { detail::AtomicAdd(value_, v); }

void Gauge::Decrement(double v) { detail::AtomicAdd(value_, -v); }

double Gauge::Value() const { return value_.load(std::memory_order_relaxed); }

void AppendSamples(const Gauge& gauge, std::vector<std::pair<std::string, std::string>> labels,
                   std::vector<Sample>& out) {
  out.push_back(Sample{"", std::move(labels), gauge.Value()});
}

detail::Builder<Gauge> BuildGauge() { return {}; }

}  // namespace p2pims::metrics
