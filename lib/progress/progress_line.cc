#include "lib/progress/progress_line.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace p2pims {
namespace {

constexpr int kBarWidth = 20;

std::string FormatScaled(double value, const char* unit_suffix) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (value < 1024) return absl::StrFormat("%.0f B%s", value, unit_suffix);
  int unit = -1;
  // Round first, so that 1023.96 KiB prints as "1.0 MiB" rather than "1024.0 KiB".
  while (unit + 1 < static_cast<int>(std::size(kUnits)) && std::round(value * 10) / 10 >= 1024) {
    value /= 1024;
    ++unit;
  }
  if (unit < 0) return absl::StrFormat("%.0f B%s", value, unit_suffix);
  return absl::StrFormat("%.1f %s%s", value, kUnits[unit], unit_suffix);
}

}  // namespace

std::string FormatBytes(int64_t bytes) {
  return FormatScaled(static_cast<double>(std::max<int64_t>(0, bytes)), "");
}

std::string FormatRate(int64_t bytes, absl::Duration elapsed) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  if (seconds <= 0) return "-";
  return FormatScaled(static_cast<double>(std::max<int64_t>(0, bytes)) / seconds, "/s");
}

std::string FormatEta(absl::Duration d) {
  const int64_t s = std::max<int64_t>(0, absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1))));
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

std::string ProgressLine(std::string_view label, int64_t done, int64_t total,
                         absl::Duration elapsed, std::string_view extra, int64_t rate_bytes) {
  total = std::max<int64_t>(0, total);
  done = std::clamp<int64_t>(done, 0, total);
  if (rate_bytes < 0) rate_bytes = done;
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * kBarWidth);
  // Floor, so that 100 % means done.
  const int percent = static_cast<int>(fraction * 100);
  std::string line = absl::StrFormat(
      "%s [%s%s] %3d%%  %s / %s  %s", std::string(label), std::string(filled, '#'),
      std::string(kBarWidth - filled, '.'), percent, FormatBytes(done), FormatBytes(total),
      FormatRate(rate_bytes, elapsed));
  if (!extra.empty()) line.append("  ").append(extra);
  if (rate_bytes > 0 && done < total && elapsed > absl::ZeroDuration()) {
    const double rate = static_cast<double>(rate_bytes) / absl::ToDoubleSeconds(elapsed);
    absl::StrAppend(&line, "  ETA ",
                    FormatEta(absl::Seconds(static_cast<double>(total - done) / rate)));
  }
  return line;
}

}  // namespace p2pims
