// Checks of what operators and callers send, before anything is written: each failure is an
// InvalidArgument whose message names the field and what it must be.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "p2pims/rights/v1/rights.pb.h"

namespace p2pims::rights {

// 1-128 characters of A-Z a-z 0-9 . _ ~ - (the user part of sip:<content_id>@<p2p-domain>).
absl::Status CheckContentId(std::string_view id);
// An IMS public identity: "sip:" or "sips:" user@host, or "tel:" +digits; at most 256 bytes,
// printable ASCII without spaces.
absl::Status CheckSubject(std::string_view subject);
// Price model set; price 0..10^12 minor units (zero for free content) in an ISO 4217 currency;
// rental_seconds positive exactly for rentals; owner share 0..10000 bp; territories are ISO
// 3166-1 alpha-2 codes or locality paths "mcc-mnc[/segment...]"; a window ends after it starts;
// device limit 0..1000.
absl::Status CheckLicence(const v1::Licence& licence);

}  // namespace p2pims::rights
