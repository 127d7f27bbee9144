#include "tools/p2pimsctl/time_arg.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tools/p2pimsctl/command_line.h"

namespace p2pims::ctl {

absl::StatusOr<int64_t> ParseTimeArg(absl::string_view text) {
  const bool digits_only =
      !text.empty() && text.find_first_not_of("0123456789") == absl::string_view::npos;
  if (digits_only) {
    int64_t seconds = 0;
    if (!ParseInteger(text, 0, std::numeric_limits<int64_t>::max(), &seconds).ok()) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' is out of range"));
    }
    return seconds;
  }
  // RFC 3339 needs the 'T' (or 't') and an offset; absl accepts 'Z' and 'z' for %Ez.
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is neither Unix seconds nor RFC 3339 (e.g. 2026-01-31T18:00:00Z)"));
  }
  // absl also accepts "infinite-future"; an API time is a finite second.
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a point in time"));
  }
  if (t < absl::UnixEpoch()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is before 1970"));
  }
  return absl::ToUnixSeconds(t);
}

std::string FormatTime(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

}  // namespace p2pims::ctl
