// One PostgreSQL connection of its own, outside the pool, for work that needs the same server
// session across transactions: a session-level advisory lock (a leader's) stays held exactly as
// long as the connection does, so every transaction committed through it ran under the lock.
//
//   pg::Session session(pool);
//   absl::Status s = session.Transaction([&](pqxx::work& tx) { ...; return absl::OkStatus(); });
//   if (!session.open()) { ... the lock is gone: start over ... }
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "lib/pg/pool.h"

namespace p2pims::pg {

// Not thread-safe: one owner thread.
class Session {
 public:
  // Connects with the pool's connection string and prepared statements, on first use, and
  // runs `on_open` (e.g. "SET jit = off") on every connection it opens.
  explicit Session(Pool& pool, std::string on_open = "")
      : pool_(pool), on_open_(std::move(on_open)) {}

  // True while the connection is up; false before the first use and after it broke.
  bool open() const;
  // Opens the connection when it is not open. Unavailable when the server cannot be reached.
  absl::Status Open();
  // Closes the connection (and with it every session-level lock).
  void Close();

  // Runs fn in a transaction and commits when it returns OK. Errors as Pool::WithTransaction;
  // a connection that broke is closed, and the next call opens a new one.
  absl::Status Transaction(const std::function<absl::Status(pqxx::work&)>& fn);
  // Runs fn's statements without a transaction. Errors as above.
  absl::Status Read(const std::function<absl::Status(pqxx::nontransaction&)>& fn);

 private:
  Pool& pool_;
  const std::string on_open_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace p2pims::pg
