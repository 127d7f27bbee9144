#include "lib/metrics/family.h"

#include <stdexcept>

#include "lib/metrics/names.h"

namespace p2pims::metrics::detail {

FamilyBase::FamilyBase(std::string name, std::string help, Labels constant_labels, MetricType type)
    : name_(std::move(name)),
      help_(std::move(help)),
      constant_labels_(std::move(constant_labels)),
      type_(type) {
  CheckMetricName(name_);
  for (const auto& [label, value] : constant_labels_) CheckLabelName(label, type_);
}

void FamilyBase::CheckChildLabels(const Labels& labels) const {
  for (const auto& [label, value] : labels) {
    CheckLabelName(label, type_);
    if (constant_labels_.count(label) > 0) {
      throw std::invalid_argument("label \"" + label + "\" of " + name_ +
                                  " is already a constant label");
    }
  }
}

std::vector<std::pair<std::string, std::string>> FamilyBase::MergedLabels(
    const Labels& labels) const {
  Labels merged = constant_labels_;
  merged.insert(labels.begin(), labels.end());
  return {merged.begin(), merged.end()};
}

FamilySnapshot FamilyBase::EmptySnapshot() const {
  FamilySnapshot snapshot;
  snapshot.name = name_;
  snapshot.help = help_;
  snapshot.type = type_;
  return snapshot;
}

}  // namespace p2pims::metrics::detail
