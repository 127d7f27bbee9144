#include "lib/metrics/registry.h"

#include "lib/metrics/text_format.h"

namespace p2pims::metrics {

std::vector<FamilySnapshot> Registry::Collect() const {
  std::vector<FamilySnapshot> snapshots;
  std::lock_guard<std::mutex> lock(mu_);
  snapshots.reserve(families_.size());
  for (const auto& [name, family] : families_) snapshots.push_back(family->Collect());
  return snapshots;
}

std::string Registry::Serialize() const { return detail::WriteTextFormat(Collect()); }

}  // namespace p2pims::metrics
