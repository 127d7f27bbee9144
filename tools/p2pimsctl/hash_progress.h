// The progress of "content add" while it hashes: a bar redrawn in place on a terminal, one plain
// line at the end otherwise. Only formats and decides when to draw; the caller says where the
// text goes (stderr, so that stdout and --json output stay clean).
//
//   ProgressMeter meter(total_bytes, isatty(STDERR_FILENO), [](std::string_view t) { ... });
//   meter.Update(done_bytes);          // after each piece
//   meter.Finish(done_bytes);          // "hashed 30.0 MiB in 0.6 s (48.2 MiB/s)\n"
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/progress/progress_line.h"

namespace p2pims::ctl {

using ::p2pims::FormatBytes;
using ::p2pims::FormatRate;

// The hashing line: ProgressLine("hashing", ...) of lib/progress.
std::string ProgressLine(int64_t done, int64_t total, absl::Duration elapsed);

// The line after hashing, e.g. "hashed 30.0 MiB in 0.6 s (48.2 MiB/s)".
std::string FinalLine(int64_t total, absl::Duration elapsed);

// Draws ProgressLine on a terminal (carriage return, line, erase to end of line) every
// `redraw_every` (the first time `redraw_every` after the start, so that the rate is measured over
// some time) and once more at 100 %, then replaces it with FinalLine; on anything else writes
// only FinalLine. Not thread-safe.
class ProgressMeter {
 public:
  using Writer = std::function<void(std::string_view)>;
  using Clock = std::function<absl::Time()>;

  ProgressMeter(int64_t total, bool interactive, Writer write, Clock now = &absl::Now,
                absl::Duration redraw_every = absl::Milliseconds(100));

  void Update(int64_t done);
  // Writes the final line ending with '\n'. Call once.
  void Finish(int64_t done);

 private:
  int64_t total_;
  bool interactive_;
  Writer write_;
  Clock now_;
  absl::Duration redraw_every_;
  absl::Time start_;
  absl::Time last_draw_;
  bool drew_complete_ = false;
};

}  // namespace p2pims::ctl
