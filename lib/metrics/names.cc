#include "lib/metrics/names.h"

#include <stdexcept>
#include <string>

namespace p2pims::metrics::detail {
namespace {

bool IsLetterOrUnderscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsLetterOrUnderscore(c) || (allow_colon && c == ':') || (i > 0 && IsDigit(c));
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool IsValidMetricName(std::string_view name) { return IsValidName(name, /*allow_colon=*/true); }

bool IsValidLabelName(std::string_view name) { return IsValidName(name, /*allow_colon=*/false); }

void CheckMetricName(std::string_view name) {
  if (!IsValidMetricName(name)) {
    throw std::invalid_argument("invalid metric name \"" + std::string(name) + "\"");
  }
}

void CheckLabelName(std::string_view name, MetricType type) {
  if (!IsValidLabelName(name)) {
    throw std::invalid_argument("invalid label name \"" + std::string(name) + "\"");
  }
  if (type == MetricType::kHistogram && name == "le") {
    throw std::invalid_argument("label \"le\" is reserved for histogram buckets");
  }
}

}  // namespace p2pims::metrics::detail
