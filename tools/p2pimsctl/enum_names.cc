#include "tools/p2pimsctl/enum_names.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"

namespace p2pims::ctl {
namespace {

constexpr std::array<std::pair<std::string_view, v1::PriceModel>, 5> kPriceModels{{
    {"free", v1::PRICE_MODEL_FREE},
    {"purchase", v1::PRICE_MODEL_PURCHASE},
    {"rental", v1::PRICE_MODEL_RENTAL},
    {"subscription", v1::PRICE_MODEL_SUBSCRIPTION},
    {"per_byte", v1::PRICE_MODEL_PER_BYTE},
}};

constexpr std::array<std::pair<std::string_view, v1::EntitlementKind>, 3> kKinds{{
    {"purchase", v1::ENTITLEMENT_KIND_PURCHASE},
    {"rental", v1::ENTITLEMENT_KIND_RENTAL},
    {"subscription", v1::ENTITLEMENT_KIND_SUBSCRIPTION},
}};

template <typename Table>
auto FromName(const Table& table, std::string_view name)
    -> std::optional<typename Table::value_type::second_type> {
  for (const auto& [n, v] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

template <typename Table, typename Value>
std::string ToName(const Table& table, Value value) {
  for (const auto& [n, v] : table) {
    if (v == value) return std::string(n);
  }
  if (static_cast<int>(value) == 0) return "unspecified";
  return absl::StrCat("unknown(", static_cast<int>(value), ")");
}

template <typename Table>
std::string Choices(const Table& table) {
  std::string out;
  for (const auto& [n, v] : table) {
    if (!out.empty()) out += '|';
    out += n;
  }
  return out;
}

}  // namespace

std::optional<v1::PriceModel> PriceModelFromName(std::string_view name) {
  return FromName(kPriceModels, name);
}
std::optional<v1::EntitlementKind> EntitlementKindFromName(std::string_view name) {
  return FromName(kKinds, name);
}
std::string PriceModelName(v1::PriceModel model) { return ToName(kPriceModels, model); }
std::string EntitlementKindName(v1::EntitlementKind kind) { return ToName(kKinds, kind); }
std::string PriceModelChoices() { return Choices(kPriceModels); }
std::string EntitlementKindChoices() { return Choices(kKinds); }

}  // namespace p2pims::ctl
