#include "lib/pg/pool.h"

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "lib/pg/testing/temp_postgres.h"
#include "lib/status/status_testing.h"

namespace p2pims::pg {
namespace {

std::unique_ptr<TempPostgres> StartServer() {
  absl::StatusOr<std::unique_ptr<TempPostgres>> server = TempPostgres::Start();
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

absl::Status Exec(Pool& pool, const std::string& sql) {
  return pool.WithTransaction([&](pqxx::work& txn) {
    txn.exec(sql);
    return absl::OkStatus();
  });
}

int64_t CountRows(Pool& pool, const std::string& table) {
  int64_t count = -1;
  absl::Status status = pool.WithTransaction([&](pqxx::work& txn) {
    count = txn.exec1("SELECT count(*) FROM " + table)[0].as<int64_t>();
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return count;
}

// Tests sharing one server; each uses its own tables.
class PoolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = StartServer().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr) << "PostgreSQL did not start"; }

  static TempPostgres* server_;
};
TempPostgres* PoolTest::server_ = nullptr;

TEST_F(PoolTest, PreparedStatementRoundTrip) {
  // Declared before the table exists: statements are prepared at first use.
  Pool pool({.conninfo = server_->conninfo(),
             .prepared = {{"put", "INSERT INTO public.kv (k, v) VALUES ($1, $2)"},
                          {"get", "SELECT v FROM public.kv WHERE k = $1"}}});
  ASSERT_OK(Exec(pool, "CREATE TABLE public.kv (k text PRIMARY KEY, v bigint NOT NULL)"));
  ASSERT_OK(pool.WithTransaction([](pqxx::work& txn) {
    txn.exec_prepared0("put", "alice", int64_t{42});
    return absl::OkStatus();
  }));
  int64_t value = 0;
  ASSERT_OK(pool.WithTransaction([&](pqxx::work& txn) {
    value = txn.exec_prepared1("get", "alice")[0].as<int64_t>();
    return absl::OkStatus();
  }));
  EXPECT_EQ(value, 42);
  EXPECT_EQ(pool.in_use(), 0);
  EXPECT_EQ(pool.size(), 4);
  EXPECT_EQ(pool.reconnects(), 0);
}

TEST_F(PoolTest, UniqueViolationIsAlreadyExists) {
  Pool pool({.conninfo = server_->conninfo(),
             .prepared = {{"insert_unique", "INSERT INTO public.uniq (id) VALUES ($1)"}}});
  ASSERT_OK(Exec(pool, "CREATE TABLE public.uniq (id int PRIMARY KEY)"));
  auto insert = [](pqxx::work& txn) {
    txn.exec_prepared0("insert_unique", 1);
    return absl::OkStatus();
  };
  ASSERT_OK(pool.WithTransaction(insert));
  absl::Status again = pool.WithTransaction(insert);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_EQ(CountRows(pool, "public.uniq"), 1);
}

TEST_F(PoolTest, ErrorFromFnRollsBack) {
  Pool pool({.conninfo = server_->conninfo()});
  ASSERT_OK(Exec(pool, "CREATE TABLE public.rollback_me (id int)"));
  absl::Status status = pool.WithTransaction([](pqxx::work& txn) {
    txn.exec0("INSERT INTO public.rollback_me VALUES (1)");
    return absl::NotFoundError("no such account");
  });
  EXPECT_EQ(status, absl::NotFoundError("no such account"));
  EXPECT_EQ(CountRows(pool, "public.rollback_me"), 0);
}

TEST_F(PoolTest, ExceptionFromFnIsInternalAndRollsBack) {
  Pool pool({.conninfo = server_->conninfo(), .size = 1});
  ASSERT_OK(Exec(pool, "CREATE TABLE public.throws (id int)"));
  absl::Status status = pool.WithTransaction([](pqxx::work& txn) -> absl::Status {
    txn.exec0("INSERT INTO public.throws VALUES (1)");
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_NE(status.message().find("boom"), std::string::npos) << status;
  // The only connection went back to the pool in a usable state.
  EXPECT_EQ(pool.in_use(), 0);
  EXPECT_EQ(CountRows(pool, "public.throws"), 0);
}

TEST_F(PoolTest, SqlErrorIsInternalWithTheServerMessage) {
  Pool pool({.conninfo = server_->conninfo()});
  absl::Status status = Exec(pool, "SELECT * FROM public.no_such_table");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_NE(status.message().find("no_such_table"), std::string::npos) << status;
}

TEST_F(PoolTest, RowsTheSchemaRefusesAreInvalidArgument) {
  Pool pool({.conninfo = server_->conninfo()});
  ASSERT_OK(Exec(pool, "CREATE TABLE public.checked_amounts (v int NOT NULL CHECK (v >= 0))"));
  EXPECT_EQ(Exec(pool, "INSERT INTO public.checked_amounts VALUES (-1)").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Exec(pool, "INSERT INTO public.checked_amounts VALUES (NULL)").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Exec(pool, "INSERT INTO public.checked_amounts VALUES (99999999999)").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PoolTest, ConnectionLostInsideFnIsUnavailableAndNotRetried) {
  Pool pool({.conninfo = server_->conninfo(), .size = 1});
  int calls = 0;
  absl::Status status = pool.WithTransaction([&](pqxx::work& txn) {
    ++calls;
    txn.exec("SELECT pg_terminate_backend(pg_backend_pid())");
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(pool.reconnects(), 1);
  EXPECT_EQ(pool.in_use(), 0);
  // The broken connection was dropped; the next call opens a new one.
  ASSERT_OK(Exec(pool, "SELECT 1"));
}

TEST_F(PoolTest, ReadOnlyRunsWithoutATransactionAndRetriesOnABrokenConnection) {
  Pool pool({.conninfo = server_->conninfo(), .size = 1,
             .prepared = {{"read_v", "SELECT v FROM public.ro WHERE k = $1"}}});
  ASSERT_OK(Exec(pool, "CREATE TABLE public.ro (k text PRIMARY KEY, v bigint NOT NULL)"));
  ASSERT_OK(Exec(pool, "INSERT INTO public.ro VALUES ('a', 7)"));
  int64_t value = 0;
  bool in_transaction = true;
  ASSERT_OK(pool.WithReadOnly([&](pqxx::nontransaction& reads) {
    value = reads.exec_prepared1("read_v", "a")[0].as<int64_t>();
    // now() and statement_timestamp() differ only inside an explicit transaction block.
    in_transaction = reads.exec1("SELECT now() <> statement_timestamp()")[0].as<bool>();
    return absl::OkStatus();
  }));
  EXPECT_EQ(value, 7);
  EXPECT_FALSE(in_transaction);

  // The pooled connection is killed while idle: the read still succeeds, on a fresh one.
  Pool killer({.conninfo = server_->conninfo(), .size = 1});
  ASSERT_OK(Exec(killer, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE pid <> pg_backend_pid() AND datname = current_database()"
                         " AND backend_type = 'client backend'"));
  value = 0;
  ASSERT_OK(pool.WithReadOnly([&](pqxx::nontransaction& reads) {
    value = reads.exec_prepared1("read_v", "a")[0].as<int64_t>();
    return absl::OkStatus();
  }));
  EXPECT_EQ(value, 7);
  EXPECT_EQ(pool.in_use(), 0);
  EXPECT_EQ(pool.reconnects(), 1);

  // An SQL error is reported, not retried.
  int calls = 0;
  absl::Status status = pool.WithReadOnly([&](pqxx::nontransaction& reads) {
    ++calls;
    reads.exec("SELECT * FROM public.no_such_table");
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_EQ(calls, 1);
}

TEST_F(PoolTest, DeadlockIsAborted) {
  Pool pool({.conninfo = server_->conninfo()});
  ASSERT_OK(Exec(pool,
                 "CREATE TABLE public.locks (id int PRIMARY KEY); "
                 "INSERT INTO public.locks VALUES (1), (2)"));
  absl::Notification first_locked, second_locked;
  // Each takes one row, waits until the other holds the other row, then asks for it.
  auto lock_both = [&](int mine, int theirs, absl::Notification& locked,
                       absl::Notification& other_locked) {
    return pool.WithTransaction([&](pqxx::work& txn) {
      txn.exec0("UPDATE public.locks SET id = id WHERE id = " + std::to_string(mine));
      locked.Notify();
      other_locked.WaitForNotificationWithTimeout(absl::Seconds(30));
      txn.exec0("UPDATE public.locks SET id = id WHERE id = " + std::to_string(theirs));
      return absl::OkStatus();
    });
  };
  absl::Status first, second;
  std::thread thread([&] { first = lock_both(1, 2, first_locked, second_locked); });
  second = lock_both(2, 1, second_locked, first_locked);
  thread.join();
  // The server breaks the cycle by aborting exactly one of them.
  EXPECT_NE(first.ok(), second.ok()) << first << " / " << second;
  const absl::Status& failed = first.ok() ? second : first;
  EXPECT_EQ(failed.code(), absl::StatusCode::kAborted) << failed;
}

TEST_F(PoolTest, BusyPoolIsResourceExhaustedAfterAcquireTimeout) {
  Pool pool(
      {.conninfo = server_->conninfo(), .size = 1, .acquire_timeout = absl::Milliseconds(100)});
  absl::Notification holding, done;
  std::thread holder([&] {
    absl::Status status = pool.WithTransaction([&](pqxx::work&) {
      holding.Notify();
      done.WaitForNotificationWithTimeout(absl::Seconds(30));
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  holding.WaitForNotification();
  EXPECT_EQ(pool.in_use(), 1);
  const absl::Time start = absl::Now();
  absl::Status status = pool.WithTransaction([](pqxx::work&) { return absl::OkStatus(); });
  const absl::Duration waited = absl::Now() - start;
  done.Notify();
  holder.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_GE(waited, absl::Milliseconds(100));
  EXPECT_LT(waited, absl::Seconds(5));
  EXPECT_EQ(pool.in_use(), 0);
}

TEST_F(PoolTest, PingSucceedsWhileServerRuns) {
  Pool pool({.conninfo = server_->conninfo()});
  ASSERT_OK(pool.Ping());
}

TEST_F(PoolTest, CheckStatementsNamesTheStatementThatDoesNotParse) {
  Pool plain({.conninfo = server_->conninfo()});
  ASSERT_OK(Exec(plain, "CREATE TABLE public.checked (k text PRIMARY KEY)"));
  Pool good({.conninfo = server_->conninfo(),
             .prepared = {{"find", "SELECT k FROM public.checked WHERE k = $1"}}});
  ASSERT_OK(good.CheckStatements());
  Pool bad({.conninfo = server_->conninfo(),
            .prepared = {{"find", "SELECT k FROM public.checked WHERE k = $1"},
                         {"typo", "SELECT no_such_column FROM public.checked"}}});
  absl::Status s = bad.CheckStatements();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("typo"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("no_such_column"), absl::string_view::npos) << s;
}

// Tests that stop or crash their own server.
class PoolFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer();
    ASSERT_NE(server_, nullptr);
  }
  std::unique_ptr<TempPostgres> server_;
};

TEST_F(PoolFaultTest, ServerDownIsUnavailableWithinTimeouts) {
  Pool pool({.conninfo = server_->conninfo(), .connect_timeout = absl::Seconds(2)});
  ASSERT_OK(server_->Stop());
  int calls = 0;
  const absl::Time start = absl::Now();
  absl::Status status = pool.WithTransaction([&](pqxx::work&) {
    ++calls;
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(status.message().rfind("database unavailable: ", 0), 0u) << status;
  EXPECT_EQ(calls, 0);
  absl::Status ping = pool.Ping();
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable) << ping;
  // acquire_timeout + two connection attempts is the documented bound.
  EXPECT_LT(absl::Now() - start, absl::Seconds(2 + 2 * 2 + 2));
  EXPECT_EQ(pool.in_use(), 0);
}

TEST_F(PoolFaultTest, RecoversAfterCrashAndRestart) {
  Pool pool({.conninfo = server_->conninfo(), .size = 2});
  ASSERT_OK(
      Exec(pool, "CREATE TABLE public.durable (id int); INSERT INTO public.durable VALUES (1)"));
  ASSERT_OK(server_->Kill());

  int calls = 0;
  auto insert = [&](pqxx::work& txn) {
    ++calls;
    txn.exec0("INSERT INTO public.durable VALUES (2)");
    return absl::OkStatus();
  };
  absl::Status down = pool.WithTransaction(insert);
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  EXPECT_EQ(calls, 0);

  ASSERT_OK(server_->Restart());
  constexpr int kMaxTries = 3;
  int tries = 0;
  absl::Status status;
  do {
    status = pool.WithTransaction(insert);
  } while (!status.ok() && ++tries < kMaxTries);
  ASSERT_TRUE(status.ok()) << "after " << tries + 1 << " tries: " << status;
  EXPECT_EQ(calls, tries + 1);
  // The row committed before the crash survived it; the new one was written once.
  EXPECT_EQ(CountRows(pool, "public.durable"), 2);
  EXPECT_GE(pool.reconnects(), 1);
  EXPECT_EQ(pool.in_use(), 0);
}

// A connection left idle across a restart is found broken at BEGIN, before fn runs, so the
// first call after the restart succeeds on a fresh connection and fn runs exactly once.
class StaleConnectionTest : public PoolFaultTest, public ::testing::WithParamInterface<bool> {};

TEST_P(StaleConnectionTest, FirstCallAfterRestartSucceeds) {
  const bool crash = GetParam();
  Pool pool({.conninfo = server_->conninfo(), .size = 1});
  ASSERT_OK(Exec(pool, "CREATE TABLE public.stale (id int)"));
  ASSERT_OK(crash ? server_->Kill() : server_->Stop());
  ASSERT_OK(server_->Restart());

  int calls = 0;
  ASSERT_OK(pool.WithTransaction([&](pqxx::work& txn) {
    ++calls;
    txn.exec0("INSERT INTO public.stale VALUES (1)");
    return absl::OkStatus();
  }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(pool.reconnects(), 1);
  EXPECT_EQ(CountRows(pool, "public.stale"), 1);
}

INSTANTIATE_TEST_SUITE_P(KillOrStop, StaleConnectionTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "AfterKill" : "AfterFastShutdown";
                         });

}  // namespace
}  // namespace p2pims::pg
