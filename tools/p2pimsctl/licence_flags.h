// The licence flags shared by "content register" and "content update", and how they change a
// v1::Licence. Only flags given on the command line change a field, so "update" can apply them
// to the licence in force.
//
//   CommandLine cl("content update", "...");
//   AddLicenceFlags(cl, LicenceFlagsFor::kUpdate);
//   ... cl.Parse(args) ...
//   v1::Licence licence = current.licence();
//   if (absl::Status s = ApplyLicenceFlags(cl, licence); !s.ok()) ...   // usage error
#pragma once

#include "absl/status/status.h"
#include "p2pims/rights/v1/rights.pb.h"
#include "tools/p2pimsctl/command_line.h"

namespace p2pims::ctl {

enum class LicenceFlagsFor { kRegister, kUpdate };

// Declares --price-model, --price, --currency, --rental-seconds, --owner-share-bp, --territory
// (repeatable), --window-start, --window-end, --device-limit; for updates also
// --clear-territories.
void AddLicenceFlags(CommandLine& cl, LicenceFlagsFor use);

// True when any licence flag was given.
bool HasLicenceFlags(const CommandLine& cl);

// Sets the fields of `licence` whose flags were given (territories: the given list replaces the
// old one). Usage errors: unknown price model, a number that does not parse or is out of range
// (price >= 0, rental seconds >= 0, owner share 0..10000 basis points, device limit >= 0), a
// currency that is not three upper-case letters, an empty territory, --territory together with
// --clear-territories, or a resulting window whose start is not before its end. `licence` is
// unchanged on error.
absl::Status ApplyLicenceFlags(const CommandLine& cl, ::p2pims::rights::v1::Licence& licence);

}  // namespace p2pims::ctl
