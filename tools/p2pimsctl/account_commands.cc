// "account create|show|adjust" (subscriber accounts and their balance) and "tariff put|list"
// (the versions that rate incentives and grants), in charging.
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "lib/iso/iso_codes.h"
#include "lib/status/status_macros.h"
#include "tools/p2pimsctl/charging_output.h"
#include "tools/p2pimsctl/cli_error.h"
#include "tools/p2pimsctl/command.h"
#include "tools/p2pimsctl/output.h"

namespace p2pims::ctl {
namespace {

// Charging refuses amounts beyond this in one request (docs/charging.md, "Money").
constexpr int64_t kMaxMinor = 1'000'000'000'000;
constexpr int64_t kMaxBytes = int64_t{1} << 50;
// The defaults of the tariff the charging migration installs.
constexpr int64_t kDefaultValiditySeconds = 3600;
constexpr int64_t kDefaultGrantBytes = 100 * 1024 * 1024;

absl::Status CheckCurrencyFlag(const CommandLine& cl) {
  P2PIMS_RETURN_IF_ERROR(cl.Require("currency"));
  if (!p2pims::IsCurrencyCode(cl.Get("currency"))) {
    return UsageError(absl::StrCat("--currency: '", cl.Get("currency"),
                                   "' is not an ISO 4217 currency code (e.g. EUR)"));
  }
  return absl::OkStatus();
}

// 128 random bits in hex: an idempotency key nobody else picks.
std::string RandomKey() {
  std::random_device random;  // the kernel's CSPRNG on Linux
  std::string raw;
  for (int i = 0; i < 4; ++i) {
    const uint32_t word = random();
    raw.append(reinterpret_cast<const char*>(&word), sizeof word);
  }
  return absl::StrCat("p2pimsctl-", Hex(raw));
}

void PrintAccount(const Invocation& in, const cv1::Account& a, std::string_view key = "") {
  in.out += in.json ? AccountJson(a, key) + "\n" : AccountDetails(a, key);
}

void DeclareCreate(CommandLine& cl) {
  cl.Flag("subject", "SIP-URI", "the subscriber's IMS public identity (required)")
      .Flag("kind", "prepaid|postpaid", "account kind (required)")
      .Flag("currency", "CODE", "ISO 4217 code of the account, e.g. EUR (required)")
      .Flag("balance", "MINOR", "opening balance in minor units (default 0; may be negative)")
      .Flag("credit-limit", "MINOR", "postpaid only: how far below zero the balance may go")
      .Note(
          "example:\n"
          "  p2pimsctl account create --subject sip:alice@ims.example.net --kind prepaid "
          "--currency EUR --balance 1000");
}

absl::Status RunCreate(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_RETURN_IF_ERROR(cl.Require("subject"));
  P2PIMS_RETURN_IF_ERROR(cl.Require("kind"));
  auto kind = AccountKindFromName(cl.Get("kind"));
  if (!kind) {
    return UsageError(absl::StrCat("--kind: '", cl.Get("kind"), "' is not prepaid or postpaid"));
  }
  P2PIMS_RETURN_IF_ERROR(CheckCurrencyFlag(cl));
  int64_t balance = 0, credit_limit = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("balance", -kMaxMinor, kMaxMinor, &balance));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("credit-limit", 0, kMaxMinor, &credit_limit));
  if (*kind == cv1::ACCOUNT_KIND_PREPAID && credit_limit != 0) {
    return UsageError("--credit-limit: a prepaid account has no credit limit");
  }
  cv1::CreateAccountRequest req;
  req.set_actor(in.actor);
  cv1::Account& a = *req.mutable_account();
  a.set_subject(cl.Get("subject"));
  a.set_kind(*kind);
  a.mutable_balance()->set_minor(balance);
  a.mutable_balance()->set_currency(cl.Get("currency"));
  a.mutable_credit_limit()->set_minor(credit_limit);
  a.mutable_credit_limit()->set_currency(cl.Get("currency"));
  P2PIMS_ASSIGN_OR_RETURN(cv1::Account created, in.charging.CreateAccount(req));
  PrintAccount(in, created);
  return absl::OkStatus();
}

void DeclareShow(CommandLine& cl) { cl.Arg("SUBJECT", "the subscriber's IMS public identity"); }

absl::Status RunShow(const Invocation& in) {
  cv1::GetAccountRequest req;
  req.set_subject(in.cl.Arg(0));
  P2PIMS_ASSIGN_OR_RETURN(cv1::Account a, in.charging.GetAccount(req));
  PrintAccount(in, a);
  return absl::OkStatus();
}

void DeclareAdjust(CommandLine& cl) {
  cl.Arg("SUBJECT", "the subscriber's IMS public identity")
      .Flag("amount", "MINOR", "minor units to add; negative to debit (required, not 0)")
      .Flag("reason", "TEXT", "why, for the ledger: top-up, goodwill, correction, ... (required)")
      .Flag("key", "IDEMPOTENCY_KEY",
            "makes the adjustment idempotent: charging applies a key once (default: a random "
            "key, printed)")
      .Flag("currency", "CODE",
            "the account's currency (default: read from the account first; charging refuses "
            "another)")
      .Note(
          "The amount is in the account's currency. When the command fails without an answer\n"
          "(e.g. UNAVAILABLE), run it again with the same --key: it is applied at most once.\n"
          "example:\n"
          "  p2pimsctl account adjust sip:alice@ims.example.net --amount 500 --reason top-up");
}

absl::Status RunAdjust(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_RETURN_IF_ERROR(cl.Require("amount"));
  P2PIMS_RETURN_IF_ERROR(cl.Require("reason"));
  int64_t amount = 0;
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("amount", -kMaxMinor, kMaxMinor, &amount));
  if (amount == 0) return UsageError("--amount: 0 changes nothing");
  if (cl.Has("key")) P2PIMS_RETURN_IF_ERROR(cl.Require("key"));
  if (cl.Get("key").size() > 256) return UsageError("--key: at most 256 bytes");
  if (cl.Has("currency")) P2PIMS_RETURN_IF_ERROR(CheckCurrencyFlag(cl));
  const std::string key = cl.Has("key") ? cl.Get("key") : RandomKey();

  std::string currency = cl.Get("currency");
  if (currency.empty()) {
    // The account's currency (and NOT_FOUND for an unknown subject before anything changes).
    cv1::GetAccountRequest get;
    get.set_subject(cl.Arg(0));
    P2PIMS_ASSIGN_OR_RETURN(cv1::Account current, in.charging.GetAccount(get));
    currency = current.balance().currency();
  }
  cv1::AdjustBalanceRequest req;
  req.set_subject(cl.Arg(0));
  req.mutable_amount()->set_minor(amount);
  req.mutable_amount()->set_currency(currency);
  req.set_reason(cl.Get("reason"));
  req.set_actor(in.actor);
  req.set_idempotency_key(key);
  absl::StatusOr<cv1::Account> adjusted = in.charging.AdjustBalance(req);
  if (!adjusted.ok()) {
    return WithSuffix(adjusted.status(),
                      absl::StrCat(" (idempotency key ", key, ": run again with --key ", key,
                                   " to apply it at most once)"));
  }
  PrintAccount(in, *adjusted, key);
  return absl::OkStatus();
}

void DeclareTariffPut(CommandLine& cl) {
  cl.Flag("id", "ID", "tariff version id, 1-64 of A-Z a-z 0-9 . _ - (required)")
      .Flag("effective-from", "TIME",
            "in force from this time (Unix seconds or RFC 3339) until a later version's "
            "(required)")
      .Flag("currency", "CODE", "ISO 4217 code of the amounts (required)")
      .Flag("incentive-per-gib", "MINOR", "credit per GiB uploaded to peers elsewhere (default 0)")
      .Flag("incentive-same-area-per-gib", "MINOR",
            "credit per GiB uploaded to peers in the uploader's area, another cell (default 0)")
      .Flag("incentive-same-cell-per-gib", "MINOR",
            "credit per GiB uploaded to peers in the uploader's cell (default 0)")
      .Flag("validity-seconds", "N",
            absl::StrCat("Validity-Time of grants, 1..604800 (default ", kDefaultValiditySeconds,
                         ")"))
      .Flag("per-byte-grant-bytes", "N",
            absl::StrCat("bytes granted per request for per-byte content (default ",
                         kDefaultGrantBytes, ")"))
      .Note(
          "Versions are never changed: put a new one with a new id.\n"
          "example:\n"
          "  p2pimsctl tariff put --id 2026-12 --effective-from 2026-12-01T00:00:00Z "
          "--currency EUR \\\n"
          "      --incentive-per-gib 5 --incentive-same-area-per-gib 10 "
          "--incentive-same-cell-per-gib 20");
}

absl::Status RunTariffPut(const Invocation& in) {
  const CommandLine& cl = in.cl;
  P2PIMS_RETURN_IF_ERROR(cl.Require("id"));
  const std::string id = cl.Get("id");
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return UsageError("--id: use 1-64 of A-Z a-z 0-9 . _ -");
    }
  }
  if (id.size() > 64) return UsageError("--id: use 1-64 of A-Z a-z 0-9 . _ -");
  P2PIMS_RETURN_IF_ERROR(cl.Require("effective-from"));
  P2PIMS_RETURN_IF_ERROR(CheckCurrencyFlag(cl));
  int64_t effective_from = 0, per_gib = 0, same_area = 0, same_cell = 0;
  int64_t validity = kDefaultValiditySeconds, grant = kDefaultGrantBytes;
  P2PIMS_RETURN_IF_ERROR(cl.ReadTime("effective-from", &effective_from));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("incentive-per-gib", 0, kMaxMinor, &per_gib));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("incentive-same-area-per-gib", 0, kMaxMinor, &same_area));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("incentive-same-cell-per-gib", 0, kMaxMinor, &same_cell));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("validity-seconds", 1, 7 * 86400, &validity));
  P2PIMS_RETURN_IF_ERROR(cl.ReadInt("per-byte-grant-bytes", 1, kMaxBytes, &grant));
  cv1::PutTariffRequest req;
  req.set_actor(in.actor);
  cv1::Tariff& t = *req.mutable_tariff();
  t.set_tariff_id(id);
  t.set_effective_from(effective_from);
  t.set_currency(cl.Get("currency"));
  t.set_incentive_per_gib_minor(per_gib);
  t.set_incentive_same_area_per_gib_minor(same_area);
  t.set_incentive_same_cell_per_gib_minor(same_cell);
  t.set_validity_seconds(validity);
  t.set_per_byte_grant_bytes(grant);
  P2PIMS_ASSIGN_OR_RETURN(cv1::Tariff stored, in.charging.PutTariff(req));
  in.out += in.json ? TariffJson(stored) + "\n" : TariffDetails(stored);
  return absl::OkStatus();
}

void DeclareTariffList(CommandLine& cl) {
  cl.Note("Versions are listed newest effective first; STATE marks the one in force.");
}

absl::Status RunTariffList(const Invocation& in) {
  P2PIMS_ASSIGN_OR_RETURN(cv1::ListTariffsResponse resp,
                          in.charging.ListTariffs(cv1::ListTariffsRequest()));
  std::vector<cv1::Tariff> tariffs(resp.tariffs().begin(), resp.tariffs().end());
  if (in.json) {
    std::vector<std::string> items;
    for (const auto& t : tariffs) items.push_back(TariffJson(t));
    in.out += JsonArray(items);
  } else {
    in.out += TariffTable(tariffs, in.now);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<Command> AccountCommands() {
  return {
      {"account create", "Creates a subscriber's prepaid or postpaid account.", DeclareCreate,
       RunCreate},
      {"account show", "Prints an account and its balance.", DeclareShow, RunShow},
      {"account adjust", "Credits or debits an account (top-up, goodwill, correction).",
       DeclareAdjust, RunAdjust},
      {"tariff put", "Adds a tariff version (incentive rates, grants).", DeclareTariffPut,
       RunTariffPut},
      {"tariff list", "Lists the tariff versions.", DeclareTariffList, RunTariffList},
  };
}

}  // namespace p2pims::ctl
