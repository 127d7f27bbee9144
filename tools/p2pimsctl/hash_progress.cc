#include "tools/p2pimsctl/hash_progress.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace p2pims::ctl {
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

std::string FormatEta(absl::Duration d) {
  const int64_t s = std::max<int64_t>(0, absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1))));
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
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

std::string ProgressLine(int64_t done, int64_t total, absl::Duration elapsed) {
  total = std::max<int64_t>(0, total);
  done = std::clamp<int64_t>(done, 0, total);
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * kBarWidth);
  // Floor, so that 100 % means done.
  const int percent = static_cast<int>(fraction * 100);
  std::string line =
      absl::StrFormat("hashing [%s%s] %3d%%  %s / %s  %s", std::string(filled, '#'),
                      std::string(kBarWidth - filled, '.'), percent, FormatBytes(done),
                      FormatBytes(total), FormatRate(done, elapsed));
  if (done > 0 && done < total && elapsed > absl::ZeroDuration()) {
    const double rate = static_cast<double>(done) / absl::ToDoubleSeconds(elapsed);
    absl::StrAppend(&line, "  ETA ",
                    FormatEta(absl::Seconds(static_cast<double>(total - done) / rate)));
  }
  return line;
}

std::string FinalLine(int64_t total, absl::Duration elapsed) {
  return absl::StrFormat("hashed %s in %.1f s (%s)", FormatBytes(total),
                         absl::ToDoubleSeconds(std::max(elapsed, absl::ZeroDuration())),
                         FormatRate(total, elapsed));
}

ProgressMeter::ProgressMeter(int64_t total, bool interactive, Writer write, Clock now,
                             absl::Duration redraw_every)
    : total_(total),
      interactive_(interactive),
      write_(std::move(write)),
      now_(std::move(now)),
      redraw_every_(redraw_every),
      start_(now_()),
      last_draw_(start_) {}

void ProgressMeter::Update(int64_t done) {
  if (!interactive_) return;
  const absl::Time t = now_();
  const bool complete = done >= total_;
  if (complete ? drew_complete_ : t - last_draw_ < redraw_every_) return;
  last_draw_ = t;
  drew_complete_ = complete;
  write_(absl::StrCat("\r", ProgressLine(done, total_, t - start_), "\x1b[K"));
}

void ProgressMeter::Finish(int64_t done) {
  const std::string line = FinalLine(done, now_() - start_);
  write_(interactive_ ? absl::StrCat("\r", line, "\x1b[K\n") : absl::StrCat(line, "\n"));
}

}  // namespace p2pims::ctl
