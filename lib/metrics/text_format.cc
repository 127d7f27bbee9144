#include "lib/metrics/text_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "lib/encoding/encoding.h"

namespace p2pims::metrics {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

namespace detail {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is invalid.
std::string Escape(std::string_view text, bool quote) {
  const std::string clean = p2pims::SanitizeUtf8(text);
  std::string out;
  out.reserve(clean.size());
  for (char c : clean) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void AppendSample(const std::string& name, const Sample& sample, std::string& out) {
  out += name;
  out += sample.suffix;
  if (!sample.labels.empty()) {
    out.push_back('{');
    bool first = true;
    for (const auto& [label, value] : sample.labels) {
      if (!first) out.push_back(',');
      first = false;
      out += label;
      out += "=\"";
      out += EscapeLabelValue(value);
      out.push_back('"');
    }
    out.push_back('}');
  }
  out.push_back(' ');
  out += FormatValue(sample.value);
  out.push_back('\n');
}

}  // namespace

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Below 2^53 every integral double is an exact int64.
  if (std::trunc(v) == v && std::fabs(v) < 9007199254740992.0) {
    return std::to_string(static_cast<int64_t>(v));
  }
  // Shortest round-trip digits, laid out like Go's strconv 'g' (what Prometheus itself writes):
  // an exponent only below 1e-4 or from 1e6 up, so bucket bounds read "0.0005", not "5e-04".
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), v, std::chars_format::scientific);
  const std::string scientific(buffer, result.ptr);
  const int exponent = std::stoi(scientific.substr(scientific.find('e') + 1));
  if (exponent < -4 || exponent >= 6) return scientific;
  result = std::to_chars(buffer, buffer + sizeof(buffer), v, std::chars_format::fixed);
  return std::string(buffer, result.ptr);
}

std::string EscapeHelp(std::string_view help) { return Escape(help, /*quote=*/false); }

std::string EscapeLabelValue(std::string_view value) { return Escape(value, /*quote=*/true); }

std::string WriteTextFormat(const std::vector<FamilySnapshot>& families) {
  std::string out;
  for (const FamilySnapshot& family : families) {
    if (family.samples.empty()) continue;
    if (!family.help.empty()) {
      out += "# HELP " + family.name + " " + EscapeHelp(family.help) + "\n";
    }
    out += "# TYPE " + family.name + " ";
    out += TypeName(family.type);
    out.push_back('\n');
    for (const Sample& sample : family.samples) AppendSample(family.name, sample, out);
  }
  return out;
}

}  // namespace detail
}  // namespace p2pims::metrics
