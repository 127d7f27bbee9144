// Durable file writes for files other programs pick up (CDR exports, settlement CSVs, the export
// state): the content goes to a temporary name, is fsynced, then renamed into place and the
// directory fsynced, so a reader sees either no file or the whole file, also after a crash.
//
//   WriteFileAtomically("/var/spool/cdr", "settlement.csv", text);
//   // or in steps, when something must happen between writing and renaming:
//   WriteSynced("/var/spool/cdr/.a.csv.tmp", text);
//   ... record the pending rename ...
//   RenameSynced("/var/spool/cdr", ".a.csv.tmp", "a.csv");
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace p2pims::ctl {

// The temporary name of `name`: ".<name>.tmp" (hidden, so "*.csv" does not match it).
std::string TempName(absl::string_view name);

// Creates or truncates `path` (mode 0644 before umask), writes `content` and fsyncs it.
// Errors name the path and carry the errno's code.
absl::Status WriteSynced(const std::string& path, absl::string_view content);

// Renames dir/from to dir/to (replacing it) and fsyncs the directory.
absl::Status RenameSynced(const std::string& dir, const std::string& from, const std::string& to);

// WriteSynced to dir/TempName(name), then RenameSynced to dir/name. On error the temporary file
// is removed (best effort).
absl::Status WriteFileAtomically(const std::string& dir, const std::string& name,
                                 absl::string_view content);

// The whole content of `path`; NotFound when it does not exist.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Splits "dir/name" at its last '/' ("name" alone -> {".", "name"}).
std::pair<std::string, std::string> SplitPath(const std::string& path);

}  // namespace p2pims::ctl
