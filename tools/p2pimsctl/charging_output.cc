#include "tools/p2pimsctl/charging_output.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/json/json.h"
#include "tools/p2pimsctl/csv.h"
#include "tools/p2pimsctl/table.h"
#include "tools/p2pimsctl/time_arg.h"

namespace p2pims::ctl {
namespace {

std::string Amount(int64_t minor, const std::string& currency) {
  return currency.empty() ? absl::StrCat(minor) : absl::StrCat(minor, " ", currency);
}

// The currency of a statement: all its amounts share one (charging groups by currency).
const std::string& Currency(const cv1::Settlement& s) {
  for (const cv1::Money* m :
       {&s.gross(), &s.owner_share(), &s.operator_share(), &s.incentive_cost()}) {
    if (!m->currency().empty()) return m->currency();
  }
  return s.gross().currency();
}

std::vector<std::string> SettlementFields(const cv1::Settlement& s) {
  return {s.owner(),
          Currency(s),
          absl::StrCat(s.sessions()),
          absl::StrCat(s.bytes_down()),
          absl::StrCat(s.bytes_up()),
          absl::StrCat(s.gross().minor()),
          absl::StrCat(s.owner_share().minor()),
          absl::StrCat(s.operator_share().minor()),
          absl::StrCat(s.incentive_cost().minor()),
          absl::StrCat(s.cdr_count())};
}

const std::vector<std::string>& SettlementNames() {
  static const auto* names = new std::vector<std::string>{"owner",
                                                          "currency",
                                                          "sessions",
                                                          "bytes_down",
                                                          "bytes_up",
                                                          "gross_minor",
                                                          "owner_share_minor",
                                                          "operator_share_minor",
                                                          "incentive_cost_minor",
                                                          "cdr_count"};
  return *names;
}

}  // namespace

std::optional<cv1::AccountKind> AccountKindFromName(std::string_view name) {
  if (name == "prepaid") return cv1::ACCOUNT_KIND_PREPAID;
  if (name == "postpaid") return cv1::ACCOUNT_KIND_POSTPAID;
  return std::nullopt;
}

std::string AccountKindName(cv1::AccountKind kind) {
  switch (kind) {
    case cv1::ACCOUNT_KIND_PREPAID:
      return "prepaid";
    case cv1::ACCOUNT_KIND_POSTPAID:
      return "postpaid";
    case cv1::ACCOUNT_KIND_UNSPECIFIED:
      return "unspecified";
    default:
      return absl::StrCat("unknown(", static_cast<int>(kind), ")");
  }
}

int64_t Available(const cv1::Account& a) {
  const int64_t limit = a.kind() == cv1::ACCOUNT_KIND_POSTPAID ? a.credit_limit().minor() : 0;
  return a.balance().minor() + limit - a.reserved().minor();
}

std::string AccountJson(const cv1::Account& a, std::string_view idempotency_key) {
  JsonObject o;
  o.Add("subject", a.subject())
      .Add("kind", AccountKindName(a.kind()))
      .Add("currency", a.balance().currency())
      .Add("balance_minor", int64_t{a.balance().minor()})
      .Add("reserved_minor", int64_t{a.reserved().minor()})
      .Add("credit_limit_minor", int64_t{a.credit_limit().minor()})
      .Add("incentive_earned_minor", int64_t{a.incentive_earned().minor()})
      .Add("available_minor", Available(a));
  if (!idempotency_key.empty()) o.Add("idempotency_key", idempotency_key);
  return o.Close();
}

std::string AccountDetails(const cv1::Account& a, std::string_view idempotency_key) {
  const std::string& c = a.balance().currency();
  std::vector<std::pair<std::string, std::string>> fields = {
      {"subject", a.subject()},
      {"kind", AccountKindName(a.kind())},
      {"balance", Amount(a.balance().minor(), c)},
      {"reserved", Amount(a.reserved().minor(), c)},
      {"credit_limit", Amount(a.credit_limit().minor(), c)},
      {"available", Amount(Available(a), c)},
      {"incentive_earned", Amount(a.incentive_earned().minor(), c)},
  };
  if (!idempotency_key.empty()) fields.emplace_back("idempotency_key", idempotency_key);
  return Details(fields);
}

std::string TariffJson(const cv1::Tariff& t) {
  JsonObject o;
  o.Add("tariff_id", t.tariff_id())
      .Add("effective_from", int64_t{t.effective_from()})
      .Add("currency", t.currency())
      .Add("incentive_per_gib_minor", int64_t{t.incentive_per_gib_minor()})
      .Add("incentive_same_area_per_gib_minor", int64_t{t.incentive_same_area_per_gib_minor()})
      .Add("incentive_same_cell_per_gib_minor", int64_t{t.incentive_same_cell_per_gib_minor()})
      .Add("validity_seconds", int64_t{t.validity_seconds()})
      .Add("per_byte_grant_bytes", int64_t{t.per_byte_grant_bytes()})
      .Add("created_at", int64_t{t.created_at()});
  return o.Close();
}

std::string TariffDetails(const cv1::Tariff& t) {
  const std::string& c = t.currency();
  return Details({
      {"tariff_id", t.tariff_id()},
      {"effective_from", FormatTime(t.effective_from())},
      {"currency", c},
      {"incentive_per_gib", Amount(t.incentive_per_gib_minor(), c)},
      {"incentive_same_area_per_gib", Amount(t.incentive_same_area_per_gib_minor(), c)},
      {"incentive_same_cell_per_gib", Amount(t.incentive_same_cell_per_gib_minor(), c)},
      {"validity", absl::StrCat(t.validity_seconds(), " s")},
      {"per_byte_grant", absl::StrCat(t.per_byte_grant_bytes(), " bytes")},
      {"created", t.created_at() == 0 ? "-" : FormatTime(t.created_at())},
  });
}

std::string TariffTable(const std::vector<cv1::Tariff>& tariffs, int64_t now) {
  // The version in force is the one with the latest effective_from that has passed.
  const cv1::Tariff* in_force = nullptr;
  for (const cv1::Tariff& t : tariffs) {
    if (t.effective_from() <= now &&
        (in_force == nullptr || t.effective_from() > in_force->effective_from())) {
      in_force = &t;
    }
  }
  Table table({"ID", "EFFECTIVE_FROM", "CURRENCY", "PER_GIB", "SAME_AREA_PER_GIB",
               "SAME_CELL_PER_GIB", "VALIDITY_S", "GRANT_BYTES", "STATE"});
  for (const cv1::Tariff& t : tariffs) {
    const char* state = &t == in_force ? "in force" : t.effective_from() > now ? "future" : "past";
    table.AddRow({t.tariff_id(), FormatTime(t.effective_from()), t.currency(),
                  absl::StrCat(t.incentive_per_gib_minor()),
                  absl::StrCat(t.incentive_same_area_per_gib_minor()),
                  absl::StrCat(t.incentive_same_cell_per_gib_minor()),
                  absl::StrCat(t.validity_seconds()), absl::StrCat(t.per_byte_grant_bytes()),
                  state});
  }
  return table.Render();
}

std::string SettlementJson(const cv1::Settlement& s) {
  const std::vector<std::string> values = SettlementFields(s);
  const std::vector<std::string>& names = SettlementNames();
  JsonObject o;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i < 2) {
      o.Add(names[i], values[i]);  // owner, currency
    } else {
      o.Add(names[i], JsonObject::Raw{values[i]});  // integers, already decimal
    }
  }
  return o.Close();
}

std::string SettlementTable(const std::vector<cv1::Settlement>& items) {
  std::vector<std::string> header;
  for (const std::string& n : SettlementNames()) header.push_back(absl::AsciiStrToUpper(n));
  Table t(header);
  for (const cv1::Settlement& s : items) t.AddRow(SettlementFields(s));
  return t.Render();
}

std::string SettlementCsv(const std::vector<cv1::Settlement>& items) {
  std::string out = CsvRecord(SettlementNames());
  for (const cv1::Settlement& s : items) out += CsvRecord(SettlementFields(s));
  return out;
}

}  // namespace p2pims::ctl
