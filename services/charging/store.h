// Charging's PostgreSQL store (schema `charging`). Each operation is one transaction, so a
// credit-control answer, its ledger rows, its reservation change and (when it closes a session)
// its CDR commit together: no debit without a stored CDR.
//
// The methods live in several files: store.cc (accounts, tariffs), credit_control.cc (Ro),
// accounting.cc (Rf), sweeper.cc (sessions that never ended).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/pg/migrate.h"
#include "lib/pg/pool.h"
#include "p2pims/charging/v1/charging.pb.h"
#include "services/charging/rating.h"
#include "services/charging/records.h"
#include "services/charging/tariff_book.h"

namespace p2pims {
// The schema's migrations, embedded from services/charging/migrations/ at build time.
const std::vector<pg::Migration>& ChargingMigrations();
}  // namespace p2pims

namespace p2pims::charging {

struct ChargingOptions {
  // Usage a session reports beyond this rate since it opened is refused as unexplainable.
  int64_t max_bytes_per_second = 1'250'000'000;  // 10 Gbit/s
  // A session whose accounting sent nothing for this long is closed by the sweeper.
  absl::Duration accounting_timeout = absl::Hours(6);
};

// Thread-safe: each call takes its own pooled connection; rows are locked FOR UPDATE.
class ChargingStore {
 public:
  explicit ChargingStore(pg::Pool& pool, ChargingOptions options = {})
      : pool_(pool), options_(options) {}

  static std::vector<std::pair<std::string, std::string>> Statements();

  // Ro: INITIAL, UPDATE, TERMINATION, EVENT. A (session, request number) seen before returns
  // the stored answer. FailedPrecondition for requests the session state does not allow,
  // InvalidArgument for usage the session cannot explain.
  absl::StatusOr<v1::CreditControlAnswer> CreditControl(const v1::CreditControlRequest& req);
  // Rf: START, INTERIM, STOP, EVENT. STOP writes the session's one CDR (a credit-controlled
  // session already has it from its TERMINATION, and STOP returns its number); a second STOP under
  // another record number is FailedPrecondition.
  absl::StatusOr<v1::AccountingAnswer> Accounting(const v1::AccountingRequest& req);

  absl::StatusOr<v1::Account> CreateAccount(const v1::Account& account, const std::string& actor);
  absl::StatusOr<v1::Account> GetAccount(const std::string& subject);
  absl::StatusOr<v1::Account> AdjustBalance(const v1::AdjustBalanceRequest& req);

  // AlreadyExists for a taken id or effective time.
  absl::StatusOr<v1::Tariff> PutTariff(const v1::Tariff& tariff, const std::string& actor);
  absl::StatusOr<std::vector<v1::Tariff>> ListTariffs();

  // Closes up to `limit` sessions that never ended: credit-controlled ones whose reservation
  // outlived its validity, and accounting-only ones silent for accounting_timeout. Each gets its
  // CDR with cause time limit and the incomplete flag. Returns how many were closed.
  absl::StatusOr<int> SweepExpired(int limit);

 private:
  absl::StatusOr<v1::CreditControlAnswer> CreditControlOnce(const v1::CreditControlRequest& req);
  absl::StatusOr<v1::AccountingAnswer> AccountingOnce(const v1::AccountingRequest& req);
  // The pieces of one credit-control transaction (credit_control.cc).
  v1::CreditControlAnswer Initial(pqxx::work& tx, const v1::CreditControlRequest& req,
                                  const pqxx::result& account);
  absl::StatusOr<v1::CreditControlAnswer> Update(pqxx::work& tx,
                                                 const v1::CreditControlRequest& req,
                                                 SessionRow& session,
                                                 const pqxx::result& account);
  absl::StatusOr<v1::CreditControlAnswer> Terminate(pqxx::work& tx,
                                                    const v1::CreditControlRequest& req,
                                                    SessionRow& session,
                                                    const pqxx::result& account);
  v1::CreditControlAnswer Event(pqxx::work& tx, const v1::CreditControlRequest& req,
                                const pqxx::result& account);
  // Adds a report's usage to the session and the swarm's incentive pool, and credits the
  // uploader's incentive. InvalidArgument when the session cannot explain it.
  absl::Status RecordUsage(pqxx::work& tx, const v1::CreditControlRequest& req,
                           SessionRow& session);
  // Settles a session: charges what it used (as far as the balance allows), releases its
  // reservation, writes its CDR. Returns the charge. `account` is the subscriber's row when the
  // caller has locked it already.
  int64_t Settle(pqxx::work& tx, SessionRow& session, const std::string& cause, bool incomplete,
                 std::string* note, const pqxx::result* account = nullptr);

  pg::Pool& pool_;
  const ChargingOptions options_;
  TariffBook tariffs_;
};

// The prepared statements of each file that makes up the store; Statements() joins them.
std::vector<std::pair<std::string, std::string>> CreditControlStatements();
std::vector<std::pair<std::string, std::string>> AccountingStatements();
std::vector<std::pair<std::string, std::string>> SweeperStatements();

}  // namespace p2pims::charging
