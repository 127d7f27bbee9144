// Credit control beyond the basics, against a real PostgreSQL: grants that follow the balance,
// one-off events, the CDR written with the debit, usage no session could explain, incentives
// capped by what the swarm downloaded, the sweeper, and concurrent sessions that never overdraw.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "lib/encoding/encoding.h"
#include "services/charging/charging_test_fixture.h"
#include "services/charging/rating.h"

namespace p2pims::charging {
namespace {

using CreditControlTest = ChargingTest;

v1::AccountingRequest Record(const std::string& session, int64_t n, v1::RecordType type) {
  v1::AccountingRequest r;
  r.set_session_id(session);
  r.set_record_number(n);
  r.set_record_type(type);
  r.set_subject("sip:alice@x");
  r.set_content_id("movie");
  return r;
}

TEST_F(CreditControlTest, UpdatesGrantWhatTheBalanceAffordsThenTheLastUnitsThenNothing) {
  // 1000 cents at 10 per MiB: 100 MiB in all. Grants of 40 MiB each.
  v1::CreditControlRequest initial = Request("u1", 0, v1::REQUEST_TYPE_INITIAL);
  initial.mutable_requested()->set_bytes_down(40 * kMiB);
  auto first = store_->CreditControl(initial);
  ASSERT_OK(first.status());
  EXPECT_EQ(first->granted().bytes_down(), 40 * kMiB);
  EXPECT_EQ(first->validity_seconds(), 3600);  // the default tariff
  EXPECT_EQ(first->final_unit_action(), v1::FINAL_UNIT_ACTION_UNSPECIFIED);

  v1::CreditControlRequest update = Request("u1", 1, v1::REQUEST_TYPE_UPDATE);
  update.mutable_used()->set_bytes_down(40 * kMiB);
  update.mutable_requested()->set_bytes_down(40 * kMiB);
  auto second = store_->CreditControl(update);
  ASSERT_OK(second.status());
  EXPECT_EQ(second->result_code(), v1::RESULT_CODE_SUCCESS);
  EXPECT_EQ(second->granted().bytes_down(), 40 * kMiB);
  // 20 MiB would be left after this grant: less than another grant, so these are the last.
  EXPECT_EQ(second->final_unit_action(), v1::FINAL_UNIT_ACTION_TERMINATE);
  EXPECT_EQ(Account().reserved().minor(), 800);
  ASSERT_OK(store_->CreditControl(update).status());  // retransmitted: reserves nothing more
  EXPECT_EQ(Account().reserved().minor(), 800);

  update.set_request_number(2);
  auto third = store_->CreditControl(update);
  ASSERT_OK(third.status());
  EXPECT_EQ(third->granted().bytes_down(), 20 * kMiB);  // only what the balance still covers
  EXPECT_EQ(third->final_unit_action(), v1::FINAL_UNIT_ACTION_TERMINATE);
  EXPECT_EQ(Account().reserved().minor(), 1000);

  update.set_request_number(3);
  update.mutable_used()->set_bytes_down(20 * kMiB);
  auto fourth = store_->CreditControl(update);
  ASSERT_OK(fourth.status());
  EXPECT_EQ(fourth->result_code(), v1::RESULT_CODE_CREDIT_LIMIT_REACHED);
  EXPECT_EQ(fourth->granted().bytes_down(), 0);

  v1::CreditControlRequest term = Request("u1", 4, v1::REQUEST_TYPE_TERMINATION);
  term.mutable_used()->set_bytes_down(5 * kMiB);  // beyond every grant: charged as far as possible
  auto settled = store_->CreditControl(term);
  ASSERT_OK(settled.status());
  EXPECT_EQ(settled->charged().minor(), 1000);
  EXPECT_NE(settled->message().find("capped"), std::string::npos);
  EXPECT_EQ(Account().balance().minor(), 0);
  EXPECT_EQ(Account().reserved().minor(), 0);
  EXPECT_EQ(Rows("SELECT bytes_down, charge_minor, units FROM charging.cdr"),
            (std::vector<std::string>{std::to_string(105 * kMiB) + "|1000|" +
                                      std::to_string(105 * kMiB)}));
}

TEST_F(CreditControlTest, TerminationWritesTheCdrWithTheDebitAndStopConfirmsIt) {
  v1::CreditControlRequest initial = Request("t1", 0, v1::REQUEST_TYPE_INITIAL);
  initial.set_locality("262-01/a7/c3");
  initial.set_access_network_info("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=262011234567890");
  initial.set_called_party("sip:movie@p2p.example.net");
  initial.mutable_rating()->set_owner_share_bp(7000);
  ASSERT_OK(store_->CreditControl(initial).status());
  v1::CreditControlRequest term = Request("t1", 1, v1::REQUEST_TYPE_TERMINATION);
  term.mutable_used()->set_bytes_down(10 * kMiB);
  auto settled = store_->CreditControl(term);
  ASSERT_OK(settled.status());
  EXPECT_EQ(settled->cdr_sequence(), 1);
  EXPECT_EQ(Rows("SELECT sequence, record_type, session_id, icid, served_identity, called_party,"
                 " charge_minor, owner_share_minor, rated_price_minor, price_model,"
                 " cause_for_record_closing, incomplete, locality, access_network_info"
                 " FROM charging.cdr"),
            (std::vector<std::string>{
                "1|session|t1|icid-t1|sip:alice@x|sip:movie@p2p.example.net|100|70|10|per_byte|"
                "normal_release|f|262-01/a7/c3|3GPP-E-UTRAN-FDD; "
                "utran-cell-id-3gpp=262011234567890"}));

  // STOP (and its retransmission) confirms the same CDR; a second STOP is refused.
  EXPECT_EQ(store_->Accounting(Record("t1", 0, v1::RECORD_TYPE_START))->cdr_sequence(), 0);
  EXPECT_EQ(store_->Accounting(Record("t1", 1, v1::RECORD_TYPE_STOP))->cdr_sequence(), 1);
  EXPECT_EQ(store_->Accounting(Record("t1", 1, v1::RECORD_TYPE_STOP))->cdr_sequence(), 1);
  EXPECT_EQ(store_->Accounting(Record("t1", 2, v1::RECORD_TYPE_STOP)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Rows("SELECT count(*) FROM charging.cdr"), (std::vector<std::string>{"1"}));

  // STOP before TERMINATION is refused: the debit and the CDR come together.
  v1::CreditControlRequest open = Request("t2", 0, v1::REQUEST_TYPE_INITIAL);
  open.mutable_requested()->set_bytes_down(kMiB);
  ASSERT_EQ(store_->CreditControl(open)->result_code(), v1::RESULT_CODE_SUCCESS);
  EXPECT_EQ(store_->Accounting(Record("t2", 1, v1::RECORD_TYPE_STOP)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(CreditControlTest, FreeSessionsGetTheirCdrAtStopWithTheirRecordsTotals) {
  auto free = store_->CreditControl(Request("f1", 0, v1::REQUEST_TYPE_INITIAL, "free", 0));
  EXPECT_EQ(free->result_code(), v1::RESULT_CODE_CREDIT_CONTROL_NOT_APPLICABLE);
  ASSERT_OK(store_->Accounting(Record("f1", 0, v1::RECORD_TYPE_START)).status());
  v1::AccountingRequest interim = Record("f1", 1, v1::RECORD_TYPE_INTERIM);
  interim.mutable_used()->set_bytes_down(1000);
  ASSERT_OK(store_->Accounting(interim).status());
  v1::AccountingRequest stop = Record("f1", 2, v1::RECORD_TYPE_STOP);
  stop.mutable_used()->set_bytes_down(500);
  stop.mutable_used()->set_bytes_up(70);
  EXPECT_EQ(store_->Accounting(stop)->cdr_sequence(), 1);
  EXPECT_EQ(Rows("SELECT bytes_down, bytes_up, charge_minor, owner, price_model FROM charging.cdr"),
            (std::vector<std::string>{"1500|70|0|studio|free"}));
}

TEST_F(CreditControlTest, AnInitialPartlyAffordableGrantsWhatTheBalanceCoversAsTheLastUnits) {
  // 1000 cents at 10 per MiB cover 100 MiB; 150 MiB are asked for.
  v1::CreditControlRequest initial = Request("p1", 0, v1::REQUEST_TYPE_INITIAL);
  initial.mutable_requested()->set_bytes_down(150 * kMiB);
  auto first = store_->CreditControl(initial);
  ASSERT_OK(first.status());
  EXPECT_EQ(first->result_code(), v1::RESULT_CODE_SUCCESS);
  EXPECT_EQ(first->granted().bytes_down(), 100 * kMiB);
  EXPECT_EQ(first->final_unit_action(), v1::FINAL_UNIT_ACTION_TERMINATE);
  EXPECT_EQ(Account().reserved().minor(), 1000);
  // Nothing left: a second session is refused, saying what one MiB would need.
  auto second = store_->CreditControl(Request("p2", 0, v1::REQUEST_TYPE_INITIAL));
  ASSERT_OK(second.status());
  EXPECT_EQ(second->result_code(), v1::RESULT_CODE_CREDIT_LIMIT_REACHED);
  EXPECT_EQ(second->message(), "out of credit: 0 available, 10 needed");
}

TEST_F(CreditControlTest, EventChargesOnceWithItsOwnCdr) {
  v1::CreditControlRequest buy = Request("e1", 0, v1::REQUEST_TYPE_EVENT, "purchase", 299);
  auto charged = store_->CreditControl(buy);
  ASSERT_OK(charged.status());
  EXPECT_EQ(charged->result_code(), v1::RESULT_CODE_SUCCESS);
  EXPECT_EQ(charged->charged().minor(), 299);
  EXPECT_EQ(charged->cdr_sequence(), 1);
  EXPECT_EQ(store_->CreditControl(buy)->cdr_sequence(), 1);  // retransmitted
  EXPECT_EQ(Account().balance().minor(), 701);

  v1::CreditControlRequest too_dear = Request("e2", 0, v1::REQUEST_TYPE_EVENT, "purchase", 800);
  EXPECT_EQ(store_->CreditControl(too_dear)->result_code(),
            v1::RESULT_CODE_CREDIT_LIMIT_REACHED);
  EXPECT_EQ(Account().balance().minor(), 701);
  EXPECT_EQ(Rows("SELECT record_type, charge_minor FROM charging.cdr"),
            (std::vector<std::string>{"event|299"}));
  EXPECT_EQ(store_->CreditControl(Request("e1", 1, v1::REQUEST_TYPE_UPDATE)).status().code(),
            absl::StatusCode::kFailedPrecondition);  // an event is not a session
}

TEST_F(CreditControlTest, UsageTheSessionCannotExplainIsRefusedAndChangesNothing) {
  options_.max_bytes_per_second = 1000;  // a very slow network: 60 s of slack = 60,000 bytes
  store_ = std::make_unique<ChargingStore>(pool(), options_);
  ASSERT_OK(store_->CreditControl(Request("p1", 0, v1::REQUEST_TYPE_INITIAL)).status());
  v1::CreditControlRequest update = Request("p1", 1, v1::REQUEST_TYPE_UPDATE);
  update.mutable_used()->set_bytes_down(10 * kMiB);
  const absl::Status refused = store_->CreditControl(update).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("cannot explain"), std::string::npos) << refused;
  EXPECT_EQ(Rows("SELECT bytes_down, last_request_number FROM charging.cc_session"),
            (std::vector<std::string>{"0|0"}));
  update.mutable_used()->set_bytes_down(50'000);
  EXPECT_OK(store_->CreditControl(update).status());
}

TEST_F(CreditControlTest, UploadsEarnCreditOnlyUpToWhatTheSwarmDownloaded) {
  v1::Tariff tariff;
  tariff.set_tariff_id("t-2026");
  tariff.set_effective_from(1);
  tariff.set_currency("EUR");
  tariff.set_incentive_per_gib_minor(1024);            // 1 cent per MiB elsewhere
  tariff.set_incentive_same_cell_per_gib_minor(4096);  // 4 cents per MiB within the cell
  tariff.set_validity_seconds(600);
  tariff.set_per_byte_grant_bytes(10 * kMiB);
  ASSERT_OK(store_->PutTariff(tariff, "test").status());
  Open("sip:bob@x", 1000);

  // bob downloads 10 MiB of the movie; alice uploads 15 MiB of it, 4 MiB within her cell.
  auto session = [&](const std::string& id, const std::string& subject) {
    v1::CreditControlRequest r = Request(id, 0, v1::REQUEST_TYPE_INITIAL);
    r.set_subject(subject);
    ASSERT_OK(store_->CreditControl(r).status());
  };
  session("down", "sip:bob@x");
  session("up", "sip:alice@x");
  v1::CreditControlRequest downloaded = Request("down", 1, v1::REQUEST_TYPE_TERMINATION);
  downloaded.set_subject("sip:bob@x");
  downloaded.mutable_used()->set_bytes_down(10 * kMiB);
  ASSERT_OK(store_->CreditControl(downloaded).status());
  v1::CreditControlRequest uploaded = Request("up", 1, v1::REQUEST_TYPE_TERMINATION);
  uploaded.mutable_used()->set_bytes_up(15 * kMiB);
  uploaded.mutable_used()->set_bytes_up_same_cell(4 * kMiB);
  auto answer = store_->CreditControl(uploaded);
  ASSERT_OK(answer.status());

  // Rated: 4 MiB * 4 + 11 MiB * 1 = 27 cents for 15 MiB; credited 10 of 15 MiB -> 18 cents.
  EXPECT_EQ(Rows("SELECT bytes_up, bytes_up_credited, bytes_up_over_claimed, incentive_minor,"
                 " tariff_id FROM charging.cdr WHERE session_id = 'up'"),
            (std::vector<std::string>{std::to_string(15 * kMiB) + "|" +
                                      std::to_string(10 * kMiB) + "|" +
                                      std::to_string(5 * kMiB) + "|18|t-2026"}));
  const v1::Account alice = Account();
  EXPECT_EQ(alice.incentive_earned().minor(), 18);
  EXPECT_EQ(alice.balance().minor(), 1000 + 18);
  EXPECT_EQ(Rows("SELECT sum(amount_minor) FROM charging.ledger WHERE subject = 'sip:alice@x'"),
            (std::vector<std::string>{"1018"}));
  EXPECT_EQ(Rows("SELECT bytes_down, bytes_up_credited, bytes_up_over_claimed"
                 " FROM charging.incentive_pool"),
            (std::vector<std::string>{std::to_string(10 * kMiB) + "|" +
                                      std::to_string(10 * kMiB) + "|" +
                                      std::to_string(5 * kMiB)}));
}

TEST_F(CreditControlTest, TheSweeperSettlesSessionsThatNeverEnded) {
  // A store whose clock the test moves, with a one-hour accounting timeout.
  std::atomic<int64_t> skew_s{0};
  ChargingOptions options;
  options.accounting_timeout = absl::Hours(1);
  options.clock = [&skew_s] { return absl::Now() + absl::Seconds(skew_s.load()); };
  store_.reset();  // gives up the writer's lock
  store_ = std::make_unique<ChargingStore>(pool(), options);

  auto open = [&](const std::string& id) {
    v1::CreditControlRequest r = Request(id, 0, v1::REQUEST_TYPE_INITIAL);
    r.mutable_requested()->set_bytes_down(10 * kMiB);  // 100 cents
    ASSERT_EQ(store_->CreditControl(r)->result_code(), v1::RESULT_CODE_SUCCESS);
  };
  // An accounting-only session whose STOP never comes.
  ASSERT_OK(store_->Accounting(Record("a1", 0, v1::RECORD_TYPE_START)).status());
  open("x1");
  v1::CreditControlRequest update = Request("x1", 1, v1::REQUEST_TYPE_UPDATE);
  update.mutable_used()->set_bytes_down(2 * kMiB);
  update.mutable_requested()->set_bytes_down(10 * kMiB);
  ASSERT_OK(store_->CreditControl(update).status());
  // Two validity periods (2 h) and a bit later x1's reservation has run out, x2 (opened then)
  // has not, and a1 has been silent for longer than the timeout.
  skew_s = 7300;
  open("x2");

  auto closed = store_->SweepExpired(10);
  ASSERT_OK(closed.status());
  EXPECT_EQ(*closed, 2);
  EXPECT_EQ(*store_->SweepExpired(10), 0);  // nothing twice
  EXPECT_EQ(Rows("SELECT session_id, charge_minor, cause_for_record_closing, incomplete"
                 " FROM charging.cdr ORDER BY sequence"),
            (std::vector<std::string>{"x1|20|time_limit|t", "a1|0|time_limit|t"}));
  // x1 paid for what it reported and released the rest; x2 still holds its reservation.
  EXPECT_EQ(Account().balance().minor(), 980);
  EXPECT_EQ(Account().reserved().minor(), 100);
  // A late TERMINATION or STOP finds the session closed.
  EXPECT_EQ(store_->CreditControl(Request("x1", 2, v1::REQUEST_TYPE_TERMINATION)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Accounting(Record("a1", 5, v1::RECORD_TYPE_STOP)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(CreditControlTest, RetransmissionsAfterARestartGetTheOriginalAnswersAndNoSecondDebit) {
  v1::CreditControlRequest initial = Request("r1", 0, v1::REQUEST_TYPE_INITIAL, "purchase", 300);
  v1::CreditControlRequest termination = Request("r1", 1, v1::REQUEST_TYPE_TERMINATION);
  v1::CreditControlRequest event = Request("e1", 0, v1::REQUEST_TYPE_EVENT, "purchase", 200);
  auto a0 = store_->CreditControl(initial);
  auto a1 = store_->CreditControl(termination);
  auto e0 = store_->CreditControl(event);
  ASSERT_OK(a0.status());
  ASSERT_OK(a1.status());
  ASSERT_OK(e0.status());
  ASSERT_EQ(Account().balance().minor(), 500);
  ASSERT_OK(store_->Accounting(Record("e2", 0, v1::RECORD_TYPE_EVENT)).status());

  // A new engine remembers only open sessions; these are closed.
  store_.reset();
  store_ = std::make_unique<ChargingStore>(pool(), options_);
  // The engine takes a request that opens a session to name a new one: the insert conflicts
  // with the stored row, the batch fails as a whole, and the retry reads the stored answer.
  EXPECT_EQ(store_->CreditControl(event).status().code(), absl::StatusCode::kUnavailable);
  auto again = store_->CreditControl(event);
  ASSERT_OK(again.status());
  EXPECT_EQ(again->SerializeAsString(), e0->SerializeAsString());
  EXPECT_EQ(store_->CreditControl(initial).status().code(), absl::StatusCode::kUnavailable);
  auto initial_again = store_->CreditControl(initial);
  ASSERT_OK(initial_again.status());
  EXPECT_EQ(initial_again->SerializeAsString(), a0->SerializeAsString());
  auto termination_again = store_->CreditControl(termination);  // in memory now
  ASSERT_OK(termination_again.status());
  EXPECT_EQ(termination_again->SerializeAsString(), a1->SerializeAsString());
  // An accounting event likewise: its CDR is the one it had.
  EXPECT_EQ(store_->Accounting(Record("e2", 0, v1::RECORD_TYPE_EVENT)).status().code(),
            absl::StatusCode::kUnavailable);
  auto stored = store_->Accounting(Record("e2", 0, v1::RECORD_TYPE_EVENT));
  ASSERT_OK(stored.status());
  EXPECT_EQ(stored->cdr_sequence(), 3);

  EXPECT_EQ(Account().balance().minor(), 500);
  EXPECT_EQ(Rows("SELECT count(*) FROM charging.cdr"), (std::vector<std::string>{"3"}));
  EXPECT_EQ(Rows("SELECT sum(amount_minor) FROM charging.ledger WHERE subject = 'sip:alice@x'"),
            (std::vector<std::string>{"500"}));
}

TEST_F(CreditControlTest, TheMigrationMovesStoredAnswersIntoTheirSessions) {
  store_.reset();
  const auto& all = ChargingMigrations();
  ASSERT_GE(all.size(), 4u);
  ResetSchema("charging", {all[0], all[1], all[2]}, {});
  ASSERT_FALSE(HasFatalFailure());
  auto answer = [](const std::string& session, int64_t n, int64_t sequence) {
    v1::CreditControlAnswer a;
    a.set_session_id(session);
    a.set_request_number(n);
    a.set_result_code(v1::RESULT_CODE_SUCCESS);
    a.set_cdr_sequence(sequence);
    return a;
  };
  const v1::CreditControlAnswer s0 = answer("s1", 0, 0), s1 = answer("s1", 1, 7),
                                e0 = answer("e1", 0, 8);
  Rows("INSERT INTO charging.cc_session (session_id, subject, state, last_request_number)"
       " VALUES ('s1', 'sip:alice@x', 'terminated', 1)");
  for (const auto* a : {&s0, &s1, &e0}) {
    Rows("INSERT INTO charging.cc_answer VALUES ('" + a->session_id() + "', " +
         std::to_string(a->request_number()) + ", decode('" + Hex(a->SerializeAsString()) +
         "', 'hex'))");
  }
  ASSERT_OK(pg::Migrate(pool(), "charging", all));
  UsePrepared(ChargingStore::Statements());
  ASSERT_FALSE(HasFatalFailure());
  store_ = std::make_unique<ChargingStore>(pool(), options_);

  v1::CreditControlRequest initial = Request("s1", 0, v1::REQUEST_TYPE_INITIAL);
  v1::CreditControlRequest event = Request("e1", 0, v1::REQUEST_TYPE_EVENT);
  for (const auto& [req, want] : {std::pair{&initial, &s0}, std::pair{&event, &e0}}) {
    auto first = store_->CreditControl(*req);
    EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable) << first.status();
    auto got = store_->CreditControl(*req);  // read from the session's row
    ASSERT_OK(got.status());
    EXPECT_EQ(got->SerializeAsString(), want->SerializeAsString());
  }
  auto termination = store_->CreditControl(Request("s1", 1, v1::REQUEST_TYPE_TERMINATION));
  ASSERT_OK(termination.status());
  EXPECT_EQ(termination->SerializeAsString(), s1.SerializeAsString());
  EXPECT_EQ(Rows("SELECT to_regclass('charging.cc_answer') IS NULL"),
            (std::vector<std::string>{"t"}));
}

TEST_F(CreditControlTest, AWriterThatTakesOverFindsTheOpenSessionsAndSweepsThem) {
  v1::CreditControlRequest initial = Request("o1", 0, v1::REQUEST_TYPE_INITIAL);
  initial.mutable_requested()->set_bytes_down(10 * kMiB);  // 100 cents
  ASSERT_OK(store_->CreditControl(initial).status());
  ASSERT_OK(store_->CreditControl(Request("done", 0, v1::REQUEST_TYPE_INITIAL, "purchase", 5))
                .status());
  ASSERT_OK(store_->CreditControl(Request("done", 1, v1::REQUEST_TYPE_TERMINATION)).status());
  ASSERT_OK(store_->Accounting(Record("a1", 0, v1::RECORD_TYPE_START)).status());
  ASSERT_OK(store_->Accounting(Record("a2", 0, v1::RECORD_TYPE_START)).status());
  ASSERT_OK(store_->Accounting(Record("a2", 1, v1::RECORD_TYPE_STOP)).status());

  // The successor's clock is a day ahead: o1's reservation and a1's silence have run out.
  std::atomic<int64_t> skew_s{86400};
  ChargingOptions options;
  options.accounting_timeout = absl::Hours(1);
  options.clock = [&skew_s] { return absl::Now() + absl::Seconds(skew_s.load()); };
  store_.reset();
  store_ = std::make_unique<ChargingStore>(pool(), options);
  auto closed = store_->SweepExpired(10);
  ASSERT_OK(closed.status());
  EXPECT_EQ(*closed, 2);
  EXPECT_EQ(Rows("SELECT session_id, cause_for_record_closing, incomplete FROM charging.cdr"
                 " WHERE incomplete ORDER BY session_id"),
            (std::vector<std::string>{"a1|time_limit|t", "o1|time_limit|t"}));
  EXPECT_EQ(Account().reserved().minor(), 0);
}

TEST_F(CreditControlTest, ConcurrentSessionsOfOneSubscriberNeverOverdraw) {
  constexpr int kSessions = 12;
  std::vector<std::thread> threads;
  std::atomic<int> granted{0};
  for (int i = 0; i < kSessions; ++i) {
    threads.emplace_back([&, i] {
      const std::string id = "c" + std::to_string(i);
      v1::CreditControlRequest initial = Request(id, 0, v1::REQUEST_TYPE_INITIAL);
      initial.mutable_requested()->set_bytes_down(20 * kMiB);  // 200 cents each
      auto a = store_->CreditControl(initial);
      if (!a.ok() || a->result_code() != v1::RESULT_CODE_SUCCESS) return;
      ++granted;
      v1::CreditControlRequest term = Request(id, 1, v1::REQUEST_TYPE_TERMINATION);
      term.mutable_used()->set_bytes_down(30 * kMiB);  // more than granted
      EXPECT_OK(store_->CreditControl(term).status());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(granted.load(), 1);
  EXPECT_LE(granted.load(), 5);  // 1000 cents hold at most five 200-cent reservations at once
  const v1::Account a = Account();
  EXPECT_GE(a.balance().minor(), 0);
  EXPECT_EQ(a.reserved().minor(), 0);
  EXPECT_EQ(Rows("SELECT sum(amount_minor) FROM charging.ledger WHERE subject = 'sip:alice@x'"),
            (std::vector<std::string>{std::to_string(a.balance().minor())}));
  EXPECT_EQ(Rows("SELECT count(*) FROM charging.cdr"),
            (std::vector<std::string>{std::to_string(granted.load())}));
}

TEST_F(CreditControlTest, TariffVersionsTakeEffectAtTheirTime) {
  v1::Tariff later;
  later.set_tariff_id("next-year");
  later.set_effective_from(4102444800);  // 2100
  later.set_currency("EUR");
  later.set_validity_seconds(60);
  later.set_per_byte_grant_bytes(kMiB);
  ASSERT_OK(store_->PutTariff(later, "test").status());
  v1::Tariff now = later;
  now.set_tariff_id("now");
  now.set_effective_from(1000);
  now.set_validity_seconds(120);
  ASSERT_OK(store_->PutTariff(now, "test").status());
  EXPECT_EQ(store_->PutTariff(now, "test").status().code(), absl::StatusCode::kAlreadyExists);
  auto answer = store_->CreditControl(Request("v1", 0, v1::REQUEST_TYPE_INITIAL));
  ASSERT_OK(answer.status());
  EXPECT_EQ(answer->validity_seconds(), 120);
  EXPECT_EQ(answer->granted().bytes_down(), kMiB);
  auto all = store_->ListTariffs();
  ASSERT_OK(all.status());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].tariff_id(), "next-year");
  EXPECT_EQ((*all)[2].tariff_id(), "default");
}

}  // namespace
}  // namespace p2pims::charging
