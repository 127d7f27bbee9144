#include "tools/p2pimsctl/hash_progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace p2pims::ctl {

std::string ProgressLine(int64_t done, int64_t total, absl::Duration elapsed) {
  return ::p2pims::ProgressLine("hashing", done, total, elapsed);
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
