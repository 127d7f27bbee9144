#include "services/tracker/policy_flags.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace p2pims::tracker {

void AddPolicyFlags(Flags& flags) {
  flags.Add("policy-max-origin", "2", "most operator origin seeds in one announce reply");
  flags.Add("policy-short-supply", "5",
            "origin seeds fill in when fewer local peers than this were found (or no seeder)");
  flags.Add("policy-tier-share", "1,1,1,1",
            "share of numwant each tier may take: same cell, area, network, elsewhere (0 < x <= 1)");
  flags.Add("policy-seeders-first", "true", "leechers get a tier's seeders before its leechers");
  flags.Add("policy-locality", "true",
            "rank peers by shared locality; false: a random sample of all eligible peers (the "
            "baseline to measure the policy against)");
}

absl::StatusOr<PolicyConfig> PolicyFromFlags(const Flags& flags) {
  PolicyConfig c;
  auto max_origin = flags.GetInt("policy-max-origin");
  auto short_supply = flags.GetInt("policy-short-supply");
  auto seeders_first = flags.GetBool("policy-seeders-first");
  auto locality = flags.GetBool("policy-locality");
  if (!max_origin.ok()) return absl::InvalidArgumentError("--policy-max-origin must be a number");
  if (!short_supply.ok()) return absl::InvalidArgumentError("--policy-short-supply must be a number");
  if (!seeders_first.ok()) return absl::InvalidArgumentError("--policy-seeders-first must be true or false");
  if (!locality.ok()) return absl::InvalidArgumentError("--policy-locality must be true or false");
  c.max_origin = static_cast<int>(*max_origin);
  c.short_supply_below = static_cast<int>(*short_supply);
  c.seeders_first = *seeders_first;
  c.locality = *locality;
  const std::vector<std::string> shares = absl::StrSplit(flags.Get("policy-tier-share"), ',');
  if (shares.size() != c.tier_share.size()) {
    return absl::InvalidArgumentError("--policy-tier-share needs four values: cell,area,network,elsewhere");
  }
  for (size_t i = 0; i < shares.size(); ++i) {
    if (!absl::SimpleAtod(shares[i], &c.tier_share[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("--policy-tier-share: \"", shares[i], "\" is not a number"));
    }
  }
  if (absl::Status s = c.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--policy-*: ", s.message()));
  }
  return c;
}

}  // namespace p2pims::tracker
