// The billing side of charging against a real PostgreSQL, with CDRs written through the store's
// own write path (Accounting STOP, CreditControl TERMINATION and EVENT): pulls exactly once per
// consumer with retransmission flags, acknowledgements bounded by what was pulled, consumers
// independent of each other and of crashes, the live tail over gRPC within its bound, settlement
// equal to the sum of its CDRs, and daily partitions that keep one CDR per session.
#include "services/charging/cdr_store.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "lib/grpc/server.h"
#include "lib/metrics/registry.h"
#include "lib/status/status_testing.h"
#include "services/charging/charging_test_fixture.h"
#include "services/charging/service.h"

namespace p2pims::charging {
namespace {

// The bound docs/cdr.md promises between a CDR's commit and its arrival at a tailing client.
constexpr absl::Duration kTailBound = absl::Seconds(1);

v1::AccountingRequest Stop(const std::string& session, int64_t record_number) {
  v1::AccountingRequest r;
  r.set_session_id(session);
  r.set_record_number(record_number);
  r.set_record_type(v1::RECORD_TYPE_STOP);
  r.set_subject("sip:alice@x");
  return r;
}

std::vector<int64_t> Sequences(const v1::PullCdrsResponse& page) {
  std::vector<int64_t> out;
  for (const v1::Cdr& c : page.cdrs()) out.push_back(c.sequence());
  return out;
}

std::vector<bool> Retransmitted(const v1::PullCdrsResponse& page) {
  std::vector<bool> out;
  for (const v1::Cdr& c : page.cdrs()) out.push_back(c.retransmission());
  return out;
}

class CdrStoreTest : public ChargingTest {
 protected:
  void SetUp() override {
    ChargingTest::SetUp();
    if (HasFatalFailure()) return;
    cdrs_ = std::make_unique<CdrStore>(pool());
  }

  // Closes a session that had no credit control (a free one) into a CDR; returns its sequence.
  int64_t CloseSession(const std::string& session, int64_t record_number = 1) {
    auto answer = store_->Accounting(Stop(session, record_number));
    EXPECT_TRUE(answer.ok()) << answer.status();
    return answer.ok() ? answer->cdr_sequence() : 0;
  }

  v1::PullCdrsResponse Pull(const std::string& consumer, int limit, int64_t after = 0) {
    auto page = cdrs_->PullCdrs(consumer, after, limit);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? *page : v1::PullCdrsResponse();
  }

  // Credit-controlled session: INITIAL then TERMINATION with `bytes_down` used.
  void Sell(const std::string& id, const std::string& subject, const std::string& owner,
            const std::string& model, int64_t price, const std::string& currency, int32_t bp,
            int64_t bytes_down = 0) {
    v1::CreditControlRequest r = Request(id, 0, v1::REQUEST_TYPE_INITIAL, model, price);
    r.set_subject(subject);
    r.mutable_rating()->set_owner(owner);
    r.mutable_rating()->set_owner_share_bp(bp);
    r.mutable_rating()->mutable_price()->set_currency(currency);
    r.mutable_requested()->set_bytes_down(bytes_down == 0 ? kMiB : bytes_down);
    auto initial = store_->CreditControl(r);
    ASSERT_OK(initial.status());
    ASSERT_EQ(initial->result_code(), v1::RESULT_CODE_SUCCESS) << id;
    v1::CreditControlRequest t = Request(id, 1, v1::REQUEST_TYPE_TERMINATION);
    t.set_subject(subject);
    t.mutable_used()->set_bytes_down(bytes_down);
    ASSERT_OK(store_->CreditControl(t).status());
  }

  std::string Today(int plus_days = 0) {
    return Rows("SELECT to_char((now() AT TIME ZONE 'UTC')::date + " + std::to_string(plus_days) +
                ", 'YYYYMMDD')")[0];
  }

  std::unique_ptr<CdrStore> cdrs_;
};

TEST_F(CdrStoreTest, BillingPullsEachCdrExactlyOnce) {
  for (int i = 0; i < 5; ++i) CloseSession("b" + std::to_string(i));
  auto page = Pull("billing", 3);
  EXPECT_EQ(Sequences(page), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(Retransmitted(page), (std::vector<bool>{false, false, false}));
  EXPECT_EQ(page.last_sequence(), 3);
  EXPECT_EQ(page.acked_sequence(), 0);

  auto again = Pull("billing", 3);  // not acknowledged: comes again, flagged
  EXPECT_EQ(Sequences(again), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(Retransmitted(again), (std::vector<bool>{true, true, true}));
  auto longer = Pull("billing", 4);  // the part never sent before is not flagged
  EXPECT_EQ(Retransmitted(longer), (std::vector<bool>{true, true, true, false}));

  EXPECT_EQ(*cdrs_->AckCdrs("billing", 3), 3);
  auto next = Pull("billing", 3);
  EXPECT_EQ(Sequences(next), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(Retransmitted(next), (std::vector<bool>{true, false}));
  EXPECT_EQ(next.acked_sequence(), 3);
  EXPECT_EQ(*cdrs_->AckCdrs("billing", 1), 3);  // never moves back
  EXPECT_EQ(*cdrs_->AckCdrs("billing", 5), 5);
  auto empty = Pull("billing", 3);
  EXPECT_EQ(empty.cdrs_size(), 0);
  EXPECT_EQ(empty.last_sequence(), 0);
  EXPECT_EQ(empty.acked_sequence(), 5);
  EXPECT_EQ(Rows("SELECT consumer, acked_sequence, pulled_sequence FROM charging.billing_cursor"),
            (std::vector<std::string>{"billing|5|5"}));
}

TEST_F(CdrStoreTest, AnAckPastWhatWasPulledIsRefusedAndChangesNothing) {
  for (int i = 0; i < 5; ++i) CloseSession("b" + std::to_string(i));
  ASSERT_EQ(Pull("billing", 2).last_sequence(), 2);
  const absl::Status refused = cdrs_->AckCdrs("billing", 4).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("has pulled (2)"), std::string::npos) << refused;
  EXPECT_EQ(Rows("SELECT acked_sequence, pulled_sequence FROM charging.billing_cursor"),
            (std::vector<std::string>{"0|2"}));
  EXPECT_EQ(*cdrs_->AckCdrs("billing", 2), 2);

  EXPECT_EQ(cdrs_->AckCdrs("never-pulled", 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(cdrs_->AckCdrs("billing", -1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cdrs_->AckCdrs("", 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cdrs_->PullCdrs("billing", -1, 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Rows("SELECT acked_sequence, pulled_sequence FROM charging.billing_cursor"),
            (std::vector<std::string>{"2|2"}));
}

TEST_F(CdrStoreTest, ConsumersAreIndependent) {
  for (int i = 0; i < 4; ++i) CloseSession("b" + std::to_string(i));
  ASSERT_EQ(Pull("billing", 4).last_sequence(), 4);
  ASSERT_OK(cdrs_->AckCdrs("billing", 4).status());
  auto audit = Pull("audit", 10);  // its own cursor and pulled mark
  EXPECT_EQ(Sequences(audit), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Retransmitted(audit), (std::vector<bool>{false, false, false, false}));
  EXPECT_EQ(audit.acked_sequence(), 0);
  EXPECT_EQ(cdrs_->AckCdrs("fraud", 1).status().code(), absl::StatusCode::kNotFound);
  ASSERT_OK(cdrs_->AckCdrs("audit", 2).status());
  EXPECT_EQ(Pull("billing", 10).cdrs_size(), 0);
  EXPECT_EQ(Sequences(Pull("audit", 10)), (std::vector<int64_t>{3, 4}));
}

TEST_F(CdrStoreTest, AConsumerThatCrashesBeforeItsAckGetsThePageAgainAndNothingTwiceAfter) {
  for (int i = 0; i < 5; ++i) CloseSession("b" + std::to_string(i));
  const v1::PullCdrsResponse first = Pull("billing", 3);
  ASSERT_EQ(first.cdrs_size(), 3);

  cdrs_ = std::make_unique<CdrStore>(pool());  // the consumer (and its connection) is gone
  v1::PullCdrsResponse again = Pull("billing", 3);
  ASSERT_EQ(again.cdrs_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(again.cdrs(i).retransmission());
    v1::Cdr same = again.cdrs(i);
    same.set_retransmission(false);
    EXPECT_EQ(same.SerializeAsString(), first.cdrs(i).SerializeAsString()) << i;
  }
  ASSERT_OK(cdrs_->AckCdrs("billing", again.last_sequence()).status());

  std::map<int64_t, int> seen;
  for (int round = 0; round < 3; ++round) {
    v1::PullCdrsResponse page = Pull("billing", 2);
    for (const v1::Cdr& c : page.cdrs()) ++seen[c.sequence()];
    if (page.cdrs_size() > 0) ASSERT_OK(cdrs_->AckCdrs("billing", page.last_sequence()).status());
  }
  EXPECT_EQ(seen, (std::map<int64_t, int>{{4, 1}, {5, 1}}));
}

TEST_F(CdrStoreTest, AfterSequencePagesAheadBeforeAcknowledging) {
  for (int i = 0; i < 10; ++i) CloseSession("b" + std::to_string(i));
  std::vector<int64_t> got;
  int64_t after = 0;
  for (int i = 0; i < 3; ++i) {
    auto page = Pull("billing", 3, after);
    EXPECT_EQ(Retransmitted(page), (std::vector<bool>{false, false, false}));
    for (int64_t s : Sequences(page)) got.push_back(s);
    after = page.last_sequence();
  }
  EXPECT_EQ(got, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(*cdrs_->AckCdrs("billing", 9), 9);  // all three pages at once
  EXPECT_EQ(Sequences(Pull("billing", 3, 4)), (std::vector<int64_t>{10}));  // below the cursor
  EXPECT_EQ(Pull("billing", 3, 10).cdrs_size(), 0);
}

TEST_F(CdrStoreTest, ConcurrentPullsOfOneConsumerSendEachCdrFirstOnce) {
  for (int i = 0; i < 6; ++i) CloseSession("b" + std::to_string(i));
  std::atomic<int> first_sends{0}, pages{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto page = cdrs_->PullCdrs("billing", 0, 6);
        if (!page.ok()) continue;
        ++pages;
        for (const v1::Cdr& c : page->cdrs()) first_sends += c.retransmission() ? 0 : 1;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(pages.load(), 20);
  EXPECT_EQ(first_sends.load(), 6);
}

TEST_F(CdrStoreTest, EveryColumnReachesItsField) {
  v1::AccountingRequest stop;
  stop.set_session_id("rich");
  stop.set_record_number(1);
  stop.set_record_type(v1::RECORD_TYPE_STOP);
  stop.set_subject("sip:alice@x");
  stop.set_icid("icid-rich");
  stop.set_content_id("movie");
  stop.set_locality("240-01/a7/c3");
  stop.set_node_id("sip-edge-0");
  stop.set_node_address("10.0.0.7");
  stop.set_called_party("sip:movie@p2p.example.net");
  stop.set_access_network_info("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=24001a7c3");
  stop.set_sip_method("BYE");
  stop.set_cause("timeout");
  ASSERT_OK(store_->Accounting(stop).status());
  // Distinct values for what a free session's STOP leaves at zero, so no two columns can swap.
  Rows(
      "UPDATE charging.cdr SET owner = 'studio', start_time = to_timestamp(1700000000.001),"
      " stop_time = to_timestamp(1700000111.002), record_opening_time ="
      " to_timestamp(1700000000.003), duration_seconds = 111, bytes_down = 101, bytes_up = 102,"
      " units = 103, charge_minor = 104, currency = 'SEK', incentive_minor = 105,"
      " rated_price_minor = 106, bytes_up_credited = 107, bytes_up_over_claimed = 108,"
      " owner_share_bp = 109, owner_share_minor = 110, incomplete = true, price_model ="
      " 'per_byte', tariff_id = 't-9'");
  const std::string closure =
      Rows("SELECT (extract(epoch from record_closure_time) * 1000)::bigint FROM charging.cdr")[0];

  auto page = Pull("billing", 1);
  ASSERT_EQ(page.cdrs_size(), 1);
  const v1::Cdr& c = page.cdrs(0);
  EXPECT_EQ(c.sequence(), 1);
  EXPECT_EQ(c.record_type(), "session");
  EXPECT_EQ(c.icid(), "icid-rich");
  EXPECT_EQ(c.served_identity(), "sip:alice@x");
  EXPECT_EQ(c.content_id(), "movie");
  EXPECT_EQ(c.owner(), "studio");
  EXPECT_EQ(c.start_time_ms(), 1700000000001);
  EXPECT_EQ(c.stop_time_ms(), 1700000111002);
  EXPECT_EQ(c.duration_seconds(), 111);
  EXPECT_EQ(c.bytes_down(), 101);
  EXPECT_EQ(c.bytes_up(), 102);
  EXPECT_EQ(c.units(), 103);
  EXPECT_EQ(c.charge().minor(), 104);
  EXPECT_EQ(c.charge().currency(), "SEK");
  EXPECT_EQ(c.incentive().minor(), 105);
  EXPECT_EQ(c.incentive().currency(), "SEK");
  EXPECT_EQ(c.locality(), "240-01/a7/c3");
  EXPECT_EQ(c.cause(), "timeout");
  EXPECT_EQ(c.node_id(), "sip-edge-0");
  EXPECT_EQ(c.session_id(), "rich");
  EXPECT_FALSE(c.retransmission());
  EXPECT_EQ(c.sip_method(), "BYE");
  EXPECT_EQ(c.node_address(), "10.0.0.7");
  EXPECT_EQ(c.called_party(), "sip:movie@p2p.example.net");
  EXPECT_EQ(c.record_opening_time_ms(), 1700000000003);
  EXPECT_EQ(std::to_string(c.record_closure_time_ms()), closure);
  EXPECT_EQ(c.local_record_sequence_number(), 1);
  EXPECT_EQ(c.record_sequence_number(), 0);
  EXPECT_EQ(c.cause_for_record_closing(), v1::CAUSE_FOR_RECORD_CLOSING_TIME_LIMIT);
  EXPECT_TRUE(c.incomplete());
  EXPECT_EQ(c.access_network_info(), "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=24001a7c3");
  EXPECT_EQ(c.price_model(), "per_byte");
  EXPECT_EQ(c.rated_price().minor(), 106);
  EXPECT_EQ(c.rated_price().currency(), "SEK");
  EXPECT_EQ(c.tariff_id(), "t-9");
  EXPECT_EQ(c.bytes_up_credited(), 107);
  EXPECT_EQ(c.bytes_up_over_claimed(), 108);
  EXPECT_EQ(c.owner_share_bp(), 109);
  EXPECT_EQ(c.owner_share().minor(), 110);
  EXPECT_EQ(c.owner_share().currency(), "SEK");
  // The tail reads the same mapping.
  auto tailed = cdrs_->ReadCdrs(0, 10);
  ASSERT_OK(tailed.status());
  ASSERT_EQ(tailed->size(), 1u);
  v1::Cdr pulled = c;
  EXPECT_EQ((*tailed)[0].SerializeAsString(), pulled.SerializeAsString());
}

TEST_F(CdrStoreTest, PageSizeDefaultsAndCapAndPullRate) {
  // Many CDRs at once: written in bulk, since this is about reading them.
  constexpr int kCdrs = 20'000;
  Rows(
      "INSERT INTO charging.cdr (sequence, record_type, session_id, icid, served_identity,"
      " content_id, owner, start_time, stop_time, duration_seconds, bytes_down, bytes_up, units,"
      " charge_minor, currency, locality, cause, node_id, called_party, access_network_info)"
      " SELECT n, 'session', 'bulk-' || n, 'icid-' || n, 'sip:alice@x', 'movie', 'studio',"
      " now(), now(), 0, n * 1000, n, 1, 299, 'EUR', '240-01/a7/c3', 'normal', 'sip-edge-0',"
      " 'sip:movie@p2p.example.net', '3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=24001a7c3'"
      " FROM generate_series(1, " +
      std::to_string(kCdrs) + ") n");
  Rows("UPDATE charging.cdr_counter SET last_sequence = " + std::to_string(kCdrs));

  CdrStore cdrs(pool());
  ChargingAdminService admin(*store_, cdrs);
  v1::PullCdrsRequest req;
  req.set_consumer("sizes");
  v1::PullCdrsResponse resp;
  ASSERT_TRUE(admin.PullCdrs(nullptr, &req, &resp).ok());
  EXPECT_EQ(resp.cdrs_size(), 1000);  // 0 means 1,000
  req.set_page_size(50'000);
  ASSERT_TRUE(admin.PullCdrs(nullptr, &req, &resp).ok());
  EXPECT_EQ(resp.cdrs_size(), CdrStore::kMaxPage);
  req.set_page_size(-1);
  EXPECT_EQ(admin.PullCdrs(nullptr, &req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  const absl::Time start = absl::Now();
  int64_t pulled = 0;
  while (true) {
    auto page = cdrs.PullCdrs("rate", 0, CdrStore::kMaxPage);
    ASSERT_OK(page.status());
    if (page->cdrs_size() == 0) break;
    pulled += page->cdrs_size();
    ASSERT_OK(cdrs.AckCdrs("rate", page->last_sequence()).status());
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  EXPECT_EQ(pulled, kCdrs);
  std::printf("pulled and acknowledged %d CDRs in %.3f s: %.0f CDRs/s (this build)\n", kCdrs,
              seconds, kCdrs / seconds);
}

TEST_F(CdrStoreTest, TailStreamsCdrsWrittenAfterItStartedWithinTheBound) {
  CloseSession("before");
  ChargingAdminService admin(*store_, *cdrs_);
  GrpcServer server;
  ASSERT_OK(server.Start("127.0.0.1:0", {&admin}, nullptr));
  auto stub = v1::ChargingAdmin::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server.port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = stub->TailCdrs(&ctx, v1::TailCdrsRequest());
  v1::Cdr got;
  ASSERT_TRUE(stream->Read(&got));  // what was written before the tail began
  EXPECT_EQ(got.session_id(), "before");

  for (const std::string session : {"live-1", "live-2"}) {
    const absl::Time written = absl::Now();
    const int64_t sequence = CloseSession(session);
    ASSERT_TRUE(stream->Read(&got));
    EXPECT_LT(absl::Now() - written, kTailBound) << session;
    EXPECT_EQ(got.sequence(), sequence);
    EXPECT_EQ(got.session_id(), session);
    EXPECT_FALSE(got.retransmission());
  }
  EXPECT_EQ(Rows("SELECT count(*) FROM charging.billing_cursor"),
            (std::vector<std::string>{"0"}));  // tailing moves no cursor

  // A tail may start anywhere.
  grpc::ClientContext from_two;
  from_two.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::TailCdrsRequest after;
  after.set_after_sequence(2);
  auto second = stub->TailCdrs(&from_two, after);
  ASSERT_TRUE(second->Read(&got));
  EXPECT_EQ(got.sequence(), 3);

  ctx.TryCancel();
  from_two.TryCancel();
  while (stream->Read(&got)) {
  }
  while (second->Read(&got)) {
  }
  v1::TailCdrsRequest negative;
  negative.set_after_sequence(-1);
  grpc::ClientContext bad;
  auto refused = stub->TailCdrs(&bad, negative);
  EXPECT_FALSE(refused->Read(&got));
  EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  server.Shutdown(absl::Seconds(1));
}

TEST_F(CdrStoreTest, AnAccountingBatchHandlesEachRecordAsAccountingWould) {
  metrics::Registry registry;
  ChargingMetrics metrics(registry, pool());
  ChargingService charging(*store_, metrics);
  GrpcServer server;
  ASSERT_OK(server.Start("127.0.0.1:0", {&charging}, nullptr));
  auto stub = v1::Charging::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server.port()), grpc::InsecureChannelCredentials()));

  v1::AccountingBatchRequest batch;
  for (int i = 0; i < 300; ++i) {  // events: a CDR each
    v1::AccountingRequest* e = batch.add_records();
    *e = Stop("ev-" + std::to_string(i), 0);
    e->set_record_type(v1::RECORD_TYPE_EVENT);
  }
  *batch.add_records() = Stop("ev-7", 1);                    // the session is closed already
  batch.add_records()->set_session_id("no-type");            // malformed
  *batch.add_records() = Stop("ev-0", 0);                    // a retransmission
  (*batch.mutable_records(302)).set_record_type(v1::RECORD_TYPE_EVENT);
  v1::AccountingBatchResponse out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  ASSERT_TRUE(stub->AccountingBatch(&ctx, batch, &out).ok());
  ASSERT_EQ(out.outcomes_size(), 303);
  std::vector<int64_t> sequences;
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(out.outcomes(i).code(), 0) << out.outcomes(i).error();
    sequences.push_back(out.outcomes(i).answer().cdr_sequence());
  }
  std::sort(sequences.begin(), sequences.end());
  EXPECT_EQ(sequences.front(), 1);
  EXPECT_EQ(sequences.back(), 300);
  EXPECT_EQ(std::adjacent_find(sequences.begin(), sequences.end()), sequences.end());
  EXPECT_EQ(out.outcomes(300).code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(out.outcomes(301).code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(out.outcomes(302).code(), 0);
  EXPECT_EQ(out.outcomes(302).answer().cdr_sequence(), out.outcomes(0).answer().cdr_sequence());
  EXPECT_EQ(Rows("SELECT count(*), count(DISTINCT session_id), max(sequence) FROM charging.cdr"),
            (std::vector<std::string>{"300|300|300"}));

  v1::AccountingBatchRequest too_many;
  for (int i = 0; i <= ChargingService::kMaxBatch; ++i) *too_many.add_records() = Stop("x", 0);
  grpc::ClientContext big;
  EXPECT_EQ(stub->AccountingBatch(&big, too_many, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CdrStoreTest, SettlementTotalsAreTheSumsOfTheCdrs) {
  v1::Account bob;
  bob.set_subject("sip:bob@x");
  bob.set_kind(v1::ACCOUNT_KIND_PREPAID);
  bob.mutable_balance()->set_minor(5000);
  bob.mutable_balance()->set_currency("SEK");
  ASSERT_OK(store_->CreateAccount(bob, "test").status());
  v1::Tariff tariff;  // uploads earn credit, so the incentive cost is not zero
  tariff.set_tariff_id("t-1");
  tariff.set_effective_from(1);
  tariff.set_currency("EUR");
  tariff.set_incentive_per_gib_minor(1024 * 10);  // 10 cents per MiB
  tariff.set_validity_seconds(600);
  tariff.set_per_byte_grant_bytes(10 * kMiB);
  ASSERT_OK(store_->PutTariff(tariff, "test").status());

  Sell("buy", "sip:alice@x", "studio", "purchase", 299, "EUR", 7000);
  Sell("stream", "sip:alice@x", "studio", "per_byte", 10, "EUR", 7000, 3 * kMiB);
  Sell("buy-sek", "sip:bob@x", "studio", "purchase", 500, "SEK", 5000);
  Sell("indie-1", "sip:alice@x", "indie", "rental", 49, "EUR", 6000);
  v1::CreditControlRequest event = Request("ev", 0, v1::REQUEST_TYPE_EVENT, "purchase", 100);
  event.mutable_rating()->set_owner("indie");
  event.mutable_rating()->set_owner_share_bp(6000);
  ASSERT_EQ(store_->CreditControl(event)->result_code(), v1::RESULT_CODE_SUCCESS);
  v1::CreditControlRequest up = Request("up", 0, v1::REQUEST_TYPE_INITIAL, "per_byte", 10);
  up.mutable_requested()->set_bytes_down(kMiB);
  ASSERT_OK(store_->CreditControl(up).status());
  v1::CreditControlRequest up_end = Request("up", 1, v1::REQUEST_TYPE_TERMINATION);
  up_end.mutable_used()->set_bytes_up(2 * kMiB);  // the swarm downloaded 3 MiB in "stream"
  ASSERT_OK(store_->CreditControl(up_end).status());
  CloseSession("free");  // no owner, no charge

  // One CDR moves to three days ago (an UPDATE moves it to that day's partition).
  Rows(
      "UPDATE charging.cdr SET record_closure_time = now() - interval '3 days'"
      " WHERE session_id = 'indie-1'");

  // The sums, from the CDRs as billing pulls them.
  auto all = Pull("check", CdrStore::kMaxPage);
  ASSERT_EQ(all.cdrs_size(), 7);
  const int64_t now_s = absl::ToUnixSeconds(absl::Now());
  auto expected = [&](int64_t from, int64_t to, const std::string& owner) {
    std::map<std::pair<std::string, std::string>, v1::Settlement> sums;
    for (const v1::Cdr& c : all.cdrs()) {
      const int64_t closed = c.record_closure_time_ms() / 1000;
      if (closed < from || closed >= to || (!owner.empty() && c.owner() != owner)) continue;
      v1::Settlement& s = sums[{c.owner(), c.charge().currency()}];
      s.set_owner(c.owner());
      s.set_cdr_count(s.cdr_count() + 1);
      s.set_sessions(s.sessions() + (c.record_type() == "session" ? 1 : 0));
      s.set_bytes_down(s.bytes_down() + c.bytes_down());
      s.set_bytes_up(s.bytes_up() + c.bytes_up());
      for (auto [money, add] :
           {std::pair{s.mutable_gross(), c.charge().minor()},
            std::pair{s.mutable_owner_share(), c.owner_share().minor()},
            std::pair{s.mutable_operator_share(), c.charge().minor() - c.owner_share().minor()},
            std::pair{s.mutable_incentive_cost(), c.incentive().minor()}}) {
        money->set_minor(money->minor() + add);
        money->set_currency(c.charge().currency());
      }
    }
    v1::GetSettlementResponse out;
    for (auto& [key, s] : sums) *out.add_settlements() = s;
    return out.SerializeAsString();
  };
  auto settle = [&](int64_t from, int64_t to, const std::string& owner = "") {
    auto got = cdrs_->Settlement(owner, from, to);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? got->SerializeAsString() : "";
  };
  const int64_t hour_ago = now_s - 3600, in_an_hour = now_s + 3600;
  EXPECT_EQ(settle(hour_ago, in_an_hour), expected(hour_ago, in_an_hour, ""));
  EXPECT_EQ(settle(hour_ago, in_an_hour, "indie"), expected(hour_ago, in_an_hour, "indie"));
  EXPECT_EQ(settle(0, in_an_hour), expected(0, in_an_hour, ""));
  EXPECT_EQ(settle(now_s - 4 * 86400, now_s - 2 * 86400),
            expected(now_s - 4 * 86400, now_s - 2 * 86400, ""));

  // Spelled out once: studio in EUR today is "buy" (299, owner 209) and "stream" (30, owner 21);
  // "up" (per_byte, no usage charged, owner studio) carries the incentive.
  auto today = cdrs_->Settlement("studio", hour_ago, in_an_hour);
  ASSERT_OK(today.status());
  ASSERT_EQ(today->settlements_size(), 2);  // EUR and SEK
  const v1::Settlement& eur = today->settlements(0);
  EXPECT_EQ(eur.gross().currency(), "EUR");
  EXPECT_EQ(eur.cdr_count(), 3);
  EXPECT_EQ(eur.sessions(), 3);
  EXPECT_EQ(eur.gross().minor(), 299 + 30);
  EXPECT_EQ(eur.owner_share().minor(), 209 + 21);
  EXPECT_EQ(eur.operator_share().minor(), 90 + 9);
  EXPECT_GT(eur.incentive_cost().minor(), 0);
  EXPECT_EQ(eur.bytes_down(), 3 * kMiB);
  EXPECT_EQ(eur.bytes_up(), 2 * kMiB);
  EXPECT_EQ(today->settlements(1).gross().minor(), 500);
  EXPECT_EQ(today->settlements(1).gross().currency(), "SEK");
  auto indie = cdrs_->Settlement("indie", hour_ago, in_an_hour);
  ASSERT_EQ(indie->settlements_size(), 1);
  EXPECT_EQ(indie->settlements(0).cdr_count(), 1);
  EXPECT_EQ(indie->settlements(0).sessions(), 0);  // the event is not a session

  EXPECT_EQ(cdrs_->Settlement("", 100, 100).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cdrs_->Settlement("", 100, 99).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CdrStoreTest, CdrsOfDifferentDaysLandInDifferentPartitions) {
  for (int i = 0; i < 3; ++i) CloseSession("p" + std::to_string(i));
  const std::string today = "charging.cdr_p" + Today();
  EXPECT_EQ(Rows("SELECT tableoid::regclass FROM charging.cdr ORDER BY sequence"),
            (std::vector<std::string>{today, today, today}));
  // Today and the next seven days exist after the migration, plus the default partition.
  EXPECT_EQ(Rows("SELECT count(*) FROM pg_inherits WHERE inhparent = 'charging.cdr'::regclass"),
            (std::vector<std::string>{"9"}));

  Rows(
      "UPDATE charging.cdr SET record_closure_time = record_closure_time + interval '2 days'"
      " WHERE sequence = 2");
  Rows("UPDATE charging.cdr SET record_closure_time = '2020-01-01 12:00:00+00' WHERE sequence = 3");
  EXPECT_EQ(Rows("SELECT tableoid::regclass FROM charging.cdr ORDER BY sequence"),
            (std::vector<std::string>{today, "charging.cdr_p" + Today(2), "charging.cdr_default"}));

  // A day's partition created late takes its rows out of the default partition.
  EXPECT_EQ(Rows("SELECT charging.ensure_cdr_partitions('2020-01-01', 1)"),
            (std::vector<std::string>{"1"}));
  EXPECT_EQ(Rows("SELECT tableoid::regclass FROM charging.cdr WHERE sequence = 3"),
            (std::vector<std::string>{"charging.cdr_p20200101"}));
  EXPECT_EQ(Rows("SELECT count(*) FROM charging.cdr_default"), (std::vector<std::string>{"0"}));

  EXPECT_EQ(*cdrs_->EnsurePartitions(7), 0);  // nothing missing: nothing locked or created
  EXPECT_EQ(*cdrs_->EnsurePartitions(9), 2);
  EXPECT_EQ(Rows("SELECT count(*) FROM pg_inherits WHERE inhparent = 'charging.cdr'::regclass"),
            (std::vector<std::string>{"12"}));
  EXPECT_EQ(cdrs_->EnsurePartitions(-1).status().code(), absl::StatusCode::kInvalidArgument);

  // Billing reads across partitions in sequence order; a new CDR goes to today's partition.
  EXPECT_EQ(CloseSession("p3"), 4);
  EXPECT_EQ(Sequences(Pull("billing", 10)), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST_F(CdrStoreTest, ASessionStillHasOneCdrAcrossPartitions) {
  EXPECT_EQ(CloseSession("s1"), 1);
  EXPECT_EQ(store_->Accounting(Stop("s1", 2)).status().code(),
            absl::StatusCode::kFailedPrecondition);  // refused by its accounting records

  // Below the engine, the database refuses a second CDR for the session by itself: the
  // session's claim in charging.cdr_session, even from another day's partition.
  Rows("UPDATE charging.cdr SET record_closure_time = now() + interval '3 days'");
  WriteSet second(1);
  CdrRow again;
  again.session_id = "s1";
  second.Add(again);
  second.Seal();
  const absl::Status refused =
      pool().WithTransaction([&](pqxx::work& tx) { return second.Write(tx); });
  EXPECT_EQ(refused.code(), absl::StatusCode::kAlreadyExists) << refused;
  EXPECT_EQ(Rows("SELECT session_id, sequence FROM charging.cdr_session"),
            (std::vector<std::string>{"s1|1"}));
  EXPECT_EQ(CloseSession("s2"), 2);  // the refused CDR gave its number back

  // A sequence number is unique across partitions too.
  Rows("UPDATE charging.cdr SET record_closure_time = now() - interval '1 day' WHERE sequence = 2");
  WriteSet reused(1);
  CdrRow other;
  other.session_id = "other";
  EXPECT_EQ(reused.Add(other), 2);
  reused.Seal();
  const absl::Status duplicate =
      pool().WithTransaction([&](pqxx::work& tx) { return reused.Write(tx); });
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
}

TEST_F(CdrStoreTest, TheMigrationKeepsEveryRowAndColumn) {
  const auto& all = ChargingMigrations();
  ASSERT_GE(all.size(), 3u);
  ResetSchema("charging", {all[0], all[1]}, {});
  ASSERT_FALSE(HasFatalFailure());
  Rows(
      "INSERT INTO charging.cdr (sequence, record_type, session_id, icid, served_identity,"
      " content_id, owner, start_time, stop_time, duration_seconds, bytes_down, bytes_up, units,"
      " charge_minor, currency, locality, cause, node_id, record_closure_time, tariff_id)"
      " VALUES (1, 'session', 'old-1', 'i1', 'sip:a@x', 'c', 'o', now(), now(), 5, 1, 2, 1, 10,"
      " 'EUR', 'l', 'normal', 'n', '2024-03-01 10:00:00+00', 't'),"
      " (2, 'event', 'old-2', 'i2', 'sip:a@x', 'c', 'o', now(), now(), 0, 0, 0, 1, 20, 'EUR',"
      " 'l', 'normal', 'n', '2024-03-02 23:59:59+00', ''),"
      " (3, 'session', 'old-3', 'i3', 'sip:b@x', 'c', 'p', now(), now(), 0, 3, 4, 1, 30, 'SEK',"
      " 'l', 'timeout', 'n', now(), '')");
  const std::string columns =
      "SELECT string_agg(column_name || ':' || data_type || ':' || is_nullable || ':' ||"
      " coalesce(column_default, ''), ',' ORDER BY ordinal_position)"
      " FROM information_schema.columns WHERE table_schema = 'charging' AND table_name = 'cdr'";
  const auto columns_before = Rows(columns);
  const auto rows_before = Rows("SELECT * FROM charging.cdr ORDER BY sequence");

  ASSERT_OK(pg::Migrate(pool(), "charging", all));
  EXPECT_EQ(Rows(columns), columns_before);
  EXPECT_EQ(Rows("SELECT * FROM charging.cdr ORDER BY sequence"), rows_before);
  EXPECT_EQ(Rows("SELECT relkind FROM pg_class WHERE oid = 'charging.cdr'::regclass"),
            (std::vector<std::string>{"p"}));
  EXPECT_EQ(Rows("SELECT tableoid::regclass FROM charging.cdr WHERE sequence < 3"
                 " ORDER BY sequence"),
            (std::vector<std::string>{"charging.cdr_p20240301", "charging.cdr_p20240302"}));
  EXPECT_EQ(Rows("SELECT session_id, sequence FROM charging.cdr_session ORDER BY sequence"),
            (std::vector<std::string>{"old-1|1", "old-2|2", "old-3|3"}));
  EXPECT_EQ(Rows("SELECT to_regclass('charging.cdr_unpartitioned') IS NULL"),
            (std::vector<std::string>{"t"}));
}

}  // namespace
}  // namespace p2pims::charging
