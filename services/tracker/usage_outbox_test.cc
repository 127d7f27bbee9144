// The durable usage queue against a real PostgreSQL: the flush writes the session row only, what
// a session gathers is its totals less what was numbered, records 2, 3, ... are cut from that and
// resent unchanged, the queue stays bounded while charging is away, and CloseSession's
// unreported bytes are exactly what no record carried. (With a real charging service:
// tests/e2e/tracker_metering_test.sh.)
#include <gtest/gtest.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/pg/testing/schema_test.h"
#include "lib/status/status_testing.h"
#include "services/tracker/store.h"

namespace p2pims::tracker {
namespace {

// Charging as the store sees it: records every call; takes every record unless it is down.
struct FakeCharging {
  bool down = false;
  bool takes = true;  // false: answers, but leaves every record to resend (its batch failed)
  std::vector<std::vector<std::string>> calls;  // "session #number up/down" per record

  UsageSender Sender() {
    return [this](const std::vector<InterimRecord>& records)
               -> absl::StatusOr<std::vector<int64_t>> {
      std::vector<std::string> call;
      std::vector<int64_t> taken;
      for (const InterimRecord& r : records) {
        call.push_back(absl::StrCat(r.session_id, " #", r.record_number, " ", r.bytes_up, "/",
                                    r.bytes_down));
        if (takes) taken.push_back(r.id);
      }
      calls.push_back(call);
      if (down) return absl::UnavailableError("charging is down");
      return taken;
    };
  }
  std::vector<std::string> Last() const {
    return calls.empty() ? std::vector<std::string>{} : calls.back();
  }
};

class UsageOutboxTest : public pg::SchemaTest {
 protected:
  void SetUp() override {
    ResetSchema("tracker", TrackerMigrations(), TrackerStore::Statements());
    if (HasFatalFailure()) return;
    store_ = std::make_unique<TrackerStore>(pool());
  }
  void Open(const std::string& id, bool operator_seed = false) {
    ASSERT_OK(store_
                  ->OpenSession({.session_id = id,
                                 .token_id = "token-" + id,
                                 .info_hash = std::string(20, 'h'),
                                 .subject = "sip:alice@x",
                                 .token_expires_at = absl::ToUnixSeconds(absl::Now()) + 3600,
                                 .token = "token-" + id,
                                 .announce_key = "key-" + id,
                                 .operator_seed = operator_seed})
                  .status());
  }
  // One flush; the sessions it found closed or unknown.
  std::vector<std::string> Flush(const std::vector<SessionUsage>& usage) {
    auto not_open = store_->AddUsage(usage);
    EXPECT_OK(not_open.status());
    return not_open.ok() ? *not_open : std::vector<std::string>{};
  }
  int Deliver() {
    auto sent = store_->DeliverUsage(1000, charging_.Sender());
    return sent.ok() ? *sent : -1;
  }
  absl::StatusOr<v1::CloseSessionResponse> Close(const std::string& id, const UsageSender& sender) {
    int64_t expires = 0;
    return store_->CloseSession(id, "normal", sender, &expires);
  }
  // The outbox as "session #number up/down", records and markers (#0) alike.
  std::vector<std::string> Outbox() {
    return Rows(
        "SELECT session_id || ' #' || record_number || ' ' || bytes_up || '/' || bytes_down"
        " FROM tracker.usage_outbox ORDER BY session_id, record_number");
  }
  std::string Totals(const std::string& id) {
    return Rows("SELECT bytes_up || '/' || bytes_down || ' queued ' || queued_up || '/' ||"
                " queued_down || ' records ' || interim_records FROM tracker.session"
                " WHERE session_id = '" + id + "'")[0];
  }

  std::unique_ptr<TrackerStore> store_;
  FakeCharging charging_;
};

TEST_F(UsageOutboxTest, AFlushWritesTheSessionRowAndMarksAGatheringSessionOnce) {
  Open("s1");
  Flush({{"s1", 10, 100}});
  EXPECT_EQ(Outbox(), (std::vector<std::string>{"s1 #0 0/0"})) << "a marker, no bytes";
  const auto marker_version = Rows("SELECT xmin::text, ctid::text FROM tracker.usage_outbox");
  Flush({{"s1", 5, 50}});
  Flush({{"s1", 1, 1}});
  EXPECT_EQ(Totals("s1"), "16/151 queued 0/0 records 0");
  EXPECT_EQ(Rows("SELECT xmin::text, ctid::text FROM tracker.usage_outbox"), marker_version)
      << "later flushes leave the outbox alone";
}

TEST_F(UsageOutboxTest, RecordsAreCutFromWhatTheSessionGatheredSinceTheLastOne) {
  Open("s1");
  Open("s2");
  Flush({{"s1", 10, 100}, {"s2", 0, 7}});
  EXPECT_EQ(Deliver(), 2);
  std::vector<std::string> sent = charging_.Last();
  std::sort(sent.begin(), sent.end());
  EXPECT_EQ(sent, (std::vector<std::string>{"s1 #2 10/100", "s2 #2 0/7"}))
      << "the tracker's INTERIM records start at 2 (0 and 1 are sip-edge's START and STOP)";
  EXPECT_TRUE(Outbox().empty()) << "taken records leave";
  EXPECT_EQ(Totals("s1"), "10/100 queued 10/100 records 1");

  Flush({{"s1", 5, 50}});
  Flush({{"s1", 1, 1}});
  EXPECT_EQ(Deliver(), 1);
  EXPECT_EQ(charging_.Last(), (std::vector<std::string>{"s1 #3 6/51"}));
  EXPECT_EQ(Deliver(), 0) << "nothing gathered, nothing sent";
  EXPECT_EQ(Totals("s1"), "16/151 queued 16/151 records 2");
}

TEST_F(UsageOutboxTest, WhileChargingIsDownARecordIsResentUnchangedAndTheQueueStaysBounded) {
  Open("s1");
  charging_.down = true;
  Flush({{"s1", 10, 100}});
  EXPECT_EQ(Deliver(), -1);
  for (int i = 0; i < 3; ++i) {
    Flush({{"s1", 1, 1}});
    EXPECT_EQ(Deliver(), -1);
    EXPECT_EQ(charging_.Last(), (std::vector<std::string>{"s1 #2 10/100"}))
        << "the same record again, round " << i;
    EXPECT_EQ(Outbox(), (std::vector<std::string>{"s1 #0 0/0", "s1 #2 10/100"}))
        << "one record in flight and the marker: at most two rows a session, round " << i;
  }
  charging_.down = false;
  EXPECT_EQ(Deliver(), 1);
  EXPECT_EQ(charging_.Last(), (std::vector<std::string>{"s1 #2 10/100"}));
  EXPECT_EQ(Deliver(), 1);
  EXPECT_EQ(charging_.Last(), (std::vector<std::string>{"s1 #3 3/3"}))
      << "what gathered meanwhile, once the record before it was taken";
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(UsageOutboxTest, CloseDeliversWhatWasNumberedAndReturnsTheRestAsUnreported) {
  Open("s1");
  charging_.down = true;
  Flush({{"s1", 10, 100}});
  EXPECT_EQ(Deliver(), -1);  // record 2 in flight
  Flush({{"s1", 4, 40}});

  auto refused = Close("s1", charging_.Sender());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_EQ(Rows("SELECT closed_at IS NULL, unreported_bytes_up IS NULL FROM tracker.session"),
            (std::vector<std::string>{"t|t"}))
      << "nothing changes while charging cannot confirm record 2";

  charging_.down = false;
  auto closed = Close("s1", charging_.Sender());
  ASSERT_OK(closed.status());
  EXPECT_EQ(charging_.Last(), (std::vector<std::string>{"s1 #2 10/100"}))
      << "record 2 reaches charging before the STOP";
  EXPECT_EQ(closed->bytes_up(), 14);
  EXPECT_EQ(closed->bytes_down(), 140);
  EXPECT_EQ(closed->unreported_bytes_up(), 4);
  EXPECT_EQ(closed->unreported_bytes_down(), 40);
  EXPECT_TRUE(Outbox().empty()) << "the marker goes with the close";

  EXPECT_EQ(Flush({{"s1", 1, 1}}), (std::vector<std::string>{"s1"})) << "closed: nothing metered";
  EXPECT_EQ(Deliver(), 0);
  auto again = Close("s1", charging_.Sender());
  ASSERT_OK(again.status());
  EXPECT_EQ(again->bytes_down(), 140);
  EXPECT_EQ(again->unreported_bytes_down(), 40) << "a repeated close returns the same";
  EXPECT_EQ(Close("nope", charging_.Sender()).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(UsageOutboxTest, WithoutChargingAllUsageIsUnreportedAtClose) {
  Open("s1");
  Flush({{"s1", 3, 30}});
  Flush({{"s1", 3, 30}});
  auto closed = Close("s1", nullptr);
  ASSERT_OK(closed.status());
  EXPECT_EQ(closed->unreported_bytes_up(), 6);
  EXPECT_EQ(closed->unreported_bytes_down(), 60);
  EXPECT_TRUE(Outbox().empty());
}

// Two replicas' housekeeping rounds (or a round and a BYE) may both close one session: the
// second gets the same figures, and learns it was not the one that closed it (so it counts and
// logs nothing).
TEST_F(UsageOutboxTest, OnlyTheFirstCloseClosesTheSession) {
  Open("s1");
  Flush({{"s1", 3, 30}});
  int64_t expires = 0;
  bool first = false, second = true;
  auto a = store_->CloseSession("s1", "expired", nullptr, &expires, &first);
  auto b = store_->CloseSession("s1", "expired", nullptr, &expires, &second);
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_EQ(b->bytes_down(), a->bytes_down());
  EXPECT_EQ(b->closed_at_ms(), a->closed_at_ms());
}

TEST_F(UsageOutboxTest, AnOperatorSeedsUsageNeverGoesToCharging) {
  Open("origin", /*operator_seed=*/true);
  Flush({{"origin", 800, 0}});
  EXPECT_TRUE(Outbox().empty());
  EXPECT_EQ(Deliver(), 0);
  auto closed = Close("origin", charging_.Sender());
  ASSERT_OK(closed.status());
  EXPECT_EQ(closed->bytes_up(), 800);
  EXPECT_EQ(closed->unreported_bytes_up(), 0) << "nothing for a STOP record either";
  EXPECT_TRUE(charging_.calls.empty());
}

TEST_F(UsageOutboxTest, NumberingSkipsASessionSomeoneElseHoldsAndTakesItNextRound) {
  Open("s1");
  Open("s2");
  Flush({{"s1", 1, 10}, {"s2", 2, 20}});
  // Another transaction (a close on another replica, a flush) holds s1's row.
  pqxx::connection other(server().conninfo());
  pqxx::work holder(other);
  holder.exec("SELECT 1 FROM tracker.session WHERE session_id = 's1' FOR UPDATE");
  EXPECT_EQ(Deliver(), 1);
  EXPECT_EQ(charging_.Last(), (std::vector<std::string>{"s2 #2 2/20"}));
  holder.abort();
  EXPECT_EQ(Deliver(), 1);
  EXPECT_EQ(charging_.Last(), (std::vector<std::string>{"s1 #2 1/10"}));
}

TEST_F(UsageOutboxTest, TheMigrationTurnsGatheringRowsIntoWhatTheSessionsStillOwe) {
  store_.reset();
  const auto& all = TrackerMigrations();
  ASSERT_GE(all.size(), 9u);
  ResetSchema("tracker", std::vector<pg::Migration>(all.begin(), all.begin() + 8), {});
  ASSERT_FALSE(HasFatalFailure());
  // Before: s1 delivered 100/1000 long ago, has record 2 (10/100) in flight and gathered 1/10;
  // s2 is closed.
  Rows("INSERT INTO tracker.session (session_id, token_id, info_hash, subject, bytes_up,"
       " bytes_down, interim_records) VALUES ('s1', 't1', '\\x00', 'sip:a@x', 111, 1110, 1),"
       " ('s2', 't2', '\\x00', 'sip:a@x', 5, 50, 0)");
  Rows("UPDATE tracker.session SET closed_at = now(), unreported_bytes_up = 5,"
       " unreported_bytes_down = 50 WHERE session_id = 's2'");
  Rows("INSERT INTO tracker.usage_outbox (session_id, record_number, bytes_up, bytes_down,"
       " attempted) VALUES ('s1', 2, 10, 100, true), ('s1', 0, 1, 10, false)");
  ASSERT_OK(pg::Migrate(pool(), "tracker", all));
  UsePrepared(TrackerStore::Statements());
  ASSERT_FALSE(HasFatalFailure());
  store_ = std::make_unique<TrackerStore>(pool());

  EXPECT_EQ(Totals("s1"), "111/1110 queued 110/1100 records 1");
  EXPECT_EQ(Outbox(), (std::vector<std::string>{"s1 #0 0/0", "s1 #2 10/100"}));
  EXPECT_EQ(Deliver(), 1);
  EXPECT_EQ(charging_.Last(), (std::vector<std::string>{"s1 #2 10/100"}));
  EXPECT_EQ(Deliver(), 1);
  EXPECT_EQ(charging_.Last(), (std::vector<std::string>{"s1 #3 1/10"}));
  // A tracker of the version before cannot run against this schema: its flush would add to
  // the marker as well as to the session (counted twice).
  EXPECT_FALSE(pool()
                   .WithTransaction([](pqxx::work& tx) {
                     tx.exec("SELECT count(*) FROM tracker.usage_outbox WHERE NOT attempted");
                     return absl::OkStatus();
                   })
                   .ok());
}

// Usage already handed to charging must be taken before the session closes, or the record
// would reach charging after sip-edge's STOP closed the session's accounting, and be refused.
TEST_F(UsageOutboxTest, ARecordChargingLeftToResendKeepsTheSessionOpenUntilTaken) {
  Open("s-1");
  Flush({{.session_id = "s-1", .bytes_up = 0, .bytes_down = 100}});
  charging_.takes = false;
  EXPECT_EQ(Deliver(), 1);  // INTERIM 2, answered UNAVAILABLE
  auto refused = Close("s-1", charging_.Sender());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_EQ(Rows("SELECT closed_at IS NULL FROM tracker.session"), std::vector<std::string>{"t"});
  charging_.takes = true;
  auto closed = Close("s-1", charging_.Sender());
  ASSERT_OK(closed.status());
  EXPECT_EQ(closed->bytes_down(), 100);
  EXPECT_EQ(closed->unreported_bytes_down(), 0);  // it went as INTERIM 2, now taken
  const std::vector<std::string> record{"s-1 #2 0/100"};
  EXPECT_EQ(charging_.calls, (std::vector<std::vector<std::string>>{record, record, record}));
}

}  // namespace
}  // namespace p2pims::tracker
