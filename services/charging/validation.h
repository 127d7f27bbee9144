// Checks of what callers send to charging, before anything is read or written: each failure is
// an InvalidArgument naming the field. Amounts are bounded so that no sum can overflow.
#pragma once

#include "absl/status/status.h"
#include "p2pims/charging/v1/charging.pb.h"

namespace p2pims::charging {

// Largest amount of money (minor units) and of bytes one request may carry.
inline constexpr int64_t kMaxMinor = 1'000'000'000'000;      // 10^12
inline constexpr int64_t kMaxBytes = int64_t{1} << 50;       // 1 PiB

absl::Status CheckCreditControl(const v1::CreditControlRequest& req);
absl::Status CheckAccounting(const v1::AccountingRequest& req);
absl::Status CheckNewAccount(const v1::Account& account);
absl::Status CheckAdjustment(const v1::AdjustBalanceRequest& req);
absl::Status CheckTariff(const v1::Tariff& tariff);

}  // namespace p2pims::charging
