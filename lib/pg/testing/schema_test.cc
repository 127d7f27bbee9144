#include "lib/pg/testing/schema_test.h"

#include "lib/status/status_testing.h"

namespace p2pims::pg {

TempPostgres* SchemaTest::server_ = nullptr;

void SchemaTest::SetUpTestSuite() {
  auto server = TempPostgres::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = server->release();
}

void SchemaTest::TearDownTestSuite() {
  delete server_;
  server_ = nullptr;
}

void SchemaTest::ResetSchema(const std::string& schema, const std::vector<Migration>& migrations,
                             std::vector<std::pair<std::string, std::string>> prepared) {
  ASSERT_NE(server_, nullptr) << "PostgreSQL did not start";
  pool_ = std::make_unique<Pool>(
      PoolOptions{.conninfo = server_->conninfo(), .prepared = std::move(prepared)});
  ASSERT_OK(pool_->WithTransaction([&](pqxx::work& tx) {
    tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema) + " CASCADE");
    return absl::OkStatus();
  }));
  ASSERT_OK(Migrate(*pool_, schema, migrations));
  ASSERT_OK(pool_->CheckStatements());
}

void SchemaTest::UsePrepared(std::vector<std::pair<std::string, std::string>> prepared) {
  pool_ = std::make_unique<Pool>(
      PoolOptions{.conninfo = server_->conninfo(), .prepared = std::move(prepared)});
  ASSERT_OK(pool_->CheckStatements());
}

std::vector<std::string> SchemaTest::Rows(const std::string& sql) {
  std::vector<std::string> out;
  EXPECT_OK(pool_->WithTransaction([&](pqxx::work& tx) {
    for (const auto& row : tx.exec(sql)) {
      std::string line;
      for (pqxx::row::size_type i = 0; i < row.size(); ++i) {
        if (i > 0) line += "|";
        line += row[i].is_null() ? "NULL" : row[i].c_str();
      }
      out.push_back(line);
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace p2pims::pg
