#include "lib/pg/pool.h"

#include <poll.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/pg/internal/status_from_exception.h"

namespace p2pims::pg {
namespace {

PoolOptions Normalized(PoolOptions options) {
  options.size = std::max(options.size, 1);
  return options;
}

// Adds key=value to a libpq connection string (key=value or URI form) unless it names the key.
std::string WithParameter(const std::string& conninfo, const std::string& key, int64_t value) {
  if (absl::StrContains(conninfo, key)) return conninfo;
  if (absl::StartsWith(conninfo, "postgresql://") || absl::StartsWith(conninfo, "postgres://")) {
    return absl::StrCat(conninfo, absl::StrContains(conninfo, '?') ? "&" : "?", key, "=", value);
  }
  return absl::StrCat(conninfo, conninfo.empty() ? "" : " ", key, "=", value);
}

// libpq takes connect_timeout in whole seconds and treats anything below 2 as 2. A peer that
// vanished without closing (a partition, a host that died) is noticed within about 30 s instead
// of the kernel's hours: TCP keepalives and a bound on unacknowledged data, unless conninfo sets
// them itself.
std::string WithConnectTimeout(const std::string& conninfo, absl::Duration timeout) {
  const int64_t seconds =
      std::max<int64_t>(2, absl::ToInt64Seconds(absl::Ceil(timeout, absl::Seconds(1))));
  std::string out = WithParameter(conninfo, "connect_timeout", seconds);
  out = WithParameter(out, "keepalives_idle", 10);
  out = WithParameter(out, "keepalives_interval", 5);
  out = WithParameter(out, "keepalives_count", 3);
  return WithParameter(out, "tcp_user_timeout", 30'000);
}

// The pool replaces broken connections itself (and counts them). libpqxx 6 would otherwise
// reconnect behind our back; its switch for that is deprecated but still the only one.
void InhibitReactivation(pqxx::connection& connection) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  connection.inhibit_reactivation(true);
#pragma GCC diagnostic pop
}

// Whether an idle connection still has a server behind it. After a restart or crash its socket
// turns readable (a FATAL "terminating connection" notice, then EOF); reading that input marks
// the connection closed without sending anything, which is cheaper and safer than failing BEGIN.
bool StillOpen(pqxx::connection& connection) {
  if (!connection.is_open()) return false;
  pollfd fd{.fd = connection.sock(), .events = POLLIN, .revents = 0};
  if (::poll(&fd, 1, 0) > 0) {
    try {
      connection.get_notifs();  // consumes pending input; throws when the server has gone
    } catch (const std::exception&) {
      return false;
    }
  }
  return connection.is_open();
}

// Runs fn in txn, then commits or rolls back. fn's own error wins over a failed rollback.
}  // namespace

class Pool::Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<pqxx::connection> connection)
      : pool_(pool), connection_(std::move(connection)) {}
  ~Lease() { pool_->Release(std::move(connection_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  pqxx::connection* connection() const { return connection_.get(); }
  void Set(std::unique_ptr<pqxx::connection> connection) { connection_ = std::move(connection); }
  // Drops a broken connection, keeping the slot.
  void Discard() {
    {
      absl::MutexLock lock(&pool_->mu_);
      ++pool_->reconnects_;
    }
    connection_.reset();
  }

 private:
  Pool* const pool_;
  std::unique_ptr<pqxx::connection> connection_;
};

Pool::Pool(PoolOptions options)
    : options_(Normalized(std::move(options))),
      conninfo_(WithConnectTimeout(options_.conninfo, options_.connect_timeout)) {}

Pool::~Pool() = default;

absl::Status Pool::Reopen(Lease& lease) {
  if (lease.connection() != nullptr && !StillOpen(*lease.connection())) lease.Discard();
  if (lease.connection() != nullptr) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<pqxx::connection>> opened = Connect();
  if (!opened.ok()) return opened.status();
  lease.Set(*std::move(opened));
  return absl::OkStatus();
}

absl::Status Pool::WithTransaction(const std::function<absl::Status(pqxx::work&)>& fn) {
  absl::StatusOr<std::unique_ptr<pqxx::connection>> acquired = Acquire();
  if (!acquired.ok()) return acquired.status();
  Lease lease(this, *std::move(acquired));
  for (int attempt = 1;; ++attempt) {
    if (absl::Status open = Reopen(lease); !open.ok()) return open;
    // Declared after the lease: the transaction ends before its connection goes back.
    std::optional<pqxx::work> txn;
    try {
      txn.emplace(*lease.connection());  // sends BEGIN
    } catch (const std::exception& e) {
      absl::Status status = internal::StatusFromException(e);
      if (lease.connection()->is_open()) return status;
      lease.Discard();
      // Broken before fn ran (typically idle across a server restart): nothing was done, so
      // one more try on a fresh connection is safe.
      if (attempt == 1) continue;
      return status;
    }
    return internal::RunAndCommit(*txn, fn);
  }
}

absl::Status Pool::WithReadOnly(const std::function<absl::Status(pqxx::nontransaction&)>& fn) {
  absl::StatusOr<std::unique_ptr<pqxx::connection>> acquired = Acquire();
  if (!acquired.ok()) return acquired.status();
  Lease lease(this, *std::move(acquired));
  for (int attempt = 1;; ++attempt) {
    if (absl::Status open = Reopen(lease); !open.ok()) return open;
    try {
      pqxx::nontransaction reads(*lease.connection());
      return fn(reads);
    } catch (const std::exception& e) {
      absl::Status status = internal::StatusFromException(e);
      if (lease.connection()->is_open() || attempt > 1) return status;
      lease.Discard();  // only reads ran: trying once more on a fresh connection is safe
    } catch (...) {
      return absl::InternalError("non-standard exception in database read");
    }
  }
}

absl::Status Pool::Ping() {
  try {
    pqxx::connection connection(conninfo_);
    pqxx::nontransaction txn(connection);
    txn.exec("SELECT 1");
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return internal::StatusFromException(e);
  }
}

absl::Status Pool::CheckStatements() {
  auto connection = Connect();
  if (!connection.ok()) return connection.status();
  for (const auto& [name, sql] : options_.prepared) {
    try {
      (*connection)->prepare_now(name);
    } catch (const pqxx::broken_connection& e) {
      return internal::StatusFromException(e);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("prepared statement ", name, " does not parse: ", e.what()));
    }
  }
  return absl::OkStatus();
}

int Pool::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

int64_t Pool::reconnects() const {
  absl::MutexLock lock(&mu_);
  return reconnects_;
}

bool Pool::HasFreeSlot() const { return in_use_ < options_.size; }

absl::StatusOr<std::unique_ptr<pqxx::connection>> Pool::Acquire() {
  absl::MutexLock lock(&mu_);
  if (!mu_.AwaitWithTimeout(absl::Condition(this, &Pool::HasFreeSlot), options_.acquire_timeout)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("database pool exhausted: all ", options_.size, " connections busy for ",
                     absl::FormatDuration(options_.acquire_timeout)));
  }
  ++in_use_;
  std::unique_ptr<pqxx::connection> connection;
  if (!idle_.empty()) {
    connection = std::move(idle_.back());  // the most recently used one
    idle_.pop_back();
  }
  return connection;
}

void Pool::Release(std::unique_ptr<pqxx::connection> connection) {
  const bool reusable = connection != nullptr && connection->is_open();
  absl::MutexLock lock(&mu_);
  --in_use_;
  if (reusable) {
    idle_.push_back(std::move(connection));
  } else if (connection != nullptr) {
    ++reconnects_;
  }
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> Pool::Connect() const {
  try {
    auto connection = std::make_unique<pqxx::connection>(conninfo_);
    InhibitReactivation(*connection);
    for (const auto& [name, sql] : options_.prepared) connection->prepare(name, sql);
    return connection;
  } catch (const std::exception& e) {
    return internal::StatusFromException(e);
  }
}

}  // namespace p2pims::pg
