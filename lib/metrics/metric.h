// The vocabulary shared by every metric type: Labels, MetricType, and the samples a family
// reports when the registry collects it for exposition.
//
//   Labels labels = {{"method", "Authorize"}, {"code", "OK"}};
//   std::vector<FamilySnapshot> families = registry.Collect();
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p2pims::metrics {

// Label name -> value. A std::map, so equal label sets compare equal and iterate in name order.
using Labels = std::map<std::string, std::string>;

enum class MetricType { kCounter, kGauge, kHistogram };

// The `# TYPE` keyword of a metric type: "counter", "gauge" or "histogram".
std::string_view TypeName(MetricType type);

// One exposed line: the family name plus `suffix` ("", "_bucket", "_sum", "_count"), labels in
// output order, and the value.
struct Sample {
  std::string_view suffix;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

// Everything one family exposes at the moment it was collected. Samples are grouped by child,
// children in label order.
struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  std::vector<Sample> samples;
};

namespace detail {

// Adds `v` to `target` without a lock (compare-and-swap loop).
inline void AtomicAdd(std::atomic<double>& target, double v) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + v, std::memory_order_relaxed)) {
  }
}

}  // namespace detail
}  // namespace p2pims::metrics
