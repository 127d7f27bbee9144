// Test scaffolding for charging's store against a real PostgreSQL: a fresh schema per test, a
// prepaid account for sip:alice@x with 1000 EUR cents, and request builders.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "lib/pg/testing/schema_test.h"
#include "lib/status/status_testing.h"
#include "services/charging/cdr_store.h"
#include "services/charging/store.h"

namespace p2pims::charging {

class ChargingTest : public pg::SchemaTest {
 protected:
  void SetUp() override {
    auto statements = ChargingStore::Statements();
    auto billing = CdrStore::Statements();
    statements.insert(statements.end(), billing.begin(), billing.end());
    ResetSchema("charging", ChargingMigrations(), statements);
    if (HasFatalFailure()) return;
    store_ = std::make_unique<ChargingStore>(pool(), options_);
    Open("sip:alice@x", 1000);
  }

  void Open(const std::string& subject, int64_t balance) {
    v1::Account a;
    a.set_subject(subject);
    a.set_kind(v1::ACCOUNT_KIND_PREPAID);
    a.mutable_balance()->set_minor(balance);
    a.mutable_balance()->set_currency("EUR");
    ASSERT_OK(store_->CreateAccount(a, "test").status());
  }

  static v1::CreditControlRequest Request(const std::string& session, int64_t n,
                                          v1::RequestType type,
                                          const std::string& model = "per_byte",
                                          int64_t price = 10) {
    v1::CreditControlRequest r;
    r.set_session_id(session);
    r.set_request_number(n);
    r.set_request_type(type);
    r.set_subject("sip:alice@x");
    r.set_icid("icid-" + session);
    r.mutable_rating()->set_content_id("movie");
    r.mutable_rating()->set_owner("studio");
    r.mutable_rating()->set_price_model(model);
    r.mutable_rating()->mutable_price()->set_minor(price);
    r.mutable_rating()->mutable_price()->set_currency("EUR");
    return r;
  }

  v1::Account Account(const std::string& subject = "sip:alice@x") {
    auto a = store_->GetAccount(subject);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *a : v1::Account();
  }

  ChargingOptions options_;
  std::unique_ptr<ChargingStore> store_;
};

}  // namespace p2pims::charging
