// What the charging engine keeps in memory: accounts, sessions (credit control and accounting)
// and incentive pools, each as committed in PostgreSQL plus the changes of the batch in progress.
// Only the engine thread touches them (engine.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "services/charging/rating.h"
#include "services/charging/records.h"

namespace p2pims::charging {

// One row of charging.account.
struct AccountEntry {
  std::string subject, kind, currency;
  int64_t balance = 0, reserved = 0, credit_limit = 0, incentive = 0;
  bool persisted = true;  // false until the batch that creates it commits
  bool dirty = false;     // changed by the batch in progress
  int64_t used_ms = 0;    // last request, for eviction

  int64_t available() const { return Available(kind, balance, reserved, credit_limit); }
};

// One session id: its credit-control row (charging.cc_session) and its accounting records.
struct SessionEntry {
  std::string id;

  bool has_cc = false;        // a cc_session row exists (or is being created)
  bool cc_persisted = false;  // ... and is committed
  SessionRow cc;
  int64_t expires_at_ms = 0;  // the reservation's expiry (open sessions)
  // Answers by request number (all of them, also after a reload from cc_session.answers).
  std::map<int64_t, std::string> answers;
  // Answers up to this request number are in the row already; a batch appends the rest.
  int64_t answers_written_through = -1;

  // Accounting records: record number -> the CDR sequence it returned (0 when none).
  absl::flat_hash_map<int64_t, int64_t> records;
  bool acct_closed = false;  // a STOP or EVENT is stored
  AccountingTotals acct;

  bool dirty = false;       // changed by the batch in progress
  int64_t closed_ms = 0;    // when it got its CDR, for eviction
  int64_t cdr_sequence() const { return cc.cdr_sequence; }
};

// One swarm's incentive pool for one hour (charging.incentive_pool). Downloads only add to it,
// so a report without uploads needs no read: the batch adds its deltas to the row. Crediting
// uploads needs the totals, which are read first (`known`).
struct PoolEntry {
  std::string content_id;
  int64_t period_start_s = 0;
  bool known = false;  // the totals below are the row's (else only the deltas are)
  int64_t bytes_down = 0, bytes_up_credited = 0, bytes_up_over_claimed = 0;
  // Not yet sealed into a batch.
  int64_t delta_down = 0, delta_credited = 0, delta_over_claimed = 0;
  bool dirty = false;
};

// The key of a pool: content id and hour.
inline std::string PoolKey(const std::string& content_id, int64_t period_start_s) {
  return content_id + '\n' + std::to_string(period_start_s);
}

}  // namespace p2pims::charging
