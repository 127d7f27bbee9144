// The fluent builder behind BuildCounter(), BuildGauge() and BuildHistogram():
//
//   Family<Gauge>& peers = BuildGauge()
//                              .Name("p2pims_tracker_peers")
//                              .Help("Peers in all swarms.")
//                              .Labels({{"service", "tracker"}})   // constant labels
//                              .Register(registry);
#pragma once

#include <string>

#include "lib/metrics/family.h"
#include "lib/metrics/metric.h"
#include "lib/metrics/registry.h"

namespace p2pims::metrics::detail {

template <typename T>
class Builder {
 public:
  Builder& Name(const std::string& name) {
    name_ = name;
    return *this;
  }
  Builder& Help(const std::string& help) {
    help_ = help;
    return *this;
  }
  // Labels every child of the family carries.
  Builder& Labels(const metrics::Labels& labels) {
    labels_ = labels;
    return *this;
  }
  // See Registry::Add for what happens when the name exists; throws std::invalid_argument on
  // invalid names.
  Family<T>& Register(Registry& registry) const { return registry.Add<T>(name_, help_, labels_); }

 private:
  std::string name_;
  std::string help_;
  metrics::Labels labels_;
};
// Not thread-safe; a builder is a temporary used by one thread.

}  // namespace p2pims::metrics::detail
