// Prometheus naming rules, checked when a family is registered or a child is added. A bad name
// is a programming error, so the checks throw std::invalid_argument instead of returning a status.
//
//   detail::CheckMetricName("p2pims_rights_requests_total");    // fine
//   detail::CheckLabelName("le", MetricType::kHistogram);         // throws
#pragma once

#include <string_view>

#include "lib/metrics/metric.h"

namespace p2pims::metrics::detail {

// True for [a-zA-Z_:][a-zA-Z0-9_:]* not starting with "__" (reserved for Prometheus itself).
bool IsValidMetricName(std::string_view name);
// True for [a-zA-Z_][a-zA-Z0-9_]* not starting with "__".
bool IsValidLabelName(std::string_view name);

// Throw std::invalid_argument naming the offending name. A histogram may not use the label "le",
// which its buckets use.
void CheckMetricName(std::string_view name);
void CheckLabelName(std::string_view name, MetricType type);

}  // namespace p2pims::metrics::detail
