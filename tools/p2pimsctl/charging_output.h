// How p2pimsctl prints charging's accounts, tariffs and settlements: "key: value" blocks and
// tables for people, JSON with --json (money as integer minor units with one "currency" field,
// enums by their command-line names, times as Unix seconds), and CSV for settlements. CDRs are
// printed by cdr_format.h.
//
//   in.out += json ? AccountJson(a) + "\n" : AccountDetails(a);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2pims/charging/v1/charging.pb.h"

namespace p2pims::ctl {

namespace cv1 = ::p2pims::charging::v1;

// "prepaid", "postpaid"; nullopt for other names.
std::optional<cv1::AccountKind> AccountKindFromName(std::string_view name);
// The name, or "unspecified" / "unknown(N)".
std::string AccountKindName(cv1::AccountKind kind);

// What the account may spend: prepaid balance - reserved; postpaid balance + credit limit -
// reserved.
int64_t Available(const cv1::Account& a);

// `idempotency_key`, when not empty, is added (AdjustBalance prints the key it used).
std::string AccountJson(const cv1::Account& a, std::string_view idempotency_key = "");
std::string AccountDetails(const cv1::Account& a, std::string_view idempotency_key = "");

std::string TariffJson(const cv1::Tariff& t);
std::string TariffDetails(const cv1::Tariff& t);
// Tariffs as ListTariffs returns them (newest effective first); `now` (Unix seconds) marks the
// one in force.
std::string TariffTable(const std::vector<cv1::Tariff>& tariffs, int64_t now);

// Settlement fields, the same in the table, JSON and CSV: owner, currency, sessions, bytes_down,
// bytes_up, gross_minor, owner_share_minor, operator_share_minor, incentive_cost_minor,
// cdr_count.
std::string SettlementJson(const cv1::Settlement& s);
std::string SettlementTable(const std::vector<cv1::Settlement>& items);
std::string SettlementCsv(const std::vector<cv1::Settlement>& items);

}  // namespace p2pims::ctl
