// The operator's names for the rights API's enums, as typed on the command line and printed in
// tables and JSON: "free", "purchase", "rental", "subscription", "per_byte" for price models;
// "purchase", "rental", "subscription" for entitlement kinds.
//
//   PriceModelFromName("per_byte")  -> v1::PRICE_MODEL_PER_BYTE
//   PriceModelName(v1::PRICE_MODEL_FREE) -> "free"
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "p2pims/rights/v1/rights.pb.h"

namespace p2pims::ctl {

namespace v1 = ::p2pims::rights::v1;

// nullopt for names not listed above (names are case-sensitive; "unspecified" is not a name).
std::optional<v1::PriceModel> PriceModelFromName(std::string_view name);
std::optional<v1::EntitlementKind> EntitlementKindFromName(std::string_view name);

// The name, or "unspecified" / "unknown(N)" for values outside the list.
std::string PriceModelName(v1::PriceModel model);
std::string EntitlementKindName(v1::EntitlementKind kind);

// "free|purchase|rental|subscription|per_byte" and "purchase|rental|subscription", for messages.
std::string PriceModelChoices();
std::string EntitlementKindChoices();

}  // namespace p2pims::ctl
