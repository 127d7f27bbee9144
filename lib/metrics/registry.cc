#include "lib/metrics/registry.h"

#include "lib/metrics/text_format.h"

namespace p2pims::metrics {

void Registry::AddCollectHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  hooks_.push_back(std::move(hook));
}

std::vector<FamilySnapshot> Registry::Collect() const {
  {
    // Hooks run before the families are locked, since they may register and update metrics.
    std::lock_guard<std::mutex> lock(hooks_mu_);
    for (const auto& hook : hooks_) hook();
  }
  std::vector<FamilySnapshot> snapshots;
  std::lock_guard<std::mutex> lock(mu_);
  snapshots.reserve(families_.size());
  for (const auto& [name, family] : families_) snapshots.push_back(family->Collect());
  return snapshots;
}

std::string Registry::Serialize() const { return detail::WriteTextFormat(Collect()); }

}  // namespace p2pims::metrics
