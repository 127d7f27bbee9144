// Charging's PostgreSQL store (schema `charging`). Each operation is one transaction, so a
// credit-control answer, its ledger rows and its reservation change commit together.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/pg/migrate.h"
#include "lib/pg/pool.h"
#include "p2pims/charging/v1/charging.pb.h"

namespace p2pims {
// The schema's migrations, embedded from services/charging/migrations/ at build time.
const std::vector<pg::Migration>& ChargingMigrations();
}  // namespace p2pims

namespace p2pims::charging {

// Thread-safe: each call takes its own pooled connection; rows are locked FOR UPDATE.
class ChargingStore {
 public:
  explicit ChargingStore(pg::Pool& pool) : pool_(pool) {}

  static std::vector<std::pair<std::string, std::string>> Statements();

  // Ro: INITIAL, UPDATE, TERMINATION. A (session, request number) seen before returns the stored
  // answer. FailedPrecondition for requests the session state does not allow.
  absl::StatusOr<v1::CreditControlAnswer> CreditControl(const v1::CreditControlRequest& req);
  // Rf: START, INTERIM, STOP. STOP writes the session's one CDR with the next sequence number;
  // a second STOP under another record number is FailedPrecondition.
  absl::StatusOr<v1::AccountingAnswer> Accounting(const v1::AccountingRequest& req);

  absl::StatusOr<v1::Account> CreateAccount(const v1::Account& account, const std::string& actor);
  absl::StatusOr<v1::Account> GetAccount(const std::string& subject);
  absl::StatusOr<v1::Account> AdjustBalance(const v1::AdjustBalanceRequest& req);

 private:
  absl::StatusOr<v1::CreditControlAnswer> CreditControlOnce(const v1::CreditControlRequest& req);
  absl::StatusOr<v1::AccountingAnswer> AccountingOnce(const v1::AccountingRequest& req);
  pg::Pool& pool_;
};

}  // namespace p2pims::charging
