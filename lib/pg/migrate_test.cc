#include "lib/pg/migrate.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "lib/pg/pool.h"
#include "lib/pg/testing/temp_postgres.h"
#include "lib/status/status_testing.h"

namespace p2pims::pg {
namespace {

// Every test migrates its own schema on one shared server.
class MigrateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<TempPostgres>> server = TempPostgres::Start();
    if (server.ok()) {
      server_ = server->release();
    } else {
      ADD_FAILURE() << server.status();
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "PostgreSQL did not start";
    pool_ = std::make_unique<Pool>(PoolOptions{.conninfo = server_->conninfo()});
  }

  int Version(const std::string& schema) {
    absl::StatusOr<int> version = CurrentVersion(*pool_, schema);
    EXPECT_TRUE(version.ok()) << version.status();
    return version.ok() ? *version : -1;
  }

  // The single value a query returns, as text ("" for NULL); test-only SQL.
  std::string Query(const std::string& sql) {
    std::string value;
    absl::Status status = pool_->WithTransaction([&](pqxx::work& txn) {
      pqxx::field field = txn.exec1(sql)[0];
      value = field.is_null() ? "" : field.as<std::string>();
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return value;
  }

  static TempPostgres* server_;
  std::unique_ptr<Pool> pool_;
};
TempPostgres* MigrateTest::server_ = nullptr;

const Migration kCreateA{1, "0001_create_a", "CREATE TABLE a (id int PRIMARY KEY)"};
// Not idempotent: applying it twice violates the primary key.
const Migration kFillA{2, "0002_fill_a", "CREATE TABLE b (id int); INSERT INTO a VALUES (1);"};
const Migration kAlterB{3, "0003_alter_b", "ALTER TABLE b ADD COLUMN note text"};

TEST_F(MigrateTest, CurrentVersionIsZeroBeforeAnyMigration) {
  EXPECT_EQ(Version("m_none"), 0);
  EXPECT_EQ(Query("SELECT to_regnamespace('m_none')"), "");
}

TEST_F(MigrateTest, AppliesInOrderOnceAndThenOnlyNewOnes) {
  ASSERT_OK(Migrate(*pool_, "m_apply", {kCreateA, kFillA}));
  EXPECT_EQ(Version("m_apply"), 2);
  // Unqualified names landed in the service's schema.
  EXPECT_EQ(Query("SELECT count(*) FROM m_apply.a"), "1");
  EXPECT_EQ(Query("SELECT string_agg(version || ':' || name, ',' ORDER BY version) "
                  "FROM m_apply.schema_migrations"),
            "1:0001_create_a,2:0002_fill_a");

  // Running again is a no-op (kFillA would fail if applied twice).
  ASSERT_OK(Migrate(*pool_, "m_apply", {kCreateA, kFillA}));
  EXPECT_EQ(Version("m_apply"), 2);

  ASSERT_OK(Migrate(*pool_, "m_apply", {kCreateA, kFillA, kAlterB}));
  EXPECT_EQ(Version("m_apply"), 3);
  EXPECT_EQ(Query("SELECT count(*) FROM m_apply.schema_migrations"), "3");
  EXPECT_EQ(Query("SELECT count(*) FROM information_schema.columns "
                  "WHERE table_schema = 'm_apply' AND table_name = 'b' AND column_name = 'note'"),
            "1");
}

TEST_F(MigrateTest, RefusesADatabaseMigratedByANewerBinary) {
  ASSERT_OK(Migrate(*pool_, "m_newer", {kCreateA, kFillA, kAlterB}));
  absl::Status status = Migrate(*pool_, "m_newer", {kCreateA, kFillA});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("rolled back"), std::string::npos) << status;
  EXPECT_NE(status.message().find("3"), std::string::npos) << status;
  EXPECT_EQ(Version("m_newer"), 3);
}

TEST_F(MigrateTest, RejectsVersionsThatDoNotStrictlyIncrease) {
  for (const std::vector<Migration>& migrations : std::vector<std::vector<Migration>>{
           {kFillA, kCreateA}, {kCreateA, kCreateA}, {{0, "0000_zero", "SELECT 1"}}}) {
    absl::Status status = Migrate(*pool_, "m_unsorted", migrations);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  }
  EXPECT_EQ(Query("SELECT to_regnamespace('m_unsorted')"), "");
}

TEST_F(MigrateTest, RejectsSchemaNamesThatAreNotPlainIdentifiers) {
  for (const char* schema : {"", "Rights", "1rights", "rights; DROP TABLE x", "a-b"}) {
    EXPECT_EQ(Migrate(*pool_, schema, {kCreateA}).code(), absl::StatusCode::kInvalidArgument)
        << schema;
    EXPECT_EQ(CurrentVersion(*pool_, schema).status().code(), absl::StatusCode::kInvalidArgument)
        << schema;
  }
}

TEST_F(MigrateTest, FailingMigrationRollsBackEntirely) {
  ASSERT_OK(Migrate(*pool_, "m_fail", {kCreateA}));
  const Migration broken{2, "0002_broken", "CREATE TABLE t2 (id int); SELECT * FROM no_such_table"};
  absl::Status status = Migrate(*pool_, "m_fail", {kCreateA, broken});
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_NE(status.message().find("migration 2 (0002_broken)"), std::string::npos) << status;
  EXPECT_NE(status.message().find("no_such_table"), std::string::npos) << status;
  EXPECT_EQ(Version("m_fail"), 1);
  EXPECT_EQ(Query("SELECT to_regclass('m_fail.t2')"), "");
}

TEST_F(MigrateTest, ConcurrentMigratorsBothSucceedAndApplyOnce) {
  // Several rounds, each with fresh replicas racing on a fresh schema.
  for (int round = 0; round < 3; ++round) {
    const std::string schema = "m_race" + std::to_string(round);
    Pool first({.conninfo = server_->conninfo()});
    Pool second({.conninfo = server_->conninfo()});
    absl::Notification go;
    absl::Status first_status, second_status;
    std::thread thread([&] {
      go.WaitForNotification();
      first_status = Migrate(first, schema, {kCreateA, kFillA});
    });
    go.Notify();
    second_status = Migrate(second, schema, {kCreateA, kFillA});
    thread.join();
    EXPECT_TRUE(first_status.ok()) << first_status;
    EXPECT_TRUE(second_status.ok()) << second_status;
    EXPECT_EQ(Version(schema), 2);
    EXPECT_EQ(Query("SELECT count(*) FROM " + schema + ".schema_migrations"), "2");
    EXPECT_EQ(Query("SELECT count(*) FROM " + schema + ".a"), "1");
  }
}

}  // namespace
}  // namespace p2pims::pg
