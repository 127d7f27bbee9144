// A small pool of PostgreSQL connections, used one way: a function run in a transaction whose
// outcome is an absl::Status. libpqxx exceptions never leave it; they become Status codes.
//
//   pg::Pool pool({.conninfo = "host=127.0.0.1 port=55432 dbname=p2pims user=postgres",
//                  .prepared = {{"balance", "SELECT balance FROM charging.account WHERE id=$1"}}});
//   int64_t balance = 0;
//   absl::Status status = pool.WithTransaction([&](pqxx::work& txn) {
//     pqxx::result rows = txn.exec_prepared("balance", account_id);
//     if (rows.empty()) return absl::NotFoundError("no such account");
//     balance = rows[0][0].as<int64_t>();
//     return absl::OkStatus();
//   });
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace p2pims::pg {

struct PoolOptions {
  // libpq connection string, key=value or URI form, e.g.
  // "host=127.0.0.1 port=55432 dbname=p2pims user=postgres".
  std::string conninfo;
  // Most connections open at once.
  int size = 4;
  // How long WithTransaction waits for a free connection.
  absl::Duration acquire_timeout = absl::Seconds(2);
  // Bound on opening a connection (libpq's connect_timeout: whole seconds, at least 2), unless
  // conninfo sets connect_timeout itself. Connections also get TCP keepalives (idle 10 s, every
  // 5 s, 3 probes) and tcp_user_timeout 30 s unless conninfo sets them: a dead peer is noticed
  // in about 30 s.
  absl::Duration connect_timeout = absl::Seconds(2);
  // Statement name -> SQL, prepared on every connection (and again after a reconnection).
  // Preparation is lazy, at first use, so statements may name tables that migrations create.
  // Name tables with their schema: the search path is not set.
  std::vector<std::pair<std::string, std::string>> prepared;
};

// Lends connections to transactions, opening them on demand up to `size` and reopening broken
// ones. Safe to use from any number of threads at once; the pqxx::work handed to fn belongs to
// that call alone and must not escape it.
class Pool {
 public:
  // Never fails and never connects: connections open on first use, so a service starts even
  // when the database is down (and reports it through Ping).
  explicit Pool(PoolOptions options);
  // Every WithTransaction must have returned.
  ~Pool();

  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Runs fn in a transaction (pqxx::work, read committed) on a pooled connection; commits when
  // fn returns OK, rolls back otherwise and returns fn's status.
  //
  // A connection found broken is discarded and reopened on next use, so the pool outlives
  // server restarts. Before use, an idle connection is checked without a round trip (a server
  // that went away left input on its socket); when BEGIN still fails on a broken connection, the
  // call is tried once more on a freshly opened one. fn itself never runs twice: a connection
  // lost while fn runs yields Unavailable (or Unknown during COMMIT).
  //
  // Errors:
  //   Unavailable        the server cannot be reached or the connection broke ("database
  //                      unavailable: ..."); nothing was committed
  //   ResourceExhausted  every connection stayed busy for acquire_timeout
  //   AlreadyExists      unique_violation
  //   Aborted            serialization_failure or deadlock: retrying the whole call may succeed
  //   Unknown            the connection broke during COMMIT: it may or may not have committed
  //   Internal           any other SQL error (with the server's message), or fn threw
  //   DeadlineExceeded, ResourceExhausted for the server's query_canceled and class 53 errors
  //
  // fn must not swallow pqxx exceptions (after an SQL error the transaction can only roll back)
  // and must not call WithTransaction on the same pool (it could wait for its own connection).
  // Worst-case wait before fn runs: acquire_timeout plus two connection attempts.
  absl::Status WithTransaction(const std::function<absl::Status(pqxx::work&)>& fn);

  // Runs fn's statements without a transaction (each one commits on its own, no BEGIN/COMMIT
  // round trips): for reads of one statement on hot paths. When the connection turns out broken
  // fn runs once more on a fresh one, so fn must only read. Errors as WithTransaction.
  absl::Status WithReadOnly(const std::function<absl::Status(pqxx::nontransaction&)>& fn);
  // "SELECT 1" on a new connection, bounded by connect_timeout; for /readyz. Does not use or
  // wait for pooled connections. Unavailable when the server cannot be reached.
  absl::Status Ping();

  // Has the server parse every statement in PoolOptions::prepared now, on a new connection, so
  // a statement that names a missing column fails at start-up instead of on its first use.
  // InvalidArgument naming the statement and the server's reason; Unavailable when unreachable.
  absl::Status CheckStatements();

  // A new connection of the caller's own, outside the pool and its size, with the prepared
  // statements declared (see pg::Session). Unavailable when the server cannot be reached.
  absl::StatusOr<std::unique_ptr<pqxx::connection>> OpenConnection() const { return Connect(); }

  // Connections currently lent to WithTransaction calls.
  int in_use() const;
  // Most connections open at once (PoolOptions::size).
  int size() const { return options_.size; }
  // Connections found broken and discarded so far; each is reopened on next use.
  int64_t reconnects() const;

 private:
  // A slot taken from the pool for one WithTransaction call; gives it back when destroyed.
  class Lease;

  // Makes sure the lease holds an open connection: drops one found broken, opens a new one.
  absl::Status Reopen(Lease& lease);

  // Takes a slot: an idle connection, or (nullptr) the right to open one. ResourceExhausted
  // after acquire_timeout.
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Acquire();
  // Gives a slot back, keeping the connection for reuse when it is still open.
  void Release(std::unique_ptr<pqxx::connection> connection);
  // Opens a connection with the prepared statements declared.
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect() const;
  bool HasFreeSlot() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PoolOptions options_;
  const std::string conninfo_;  // options_.conninfo with connect_timeout and keepalives

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reconnects_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace p2pims::pg
