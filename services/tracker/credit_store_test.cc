// The tracker's credit-control bookkeeping against a real PostgreSQL: when UPDATEs fall due,
// that a written-ahead UPDATE is resent unchanged, how answers move the grant, when access ends,
// and the numbers the TERMINATION gets. (The flow with a real charging service is
// tests/e2e/tracker_credit_test.sh.)
#include "services/tracker/credit_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "lib/pg/testing/schema_test.h"
#include "lib/status/status_testing.h"
#include "services/tracker/store.h"

namespace p2pims::tracker {
namespace {

constexpr char kSession[] = "s-1";

class CreditStoreTest : public pg::SchemaTest {
 protected:
  void SetUp() override {
    ResetSchema("tracker", TrackerMigrations(), TrackerStore::Statements());
    if (HasFatalFailure()) return;
    store_ = std::make_unique<TrackerStore>(pool());
    ASSERT_OK(store_
                  ->OpenSession({.session_id = kSession,
                                 .token_id = "token-id",
                                 .info_hash = std::string(20, 'h'),
                                 .subject = "sip:alice@x",
                                 .token_expires_at = absl::ToUnixSeconds(absl::Now()) + 3600,
                                 .token = "token",
                                 .announce_key = "key-1"})
                  .status());
  }
  CreditStore& credit() { return store_->credit(); }
  void Begin(int64_t bytes, bool final_units, int64_t validity = 3600) {
    v1::CreditGrant grant;
    grant.set_granted_bytes_down(bytes);
    grant.set_final_units(final_units);
    grant.set_validity_seconds(validity);
    ASSERT_OK(credit().Begin(kSession, grant));
  }
  void Download(int64_t bytes) {
    auto not_open = store_->AddUsage({{.session_id = kSession, .bytes_up = 1, .bytes_down = bytes}});
    ASSERT_OK(not_open.status());
    ASSERT_TRUE(not_open->empty());
  }
  std::vector<CreditUpdate> Due() {
    auto due = credit().Due(10);
    EXPECT_OK(due.status());
    return due.ok() ? *due : std::vector<CreditUpdate>{};
  }
  std::string Settlement() {
    auto s = credit().Settlement(kSession);
    EXPECT_OK(s.status());
    if (!s.ok()) return "";
    return std::to_string(s->request_number) + " " + std::to_string(s->unreported_down) + " " +
           std::to_string(s->unreported_up);
  }
  std::string Grant() {
    return Rows("SELECT cc_granted_bytes, cc_update_at_bytes, cc_final FROM tracker.session")[0];
  }
  bool Closed() { return *store_->SessionClosed(kSession); }

  std::unique_ptr<TrackerStore> store_;
};

TEST_F(CreditStoreTest, AnUpdateFallsDueWhenAFifthOfTheGrantIsLeft) {
  Begin(100, false);
  EXPECT_EQ(Grant(), "100|80|f");
  Download(79);
  EXPECT_TRUE(Due().empty());
  Download(1);
  auto due = Due();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].request_number, 1);
  EXPECT_EQ(due[0].bytes_down, 80);
  EXPECT_EQ(due[0].bytes_up, 2);
  EXPECT_EQ(due[0].subject, "sip:alice@x");

  // Unanswered, it is resent as it was, whatever was downloaded since.
  Download(10);
  due = Due();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].request_number, 1);
  EXPECT_EQ(due[0].bytes_down, 80);

  ASSERT_OK(credit().Granted(due[0], {.granted_bytes_down = 100, .validity_seconds = 3600}));
  EXPECT_EQ(Grant(), "200|180|f");
  EXPECT_EQ(Settlement(), "1 10 1");
  // An answer applied twice (CloseSession and housekeeping both sent it) counts once.
  ASSERT_OK(credit().Granted(due[0], {.granted_bytes_down = 100, .validity_seconds = 3600}));
  EXPECT_EQ(Grant(), "200|180|f");
  EXPECT_EQ(Settlement(), "1 10 1");

  Download(90);
  due = Due();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].request_number, 2);
  EXPECT_EQ(due[0].bytes_down, 100);
}

TEST_F(CreditStoreTest, OneReadSaysWhatIsOnItsWayOrWhatToSettle) {
  Begin(100, false);
  Download(80);
  auto due = Due();
  ASSERT_EQ(due.size(), 1u);
  auto state = credit().PendingOrSettlement(kSession);
  ASSERT_OK(state.status());
  ASSERT_TRUE(state->pending.has_value());
  EXPECT_EQ(state->pending->request_number, 1);
  EXPECT_EQ(state->pending->bytes_down, 80);
  ASSERT_OK(credit().Granted(due[0], {.granted_bytes_down = 100, .validity_seconds = 3600}));
  Download(7);
  state = credit().PendingOrSettlement(kSession);
  ASSERT_OK(state.status());
  EXPECT_FALSE(state->pending.has_value());
  EXPECT_EQ(std::to_string(state->settlement.request_number) + " " +
                std::to_string(state->settlement.unreported_down) + " " +
                std::to_string(state->settlement.unreported_up),
            Settlement());
  EXPECT_EQ(credit().PendingOrSettlement("unknown").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CreditStoreTest, FinalUnitsEndAccessOnceUsedUp) {
  Begin(100, true);
  EXPECT_EQ(Grant(), "100|NULL|t");
  Download(99);
  EXPECT_TRUE(Due().empty());  // nothing more to ask for
  EXPECT_TRUE(credit().EndExhausted()->empty());
  EXPECT_FALSE(Closed());
  Download(1);
  auto ended = credit().EndExhausted();
  ASSERT_OK(ended.status());
  ASSERT_EQ(ended->size(), 1u);
  EXPECT_EQ((*ended)[0].session_id, kSession);
  EXPECT_GT((*ended)[0].token_expires_at, absl::ToUnixSeconds(absl::Now()));
  EXPECT_TRUE(Closed());  // a restarted tracker refuses its tokens too
  EXPECT_TRUE(credit().EndExhausted()->empty());
  EXPECT_EQ(Settlement(), "0 100 2");  // the TERMINATION reports it all
}

TEST_F(CreditStoreTest, AnAnswerGrantingNothingLeavesTheGrantedBytesToUse) {
  Begin(100, false);
  Download(85);
  auto due = Due();
  ASSERT_EQ(due.size(), 1u);
  auto ended = credit().End(due[0], /*recorded=*/true, "out of credit");
  ASSERT_OK(ended.status());
  EXPECT_FALSE(ended->has_value());
  EXPECT_EQ(Grant(), "100|NULL|t");
  EXPECT_EQ(Settlement(), "1 0 0");
  EXPECT_FALSE(Closed());
  Download(15);
  EXPECT_EQ(credit().EndExhausted()->size(), 1u);
}

TEST_F(CreditStoreTest, ARefusedRequestEndsAccessAndGivesItsNumberBack) {
  Begin(100, false);
  Download(85);
  auto due = Due();
  ASSERT_EQ(due.size(), 1u);
  auto ended = credit().End(due[0], /*recorded=*/false, "charging refused the update: expired");
  ASSERT_OK(ended.status());
  ASSERT_TRUE(ended->has_value());
  EXPECT_EQ(Settlement(), "0 85 1");
  EXPECT_TRUE(Closed());
  Download(100);
  EXPECT_TRUE(Due().empty());
  EXPECT_TRUE(credit().EndExhausted()->empty());  // ended once
  EXPECT_EQ(Rows("SELECT cc_ended FROM tracker.session")[0],
            "charging refused the update: expired");
}

TEST_F(CreditStoreTest, ContentNotPricedByBytesIsUpdatedAsItsValidityEnds) {
  Begin(0, false, /*validity=*/1);
  EXPECT_EQ(Grant(), "NULL|NULL|f");
  Download(1 << 30);
  std::vector<CreditUpdate> due;
  // Due 0.8 s after the grant: polled, as the clock (not an event) makes it due.
  for (absl::Time until = absl::Now() + absl::Seconds(10); absl::Now() < until;) {
    if (!(due = Due()).empty()) break;
    absl::SleepFor(absl::Milliseconds(50));  // the polling interval
  }
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].bytes_down, 1 << 30);
  ASSERT_OK(credit().Granted(due[0], {.granted_bytes_down = 0, .validity_seconds = 3600}));
  EXPECT_EQ(Grant(), "NULL|NULL|f");  // still not limited by bytes
  EXPECT_TRUE(Due().empty());         // next due in 48 minutes
}

TEST_F(CreditStoreTest, AnIdleSessionIsNotKeptAliveByItsValidity) {
  Begin(0, false, /*validity=*/1);
  Download(100);
  std::vector<CreditUpdate> due;
  for (absl::Time until = absl::Now() + absl::Seconds(10); absl::Now() < until;) {
    if (!(due = Due()).empty()) break;
    absl::SleepFor(absl::Milliseconds(50));  // the polling interval
  }
  ASSERT_EQ(due.size(), 1u);
  ASSERT_OK(credit().Granted(due[0], {.granted_bytes_down = 0, .validity_seconds = 1}));
  // Its validity runs out again with nothing moved: no UPDATE, so charging lets it go.
  Rows("UPDATE tracker.session SET cc_due_at = now() - interval '1 second' RETURNING 1");
  EXPECT_TRUE(Due().empty());
  Download(5);  // a peer moved bytes again
  due = Due();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].request_number, 2);
  EXPECT_EQ(due[0].bytes_down, 5);
}

TEST_F(CreditStoreTest, SessionsWithoutCreditControlAreNeverDue) {
  Download(1 << 30);
  EXPECT_TRUE(Due().empty());
  EXPECT_TRUE(credit().EndExhausted()->empty());
  EXPECT_EQ(Settlement(), "0 1073741824 1");
  EXPECT_EQ(credit().Settlement("unknown").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CreditStoreTest, BeginningTwiceChangesNothing) {
  Begin(100, false);
  Begin(500, true);
  EXPECT_EQ(Grant(), "100|80|f");
}

}  // namespace
}  // namespace p2pims::tracker
