// The peer policy's weights from flags (--policy-*), checked: operators tune who meets whom
// without a rebuild.
#pragma once

#include "absl/status/statusor.h"
#include "lib/config/flags.h"
#include "services/tracker/peer_policy.h"

namespace p2pims::tracker {

// Declares the --policy-* flags, with PolicyConfig's defaults.
void AddPolicyFlags(Flags& flags);
// The configuration they give; InvalidArgument naming the flag for a bad value.
absl::StatusOr<PolicyConfig> PolicyFromFlags(const Flags& flags);

}  // namespace p2pims::tracker
