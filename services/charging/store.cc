#include "services/charging/store.h"

#include <atomic>
#include <future>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"

namespace p2pims::charging {
namespace {

constexpr char kTariffColumns[] =
    "tariff_id, currency, incentive_per_gib_minor, incentive_same_area_per_gib_minor,"
    " incentive_same_cell_per_gib_minor, validity_seconds, per_byte_grant_bytes,"
    " extract(epoch from effective_from)::bigint, extract(epoch from created_at)::bigint";

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

EngineJob CreditControlJob(const v1::CreditControlRequest* req, v1::CreditControlAnswer* answer) {
  EngineJob job;
  job.kind = EngineJob::Kind::kCreditControl;
  job.cc = req;
  job.cc_answer = answer;
  return job;
}

EngineJob AccountingJob(const v1::AccountingRequest* req, v1::AccountingAnswer* answer) {
  EngineJob job;
  job.kind = EngineJob::Kind::kAccounting;
  job.acct = req;
  job.acct_answer = answer;
  return job;
}

v1::Account AccountProto(const AccountEntry& e) {
  v1::Account a;
  a.set_subject(e.subject);
  a.set_kind(e.kind == "postpaid" ? v1::ACCOUNT_KIND_POSTPAID : v1::ACCOUNT_KIND_PREPAID);
  auto money = [&](v1::Money* m, int64_t minor) {
    m->set_minor(minor);
    m->set_currency(e.currency);
  };
  money(a.mutable_balance(), e.balance);
  money(a.mutable_reserved(), e.reserved);
  money(a.mutable_credit_limit(), e.credit_limit);
  money(a.mutable_incentive_earned(), e.incentive);
  return a;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ChargingStore::Statements() {
  std::vector<std::pair<std::string, std::string>> all = {
      {"charging_put_tariff",
       "INSERT INTO charging.tariff (tariff_id, effective_from, currency, incentive_per_gib_minor,"
       " incentive_same_area_per_gib_minor, incentive_same_cell_per_gib_minor, validity_seconds,"
       " per_byte_grant_bytes, actor) VALUES ($1, to_timestamp($2::bigint), $3, $4, $5, $6, $7,"
       " $8, $9) RETURNING " + std::string(kTariffColumns)},
      {"charging_list_tariffs", std::string("SELECT ") + kTariffColumns +
                                    " FROM charging.tariff ORDER BY effective_from DESC"},
  };
  auto engine = Engine::Statements();
  all.insert(all.end(), engine.begin(), engine.end());
  return all;
}

absl::Status ChargingStore::Run(EngineJob& job) {
  // A std::promise rather than absl::Notification: ThreadSanitizer sees its hand-over (Debian's
  // Abseil is not built for it), so a race in the engine stands out.
  std::promise<void> finished;
  job.done = [&](EngineJob&) { finished.set_value(); };
  engine_.Submit(&job);
  finished.get_future().wait();
  return job.status;
}

absl::StatusOr<v1::CreditControlAnswer> ChargingStore::CreditControl(
    const v1::CreditControlRequest& req) {
  v1::CreditControlAnswer answer;
  EngineJob job = CreditControlJob(&req, &answer);
  if (absl::Status s = Run(job); !s.ok()) return s;
  return answer;
}

void ChargingStore::CreditControlAsync(const v1::CreditControlRequest* req,
                                       v1::CreditControlAnswer* answer,
                                       std::function<void(absl::Status)> done) {
  SubmitAsync(CreditControlJob(req, answer), std::move(done));
}

absl::StatusOr<v1::AccountingAnswer> ChargingStore::Accounting(const v1::AccountingRequest& req) {
  v1::AccountingAnswer answer;
  EngineJob job = AccountingJob(&req, &answer);
  if (absl::Status s = Run(job); !s.ok()) return s;
  return answer;
}

void ChargingStore::AccountingAsync(const v1::AccountingRequest* req, v1::AccountingAnswer* answer,
                                    std::function<void(absl::Status)> done) {
  SubmitAsync(AccountingJob(req, answer), std::move(done));
}

void ChargingStore::SubmitAsync(EngineJob job, std::function<void(absl::Status)> done) {
  auto* owned = new EngineJob(std::move(job));
  owned->done = [done = std::move(done)](EngineJob& j) {
    done(j.status);
    delete &j;
  };
  engine_.Submit(owned);
}

void ChargingStore::AccountingManyAsync(const std::vector<const v1::AccountingRequest*>& reqs,
                                        const std::vector<v1::AccountingAnswer*>& answers,
                                        std::function<void(size_t, absl::Status)> done) {
  // One allocation for all the jobs; the last one to finish frees it.
  struct Shared {
    std::vector<EngineJob> jobs;
    std::atomic<size_t> left;
    std::function<void(size_t, absl::Status)> done;
  };
  auto* shared = new Shared{std::vector<EngineJob>(reqs.size()), reqs.size(), std::move(done)};
  if (reqs.empty()) {
    delete shared;
    return;
  }
  for (size_t i = 0; i < reqs.size(); ++i) {
    EngineJob& job = shared->jobs[i];
    job = AccountingJob(reqs[i], answers[i]);
    job.done = [shared, i](EngineJob& j) {
      shared->done(i, j.status);
      if (shared->left.fetch_sub(1) == 1) delete shared;
    };
  }
  for (EngineJob& job : shared->jobs) engine_.Submit(&job);
}

absl::StatusOr<int> ChargingStore::SweepExpired(int limit) {
  EngineJob job;
  job.kind = EngineJob::Kind::kSweep;
  job.sweep_limit = limit;
  if (absl::Status s = Run(job); !s.ok()) return s;
  return job.swept;
}

absl::StatusOr<v1::Account> ChargingStore::CreateAccount(const v1::Account& a,
                                                         const std::string& actor) {
  v1::Account out;
  EngineJob job;
  job.kind = EngineJob::Kind::kCreateAccount;
  job.new_account = &a;
  job.actor = actor;
  job.account = &out;
  if (absl::Status s = Run(job); !s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Account> ChargingStore::AdjustBalance(const v1::AdjustBalanceRequest& req) {
  v1::Account out;
  EngineJob job;
  job.kind = EngineJob::Kind::kAdjust;
  job.adjust = &req;
  job.account = &out;
  if (absl::Status s = Run(job); !s.ok()) return s;
  return out;
}

void Engine::CreateAccount(EngineJob& job, WriteSet& ws) {
  const v1::Account& a = *job.new_account;
  if (FindAccount(a.subject()) != nullptr) {
    job.status = absl::AlreadyExistsError(absl::StrCat("an account for ", a.subject(), " exists"));
    return;
  }
  auto e = std::make_unique<AccountEntry>();
  e->subject = a.subject();
  e->kind = a.kind() == v1::ACCOUNT_KIND_POSTPAID ? "postpaid" : "prepaid";
  e->currency = a.balance().currency();
  e->balance = a.balance().minor();
  e->credit_limit = a.credit_limit().minor();
  e->persisted = false;
  e->used_ms = NowMs();
  ws.Touch(e.get());
  if (e->balance != 0) {
    ws.Add(LedgerRow{e->subject, e->balance, e->currency, "opening balance", "", job.actor, ""});
  }
  *job.account = AccountProto(*e);
  accounts_[e->subject] = std::move(e);
}

void Engine::Adjust(EngineJob& job, WriteSet& ws) {
  const v1::AdjustBalanceRequest& req = *job.adjust;
  AccountEntry* a = FindAccount(req.subject());
  if (a == nullptr) {
    job.status = absl::NotFoundError(absl::StrCat("no account for ", req.subject()));
    return;
  }
  if (a->currency != req.amount().currency()) {
    job.status = absl::InvalidArgumentError("amount currency differs from the account's");
    return;
  }
  // The same idempotency key again: the first adjustment stands.
  if (req.idempotency_key().empty() || idempotency_keys_.insert(req.idempotency_key()).second) {
    a->balance += req.amount().minor();
    ws.Touch(a);
    ws.Add(LedgerRow{a->subject, req.amount().minor(), a->currency, req.reason(), "", req.actor(),
                     req.idempotency_key()});
  }
  *job.account = AccountProto(*a);
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
  engine_.InvalidateTariffs();
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

absl::StatusOr<v1::Account> ChargingStore::GetAccount(const std::string& subject) {
  v1::Account out;
  EngineJob job;
  job.kind = EngineJob::Kind::kGetAccount;
  job.subject = subject;
  job.account = &out;
  if (absl::Status s = Run(job); !s.ok()) return s;
  return out;
}

void Engine::GetAccount(EngineJob& job) {
  const AccountEntry* a = FindAccount(job.subject);
  if (a == nullptr) {
    job.status = absl::NotFoundError(absl::StrCat("no account for ", job.subject));
    return;
  }
  *job.account = AccountProto(*a);
}

}  // namespace p2pims::charging
