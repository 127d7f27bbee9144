// Tariff versions in memory, so that credit control reads no tariff row per request. Versions
// never change once stored, so the only staleness is a version added by another replica: the
// book reloads at most every `max_age`, and at once when a request names a version it lacks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/charging/rating.h"

namespace p2pims::charging {

// Thread-safe. Reads take a reader lock on a small vector.
class TariffBook {
 public:
  explicit TariffBook(absl::Duration max_age = absl::Seconds(5)) : max_age_(max_age) {}

  // The version named `tariff_id`, or (when empty) the one in force at `now`; reloads through
  // `tx` when the book is old or lacks the version. Defaults when there is none at all.
  TariffRates Get(pqxx::transaction_base& tx, const std::string& tariff_id, absl::Time now);
  // Reloads through `tx` when the book is older than max_age (or was invalidated).
  void RefreshIfOld(pqxx::transaction_base& tx);
  // As Get, from what is loaded, with no I/O: defaults when the version is not loaded.
  TariffRates Cached(const std::string& tariff_id, absl::Time now);
  // Forgets everything (after this replica stored a version).
  void Invalidate();

 private:
  struct Version {
    TariffRates rates;
    absl::Time effective_from;
  };
  // Newest effective first.
  using Versions = std::vector<Version>;
  static const Version* Find(const Versions& versions, const std::string& id, absl::Time now);
  std::shared_ptr<const Versions> Reload(pqxx::transaction_base& tx);

  const absl::Duration max_age_;
  absl::Mutex mu_;
  std::shared_ptr<const Versions> versions_ ABSL_GUARDED_BY(mu_);
  absl::Time loaded_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace p2pims::charging
