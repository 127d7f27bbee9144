// Writing collected families in the Prometheus text exposition format 0.0.4:
//
//   # HELP p2pims_x_total What it counts.
//   # TYPE p2pims_x_total counter
//   p2pims_x_total{service="rights"} 3
//
// Used by Registry::Serialize; the pieces are exposed for histogram bucket labels and tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/metrics/metric.h"

namespace p2pims::metrics::detail {

// A sample value Prometheus parses back exactly: integral values without exponent ("42"),
// others in the shortest round-trip form ("0.0005", "1e+20"), and "+Inf", "-Inf", "NaN".
std::string FormatValue(double v);
// HELP text with `\` and newline escaped.
std::string EscapeHelp(std::string_view help);
// A label value with `\`, `"` and newline escaped.
std::string EscapeLabelValue(std::string_view value);

// The families in the order given; families without samples are left out.
std::string WriteTextFormat(const std::vector<FamilySnapshot>& families);

}  // namespace p2pims::metrics::detail
