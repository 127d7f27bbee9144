#include "services/charging/tariff_book.h"

namespace p2pims::charging {

const TariffBook::Version* TariffBook::Find(const Versions& versions, const std::string& id,
                                            absl::Time now) {
  for (const Version& v : versions) {
    if (id.empty() ? v.effective_from <= now : v.rates.tariff_id == id) return &v;
  }
  return nullptr;
}

std::shared_ptr<const TariffBook::Versions> TariffBook::Reload(pqxx::transaction_base& tx) {
  auto versions = std::make_shared<Versions>();
  for (const auto& row : tx.exec_prepared("charging_all_tariffs")) {
    Version v;
    v.rates.tariff_id = row[0].as<std::string>();
    v.rates.currency = row[1].as<std::string>();
    v.rates.incentive_per_gib = row[2].as<int64_t>();
    v.rates.incentive_same_area_per_gib = row[3].as<int64_t>();
    v.rates.incentive_same_cell_per_gib = row[4].as<int64_t>();
    v.rates.validity_seconds = row[5].as<int64_t>();
    v.rates.per_byte_grant_bytes = row[6].as<int64_t>();
    v.effective_from = absl::FromUnixSeconds(row[7].as<int64_t>());
    versions->push_back(std::move(v));
  }
  absl::MutexLock lock(&mu_);
  versions_ = versions;
  loaded_ = absl::Now();
  return versions;
}

TariffRates TariffBook::Get(pqxx::transaction_base& tx, const std::string& tariff_id, absl::Time now) {
  std::shared_ptr<const Versions> versions;
  bool fresh = false;
  {
    absl::MutexLock lock(&mu_);
    versions = versions_;
    fresh = versions != nullptr && absl::Now() - loaded_ < max_age_;
  }
  const Version* found = versions ? Find(*versions, tariff_id, now) : nullptr;
  if (!fresh || found == nullptr) {
    versions = Reload(tx);
    found = Find(*versions, tariff_id, now);
  }
  return found != nullptr ? found->rates : TariffRates();
}

void TariffBook::RefreshIfOld(pqxx::transaction_base& tx) {
  {
    absl::MutexLock lock(&mu_);
    if (versions_ != nullptr && absl::Now() - loaded_ < max_age_) return;
  }
  Reload(tx);
}

TariffRates TariffBook::Cached(const std::string& tariff_id, absl::Time now) {
  std::shared_ptr<const Versions> versions;
  {
    absl::MutexLock lock(&mu_);
    versions = versions_;
  }
  const Version* found = versions ? Find(*versions, tariff_id, now) : nullptr;
  return found != nullptr ? found->rates : TariffRates();
}

void TariffBook::Invalidate() {
  absl::MutexLock lock(&mu_);
  versions_ = nullptr;
}

}  // namespace p2pims::charging
