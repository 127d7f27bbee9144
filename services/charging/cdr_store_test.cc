// The billing side of charging against a real PostgreSQL: CDRs pulled exactly once per
// consumer, acknowledgements that only move forward.
#include "services/charging/cdr_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "lib/pg/testing/schema_test.h"
#include "lib/status/status_testing.h"
#include "services/charging/store.h"

namespace p2pims::charging {
namespace {

class CdrStoreTest : public pg::SchemaTest {
 protected:
  void SetUp() override {
    auto statements = ChargingStore::Statements();
    auto billing = CdrStore::Statements();
    statements.insert(statements.end(), billing.begin(), billing.end());
    ResetSchema("charging", ChargingMigrations(), statements);
    if (HasFatalFailure()) return;
    store_ = std::make_unique<ChargingStore>(pool());
    cdrs_ = std::make_unique<CdrStore>(pool());
  }

  // Closes a session that had no credit control (a free one) into a CDR.
  void CloseSession(const std::string& session) {
    v1::AccountingRequest r;
    r.set_session_id(session);
    r.set_record_number(1);
    r.set_record_type(v1::RECORD_TYPE_STOP);
    r.set_subject("sip:alice@x");
    ASSERT_OK(store_->Accounting(r).status());
  }

  std::unique_ptr<ChargingStore> store_;
  std::unique_ptr<CdrStore> cdrs_;
};

TEST_F(CdrStoreTest, BillingPullsEachCdrExactlyOnce) {
  for (int i = 0; i < 5; ++i) CloseSession("b" + std::to_string(i));
  auto page = cdrs_->PullCdrs("billing", 3);
  ASSERT_OK(page.status());
  ASSERT_EQ(page->cdrs_size(), 3);
  EXPECT_EQ(page->last_sequence(), 3);
  EXPECT_EQ(cdrs_->PullCdrs("billing", 3)->cdrs(0).sequence(), 1);  // not acked: comes again
  EXPECT_EQ(*cdrs_->AckCdrs("billing", 3), 3);
  auto next = cdrs_->PullCdrs("billing", 3);
  ASSERT_EQ(next->cdrs_size(), 2);
  EXPECT_EQ(next->cdrs(0).sequence(), 4);
  EXPECT_EQ(*cdrs_->AckCdrs("billing", 1), 3);   // never moves back
  EXPECT_EQ(*cdrs_->AckCdrs("billing", 99), 5);  // never past the last CDR
  EXPECT_EQ(cdrs_->PullCdrs("billing", 3)->cdrs_size(), 0);
  EXPECT_EQ(cdrs_->PullCdrs("audit", 10)->cdrs_size(), 5);  // each consumer has its own cursor
}

}  // namespace
}  // namespace p2pims::charging
