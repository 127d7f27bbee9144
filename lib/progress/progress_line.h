// One-line progress for command-line tools (stderr of p2pimsctl's hashing, p2pims-ue's
// downloads): human byte sizes and rates, and a bar with percent, bytes, rate, extra fields and
// an ETA.
//
//   ProgressLine("fetching", done, total, elapsed, "3 peers")
//   // "fetching [##########..........]  50%  15.0 MiB / 30.0 MiB  5.0 MiB/s  3 peers  ETA 0:03"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace p2pims {

// "0 B" .. "1023 B", then one decimal in KiB, MiB, GiB, TiB ("15.6 MiB").
std::string FormatBytes(int64_t bytes);

// Bytes per second over `elapsed` as "48.2 MiB/s"; "-" when no time has passed.
std::string FormatRate(int64_t bytes, absl::Duration elapsed);

// "0:53", "1:00:00" (seconds rounded up).
std::string FormatEta(absl::Duration d);

// `done` is clamped to [0, total]; a total of 0 counts as complete. `rate_bytes` over `elapsed`
// gives the rate shown and the ETA (left out until there is a rate to project); it is `done`
// when negative. `extra`, when not empty, goes between the rate and the ETA.
std::string ProgressLine(std::string_view label, int64_t done, int64_t total,
                         absl::Duration elapsed, std::string_view extra = "",
                         int64_t rate_bytes = -1);

}  // namespace p2pims
