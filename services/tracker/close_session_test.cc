// CloseSession against a real PostgreSQL and a scripted charging: usage already handed to
// charging must be taken before the session closes, or a record would reach charging after
// sip-edge's STOP closed the session's accounting, and be refused there (lost).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "lib/pg/testing/schema_test.h"
#include "lib/status/status_testing.h"
#include "services/tracker/store.h"

namespace p2pims::tracker {
namespace {

constexpr char kSession[] = "s-1";

class CloseSessionTest : public pg::SchemaTest {
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
  absl::StatusOr<v1::CloseSessionResponse> Close(const UsageSender& charging) {
    int64_t expires = 0;
    return store_->CloseSession(kSession, "normal", charging, &expires);
  }

  std::unique_ptr<TrackerStore> store_;
  std::vector<std::vector<int64_t>> sent_;  // record numbers of each delivery
  UsageSender Charging(bool takes) {
    return [this, takes](const std::vector<InterimRecord>& records) {
      std::vector<int64_t> numbers, taken;
      for (const InterimRecord& r : records) {
        numbers.push_back(r.record_number);
        if (takes) taken.push_back(r.id);
      }
      sent_.push_back(numbers);
      return absl::StatusOr<std::vector<int64_t>>(taken);
    };
  }
};

TEST_F(CloseSessionTest, ARecordChargingLeftToResendKeepsTheSessionOpenUntilTaken) {
  ASSERT_OK(store_->AddUsage({{.session_id = kSession, .bytes_up = 0, .bytes_down = 100}}).status());
  // Numbered and sent as INTERIM 2; charging answers UNAVAILABLE for it (e.g. its batch failed).
  auto sent = store_->DeliverUsage(10, Charging(/*takes=*/false));
  ASSERT_OK(sent.status());
  EXPECT_EQ(*sent, 1);

  auto refused = Close(Charging(false));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_EQ(Rows("SELECT closed_at IS NULL FROM tracker.session"), std::vector<std::string>{"t"});

  auto closed = Close(Charging(true));
  ASSERT_OK(closed.status());
  EXPECT_EQ(closed->bytes_down(), 100);
  EXPECT_EQ(closed->unreported_bytes_down(), 0);  // it went as INTERIM 2, now taken
  EXPECT_EQ(sent_, (std::vector<std::vector<int64_t>>{{2}, {2}, {2}}));  // the same record
  EXPECT_EQ(Rows("SELECT count(*) FROM tracker.usage_outbox"), std::vector<std::string>{"0"});
}

}  // namespace
}  // namespace p2pims::tracker
