#include "services/charging/store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"

namespace p2pims::charging {
namespace {

constexpr char kAccountColumns[] =
    "subject, kind, currency, balance_minor, reserved_minor, credit_limit_minor, incentive_minor";

constexpr char kTariffColumns[] =
    "tariff_id, currency, incentive_per_gib_minor, incentive_same_area_per_gib_minor,"
    " incentive_same_cell_per_gib_minor, validity_seconds, per_byte_grant_bytes,"
    " extract(epoch from effective_from)::bigint, extract(epoch from created_at)::bigint";

v1::Account ReadAccount(const pqxx::row& row) {
  v1::Account a;
  a.set_subject(row[0].as<std::string>());
  a.set_kind(row[1].as<std::string>() == "postpaid" ? v1::ACCOUNT_KIND_POSTPAID
                                                    : v1::ACCOUNT_KIND_PREPAID);
  const std::string currency = row[2].as<std::string>();
  auto money = [&](v1::Money* m, int i) {
    m->set_minor(row[i].as<int64_t>());
    m->set_currency(currency);
  };
  money(a.mutable_balance(), 3);
  money(a.mutable_reserved(), 4);
  money(a.mutable_credit_limit(), 5);
  money(a.mutable_incentive_earned(), 6);
  return a;
}

v1::Tariff ReadTariffRow(const pqxx::row& row) {
  v1::Tariff t;
  t.set_tariff_id(row[0].as<std::string>());
  t.set_currency(row[1].as<std::string>());
  t.set_incentive_per_gib_minor(row[2].as<int64_t>());
  t.set_incentive_same_area_per_gib_minor(row[3].as<int64_t>());
  t.set_incentive_same_cell_per_gib_minor(row[4].as<int64_t>());
  t.set_validity_seconds(row[5].as<int64_t>());
  t.set_per_byte_grant_bytes(row[6].as<int64_t>());
  t.set_effective_from(row[7].as<int64_t>());
  t.set_created_at(row[8].as<int64_t>());
  return t;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ChargingStore::Statements() {
  std::vector<std::pair<std::string, std::string>> all = {
      {"charging_lock_account", std::string("SELECT ") + kAccountColumns +
                                    " FROM charging.account WHERE subject = $1 FOR UPDATE"},
      {"charging_get_account",
       std::string("SELECT ") + kAccountColumns + " FROM charging.account WHERE subject = $1"},
      {"charging_create_account",
       "INSERT INTO charging.account (subject, kind, currency, balance_minor, credit_limit_minor)"
       " VALUES ($1, $2, $3, $4, $5)"},
      {"charging_adjust",
       "UPDATE charging.account SET balance_minor = balance_minor + $2 WHERE subject = $1"},
      {"charging_ledger",
       "INSERT INTO charging.ledger (subject, amount_minor, currency, cause, session_id, actor,"
       " idempotency_key) VALUES ($1, $2, $3, $4, nullif($5, ''), $6, nullif($7, ''))"},
      {"charging_put_tariff",
       "INSERT INTO charging.tariff (tariff_id, effective_from, currency, incentive_per_gib_minor,"
       " incentive_same_area_per_gib_minor, incentive_same_cell_per_gib_minor, validity_seconds,"
       " per_byte_grant_bytes, actor) VALUES ($1, to_timestamp($2::bigint), $3, $4, $5, $6, $7,"
       " $8, $9) RETURNING " + std::string(kTariffColumns)},
      {"charging_list_tariffs", std::string("SELECT ") + kTariffColumns +
                                    " FROM charging.tariff ORDER BY effective_from DESC"},
  };
  for (auto part : {CreditControlStatements(), AccountingStatements(), SweeperStatements(),
                    RecordStatements()}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

absl::StatusOr<v1::Tariff> ChargingStore::PutTariff(const v1::Tariff& t, const std::string& actor) {
  v1::Tariff out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    out = ReadTariffRow(tx.exec_prepared1(
        "charging_put_tariff", t.tariff_id(), t.effective_from(), t.currency(),
        t.incentive_per_gib_minor(), t.incentive_same_area_per_gib_minor(),
        t.incentive_same_cell_per_gib_minor(), t.validity_seconds(), t.per_byte_grant_bytes(),
        actor));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  tariffs_.Invalidate();
  return out;
}

absl::StatusOr<std::vector<v1::Tariff>> ChargingStore::ListTariffs() {
  std::vector<v1::Tariff> out;
  absl::Status s = pool_.WithReadOnly([&](pqxx::nontransaction& tx) {
    for (const auto& row : tx.exec_prepared("charging_list_tariffs")) {
      out.push_back(ReadTariffRow(row));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Account> ChargingStore::CreateAccount(const v1::Account& a,
                                                         const std::string& actor) {
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_prepared("charging_create_account", a.subject(),
                     a.kind() == v1::ACCOUNT_KIND_POSTPAID ? "postpaid" : "prepaid",
                     a.balance().currency(), a.balance().minor(), a.credit_limit().minor());
    if (a.balance().minor() != 0) {
      tx.exec_prepared("charging_ledger", a.subject(), a.balance().minor(), a.balance().currency(),
                       "opening balance", "", actor, "");
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return GetAccount(a.subject());
}

absl::StatusOr<v1::Account> ChargingStore::GetAccount(const std::string& subject) {
  v1::Account out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared("charging_get_account", subject);
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no account for ", subject));
    out = ReadAccount(r[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Account> ChargingStore::AdjustBalance(const v1::AdjustBalanceRequest& req) {
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared("charging_lock_account", req.subject());
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no account for ", req.subject()));
    if (r[0][2].as<std::string>() != req.amount().currency()) {
      return absl::InvalidArgumentError("amount currency differs from the account's");
    }
    tx.exec_prepared("charging_ledger", req.subject(), req.amount().minor(),
                     req.amount().currency(), req.reason(), "", req.actor(), req.idempotency_key());
    tx.exec_prepared("charging_adjust", req.subject(), req.amount().minor());
    return absl::OkStatus();
  });
  // The same idempotency key again: the first adjustment stands.
  if (!s.ok() && s.code() != absl::StatusCode::kAlreadyExists) return s;
  return GetAccount(req.subject());
}

}  // namespace p2pims::charging
