// Times on the command line and in tables: Unix seconds or RFC 3339.
//
//   ParseTimeArg("1767225600")            -> 1767225600
//   ParseTimeArg("2026-01-01T00:00:00Z")  -> 1767225600
//   ParseTimeArg("2026-01-01T01:00:00+01:00") -> 1767225600
//   FormatTime(1767225600)                -> "2026-01-01T00:00:00Z"
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace p2pims::ctl {

// Unix seconds (digits only, 0 allowed: it means "no limit" in the API) or an RFC 3339 date-time
// with "Z" or a numeric offset; fractions of a second are dropped. InvalidArgument otherwise,
// and for times before 1970.
absl::StatusOr<int64_t> ParseTimeArg(absl::string_view text);

// RFC 3339 in UTC, whole seconds.
std::string FormatTime(int64_t unix_seconds);

}  // namespace p2pims::ctl
