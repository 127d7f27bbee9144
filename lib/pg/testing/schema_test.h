// A GoogleTest fixture for a service's store: one throwaway PostgreSQL per test suite and the
// service's schema dropped and migrated afresh before each test.
//
//   class ChargingStoreTest : public pg::SchemaTest {
//    protected:
//     void SetUp() override {
//       ResetSchema("charging", ChargingMigrations(), ChargingStore::Statements());
//       store_ = std::make_unique<ChargingStore>(pool());
//     }
//   };
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/pg/migrate.h"
#include "lib/pg/pool.h"
#include "lib/pg/testing/temp_postgres.h"

namespace p2pims::pg {

// Not thread-safe; GoogleTest runs suites one after another.
class SchemaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  // Drops `schema`, applies `migrations` and checks that every statement in `prepared` parses;
  // pool() then serves the fresh schema. Fails the test (fatally) on any error.
  void ResetSchema(const std::string& schema, const std::vector<Migration>& migrations,
                   std::vector<std::pair<std::string, std::string>> prepared);

  // A new pool() with `prepared` on the schema as it is (after a test migrated it further);
  // nothing may use the old pool any more.
  void UsePrepared(std::vector<std::pair<std::string, std::string>> prepared);

  Pool& pool() { return *pool_; }

  // The rows `sql` returns, each as its columns joined by '|' (NULL for nulls); a failing query
  // fails the test.
  std::vector<std::string> Rows(const std::string& sql);
  static TempPostgres& server() { return *server_; }

 private:
  static TempPostgres* server_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace p2pims::pg
