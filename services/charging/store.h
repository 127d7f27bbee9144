// Charging's store: the engine (engine.h), which applies every request that moves money in
// committed batches, plus the reads and tariff writes that need no engine. Each request's
// answer, ledger rows, reservation change and (when it closes a session) CDR commit together: no
// debit without a stored CDR.
//
// The engine's parts live in several files: engine.cc (batches, loading, leadership),
// credit_control.cc (Ro), accounting.cc (Rf), sweeper.cc (sessions that never ended),
// store.cc (accounts, tariffs, this facade), write_set.cc (the batch's statements).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/pg/migrate.h"
#include "lib/pg/pool.h"
#include "p2pims/charging/v1/charging.pb.h"
#include "services/charging/engine.h"

namespace p2pims {
// The schema's migrations, embedded from services/charging/migrations/ at build time.
const std::vector<pg::Migration>& ChargingMigrations();
}  // namespace p2pims

namespace p2pims::charging {

// Thread-safe.
class ChargingStore {
 public:
  explicit ChargingStore(pg::Pool& pool, ChargingOptions options = {})
      : pool_(pool), engine_(pool, std::move(options)) {}

  static std::vector<std::pair<std::string, std::string>> Statements();

  // Ro: INITIAL, UPDATE, TERMINATION, EVENT. A (session, request number) answered before gets
  // that answer again. FailedPrecondition for requests the session state does not allow,
  // InvalidArgument for usage the session cannot explain, Unavailable when the answer could not
  // be committed (or this replica is standby): retrying is safe.
  absl::StatusOr<v1::CreditControlAnswer> CreditControl(const v1::CreditControlRequest& req);
  // The same without waiting: `done` runs on the engine thread once `*answer` is final; `req`
  // and `answer` must live until then.
  void CreditControlAsync(const v1::CreditControlRequest* req, v1::CreditControlAnswer* answer,
                          std::function<void(absl::Status)> done);
  // Rf: START, INTERIM, STOP, EVENT. STOP writes the session's one CDR (a credit-controlled
  // session already has it from its TERMINATION, and STOP returns its number); a second STOP under
  // another record number, or any record after it, is FailedPrecondition.
  absl::StatusOr<v1::AccountingAnswer> Accounting(const v1::AccountingRequest& req);
  void AccountingAsync(const v1::AccountingRequest* req, v1::AccountingAnswer* answer,
                       std::function<void(absl::Status)> done);
  // Several records at once (they usually share one engine batch): `done(i, status)` runs for
  // each `reqs[i]` once `answers[i]` is final, on the engine's threads. Everything must live
  // until the last call.
  void AccountingManyAsync(const std::vector<const v1::AccountingRequest*>& reqs,
                           const std::vector<v1::AccountingAnswer*>& answers,
                           std::function<void(size_t, absl::Status)> done);

  // AlreadyExists when the subject has an account.
  absl::StatusOr<v1::Account> CreateAccount(const v1::Account& account, const std::string& actor);
  // The account as committed, its reservations included (the sum of its open sessions').
  // NotFound when there is none; Unavailable on a standby.
  absl::StatusOr<v1::Account> GetAccount(const std::string& subject);
  // NotFound, InvalidArgument (currency); an idempotency key used before leaves the first
  // adjustment standing and returns the account.
  absl::StatusOr<v1::Account> AdjustBalance(const v1::AdjustBalanceRequest& req);

  // AlreadyExists for a taken id or effective time.
  absl::StatusOr<v1::Tariff> PutTariff(const v1::Tariff& tariff, const std::string& actor);
  absl::StatusOr<std::vector<v1::Tariff>> ListTariffs();

  // Closes up to `limit` sessions that never ended: credit-controlled ones whose reservation
  // outlived its validity, and accounting-only ones silent for accounting_timeout. Each gets its
  // CDR with cause time limit and the incomplete flag. Returns how many were closed.
  absl::StatusOr<int> SweepExpired(int limit);

  // True while this replica is the writer (the others answer Unavailable).
  bool leader() const { return engine_.leader(); }
  // The engine's figures for metrics (engine.h).
  const Engine& engine() const { return engine_; }

 private:
  // Submits `job` and waits for its outcome.
  absl::Status Run(EngineJob& job);
  // Submits a copy of `job` that `done` hears of and that deletes itself.
  void SubmitAsync(EngineJob job, std::function<void(absl::Status)> done);

  pg::Pool& pool_;
  Engine engine_;
};

}  // namespace p2pims::charging
