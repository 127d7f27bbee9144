// The charging store against a real PostgreSQL: idempotent credit control, the session state
// machine, money that adds up, gapless CDRs and exactly-once billing pulls.
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "services/charging/charging_test_fixture.h"
#include "services/charging/rating.h"

namespace p2pims::charging {
namespace {

using ChargingStoreTest = ChargingTest;

TEST_F(ChargingStoreTest, InitialReservesOnceEvenWhenRetransmitted) {
  v1::CreditControlRequest initial = Request("s1", 0, v1::REQUEST_TYPE_INITIAL);
  initial.mutable_requested()->set_bytes_down(10 * kMiB);
  auto first = store_->CreditControl(initial);
  ASSERT_OK(first.status());
  EXPECT_EQ(first->result_code(), v1::RESULT_CODE_SUCCESS);
  EXPECT_EQ(first->granted().money().minor(), 100);
  auto again = store_->CreditControl(initial);
  ASSERT_OK(again.status());
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(Account().reserved().minor(), 100);
}

TEST_F(ChargingStoreTest, SessionStateMachineRefusesWhatTheSessionCannotExplain) {
  EXPECT_EQ(store_->CreditControl(Request("s2", 1, v1::REQUEST_TYPE_TERMINATION)).status().code(),
            absl::StatusCode::kFailedPrecondition);  // no INITIAL yet
  ASSERT_OK(store_->CreditControl(Request("s2", 0, v1::REQUEST_TYPE_INITIAL)).status());
  EXPECT_EQ(store_->CreditControl(Request("s2", 2, v1::REQUEST_TYPE_UPDATE)).status().code(),
            absl::StatusCode::kFailedPrecondition);  // skips number 1
  ASSERT_OK(store_->CreditControl(Request("s2", 1, v1::REQUEST_TYPE_TERMINATION)).status());
  EXPECT_EQ(store_->CreditControl(Request("s2", 2, v1::REQUEST_TYPE_UPDATE)).status().code(),
            absl::StatusCode::kFailedPrecondition);  // after TERMINATION
  v1::CreditControlRequest other = Request("s2", 2, v1::REQUEST_TYPE_UPDATE);
  other.set_subject("sip:mallory@x");
  EXPECT_EQ(store_->CreditControl(other).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ChargingStoreTest, TerminationChargesUsageOnceAndReleasesTheRest) {
  ASSERT_OK(store_->CreditControl(Request("s3", 0, v1::REQUEST_TYPE_INITIAL)).status());
  EXPECT_EQ(Account().reserved().minor(), 1000);  // 100 MiB by default at 10 per MiB
  v1::CreditControlRequest term = Request("s3", 1, v1::REQUEST_TYPE_TERMINATION);
  term.mutable_used()->set_bytes_down(3 * kMiB + 1);  // pro rata, rounded up to a cent
  auto answer = store_->CreditControl(term);
  ASSERT_OK(answer.status());
  EXPECT_EQ(answer->charged().minor(), 31);
  ASSERT_OK(store_->CreditControl(term).status());  // retransmitted
  const v1::Account a = Account();
  EXPECT_EQ(a.balance().minor(), 969);
  EXPECT_EQ(a.reserved().minor(), 0);
  // The balance is re-derivable from the ledger.
  EXPECT_EQ(Rows("SELECT sum(amount_minor) FROM charging.ledger WHERE subject = 'sip:alice@x'"),
            (std::vector<std::string>{"969"}));
}

TEST_F(ChargingStoreTest, ConcurrentRetransmissionsDebitOnce) {
  ASSERT_OK(store_->CreditControl(Request("s4", 0, v1::REQUEST_TYPE_INITIAL)).status());
  v1::CreditControlRequest term = Request("s4", 1, v1::REQUEST_TYPE_TERMINATION);
  term.mutable_used()->set_bytes_down(5 * kMiB);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { ok += store_->CreditControl(term).ok() ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);  // every copy gets the original answer
  EXPECT_EQ(Account().balance().minor(), 950);
}

TEST_F(ChargingStoreTest, OutOfCreditUnknownUserAndFreeContent) {
  // Not even one MiB affordable (a larger grant only part affordable is reduced instead:
  // credit_control_test).
  v1::CreditControlRequest dear = Request("s5", 0, v1::REQUEST_TYPE_INITIAL, "per_byte", 1500);
  auto refused = store_->CreditControl(dear);
  ASSERT_OK(refused.status());
  EXPECT_EQ(refused->result_code(), v1::RESULT_CODE_CREDIT_LIMIT_REACHED);
  EXPECT_EQ(refused->message(), "out of credit: 1000 available, 1500 needed");
  EXPECT_EQ(Account().reserved().minor(), 0);

  v1::CreditControlRequest stranger = Request("s6", 0, v1::REQUEST_TYPE_INITIAL);
  stranger.set_subject("sip:nobody@x");
  EXPECT_EQ(store_->CreditControl(stranger)->result_code(), v1::RESULT_CODE_USER_UNKNOWN);

  auto free = store_->CreditControl(Request("s7", 0, v1::REQUEST_TYPE_INITIAL, "free", 0));
  EXPECT_EQ(free->result_code(), v1::RESULT_CODE_CREDIT_CONTROL_NOT_APPLICABLE);
  EXPECT_EQ(store_->CreditControl(Request("s7", 1, v1::REQUEST_TYPE_TERMINATION)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ChargingStoreTest, FailedSetUpReleasesWithoutCharge) {
  ASSERT_OK(
      store_->CreditControl(Request("s8", 0, v1::REQUEST_TYPE_INITIAL, "purchase", 299)).status());
  v1::CreditControlRequest release = Request("s8", 1, v1::REQUEST_TYPE_TERMINATION);
  release.set_termination_cause(kCauseSetupFailed);
  EXPECT_EQ(store_->CreditControl(release)->charged().minor(), 0);
  EXPECT_EQ(Account().balance().minor(), 1000);
  EXPECT_EQ(Account().reserved().minor(), 0);
}

v1::AccountingRequest Stop(const std::string& session, int64_t number) {
  v1::AccountingRequest r;
  r.set_session_id(session);
  r.set_record_number(number);
  r.set_record_type(v1::RECORD_TYPE_STOP);
  r.set_subject("sip:alice@x");
  r.set_content_id("movie");
  r.mutable_used()->set_bytes_down(7);
  return r;
}

TEST_F(ChargingStoreTest, StopWritesOneCdrWithAGaplessSequence) {
  auto first = store_->Accounting(Stop("a1", 1));
  ASSERT_OK(first.status());
  EXPECT_EQ(first->cdr_sequence(), 1);
  EXPECT_EQ(store_->Accounting(Stop("a1", 1))->cdr_sequence(), 1);  // retransmission
  EXPECT_EQ(store_->Accounting(Stop("a1", 2)).status().code(),
            absl::StatusCode::kFailedPrecondition);                 // a second CDR for one session
  EXPECT_EQ(store_->Accounting(Stop("a2", 1))->cdr_sequence(), 2);  // no gap after the refusal
}

}  // namespace
}  // namespace p2pims::charging
