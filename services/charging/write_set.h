// Everything one engine batch changes, written in one transaction with one statement per table
// (array parameters, so a batch of a thousand requests costs the same round trips as one):
// sessions and accounts as their new rows, ledger movements, CDRs with their gapless numbers,
// accounting records and incentive pools. Either all of it commits or none of it does.
//
// Seal() takes the rows' values when the batch is complete, so that Write() may run on another
// thread while the engine goes on changing the same entries for the next batch.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "services/charging/engine_state.h"
#include "services/charging/records.h"

namespace p2pims::charging {

struct LedgerRow {
  std::string subject;
  int64_t amount_minor = 0;
  std::string currency, cause, session_id, actor, idempotency_key;
};

struct AccountingRow {
  std::string session_id, record_type, subject, icid, content_id, locality, node_id;
  std::string called_party, access_network_info;
  int64_t record_number = 0, cdr_sequence = 0, bytes_down = 0, bytes_up = 0, at_ms = 0;
};

class WriteSet {
 public:
  // `last_sequence` is the last CDR number committed; CDRs added get the following ones.
  explicit WriteSet(int64_t last_sequence) : committed_sequence_(last_sequence),
                                             next_sequence_(last_sequence) {}

  static std::vector<std::pair<std::string, std::string>> Statements();

  // Marks an entry as changed; its state when Commit runs is what gets written.
  void Touch(SessionEntry* s);
  void Touch(AccountEntry* a);
  void Touch(PoolEntry* p);

  void Add(LedgerRow row) { ledger_.push_back(std::move(row)); }
  void Add(AccountingRow row) { accounting_.push_back(std::move(row)); }
  // Numbers the CDR (the next gapless sequence) and returns the number.
  int64_t Add(CdrRow cdr);

  bool empty() const;
  int64_t last_sequence() const { return next_sequence_; }
  int cdrs() const { return static_cast<int>(cdrs_.size()); }
  const std::vector<SessionEntry*>& sessions() const { return sessions_; }
  const std::vector<AccountEntry*>& accounts() const { return accounts_; }
  const std::vector<PoolEntry*>& pools() const { return pools_; }

  // Takes the values of every row to write; the entries count as written from now on (no longer
  // dirty, rows existing). The engine thread only; when the write fails, the engine forgets
  // every entry anyway.
  void Seal();
  // Writes what Seal() took, in `tx`. Internal (a conflict) when the CDR counter is not where
  // this set started, i.e. something else numbered CDRs meanwhile. Any thread.
  absl::Status Write(pqxx::work& tx) const;

  // A prepared statement and its parameters.
  struct Statement {
    const char* name;
    std::vector<std::string> params;
  };

 private:
  void SealSessions();
  void SealAccounts();
  void SealLedger();
  void SealCdrs();
  void SealAccounting();
  void SealPools();

  const int64_t committed_sequence_;
  int64_t next_sequence_;
  std::vector<SessionEntry*> sessions_;
  std::vector<AccountEntry*> accounts_;
  std::vector<PoolEntry*> pools_;
  std::vector<LedgerRow> ledger_;
  std::vector<CdrRow> cdrs_;
  std::vector<AccountingRow> accounting_;
  std::vector<Statement> statements_;  // by Seal()
};

}  // namespace p2pims::charging
