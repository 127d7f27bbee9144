// The Rf record queue against a scripted charging (pure logic: the real charging takes these
// batches in tests/e2e, e.g. walking_skeleton_test and tracker_metering_test).
#include "services/sip-edge/accounting_queue.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "services/sip-edge/unscripted_backends.h"

namespace p2pims::sip_edge {
namespace {

cv1::AccountingRequest Record(const std::string& session, cv1::RecordType type) {
  cv1::AccountingRequest r;
  r.set_session_id(session);
  r.set_record_type(type);
  r.set_record_number(type == cv1::RECORD_TYPE_STOP ? 1 : 0);
  return r;
}

// Charging as scripted: each call's outcome codes in turn (none left: all OK), an optional
// whole-call failure, and a gate that holds the first call until the test opens it.
class ScriptedCharging : public UnscriptedBackends {
 public:
  absl::StatusOr<cv1::AccountingBatchResponse> AccountingBatch(
      const cv1::AccountingBatchRequest& req) override {
    std::vector<std::string> names;
    for (const auto& r : req.records()) {
      names.push_back(r.session_id() + "/" + cv1::RecordType_Name(r.record_type()));
    }
    absl::Status failure;
    std::vector<absl::StatusCode> codes;
    {
      absl::MutexLock lock(&mu);
      batches.push_back(names);
      if (!call_failures.empty()) {
        failure = call_failures.front();
        call_failures.pop_front();
      } else if (!outcome_codes.empty()) {
        codes = outcome_codes.front();
        outcome_codes.pop_front();
      }
    }
    if (!batches_seen_first.HasBeenNotified()) {
      batches_seen_first.Notify();
      if (hold_first) release_first.WaitForNotification();
    }
    if (!failure.ok()) return failure;
    cv1::AccountingBatchResponse out;
    for (int i = 0; i < req.records_size(); ++i) {
      cv1::AccountingOutcome* o = out.add_outcomes();
      const absl::StatusCode c = i < static_cast<int>(codes.size()) ? codes[i] : absl::StatusCode::kOk;
      o->set_code(static_cast<int>(c));
      if (c != absl::StatusCode::kOk) o->set_error("scripted");
    }
    return out;
  }
  std::vector<std::vector<std::string>> Batches() {
    absl::MutexLock lock(&mu);
    return batches;
  }

  absl::Mutex mu;
  std::vector<std::vector<std::string>> batches ABSL_GUARDED_BY(mu);
  std::deque<absl::Status> call_failures ABSL_GUARDED_BY(mu);
  std::deque<std::vector<absl::StatusCode>> outcome_codes ABSL_GUARDED_BY(mu);
  bool hold_first = false;
  absl::Notification batches_seen_first, release_first;
};

double Metric(metrics::Registry& registry, const std::string& line_prefix) {
  const std::string text = "\n" + registry.Serialize();
  const size_t at = text.find("\n" + line_prefix + " ");  // a sample line, not # HELP
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + line_prefix.size() + 2));
}

constexpr char kDelivered[] = "p2pims_sip_accounting_records_total{result=\"delivered\"}";
constexpr char kRetried[] = "p2pims_sip_accounting_records_total{result=\"retried\"}";
constexpr char kRefused[] = "p2pims_sip_accounting_records_total{result=\"refused\"}";

const AccountingQueueOptions kFast{.retry_min = absl::Milliseconds(1),
                                   .retry_max = absl::Milliseconds(2)};

TEST(AccountingQueueTest, RecordsQueuedDuringACallGoTogetherInTheNext) {
  ScriptedCharging charging;
  charging.hold_first = true;
  metrics::Registry registry;
  AccountingQueue queue(charging, kFast, registry);
  ASSERT_TRUE(queue.Submit(Record("a", cv1::RECORD_TYPE_START)));
  charging.batches_seen_first.WaitForNotification();  // "a" is on its way, held there
  ASSERT_TRUE(queue.Submit(Record("b", cv1::RECORD_TYPE_START)));
  ASSERT_TRUE(queue.Submit(Record("a", cv1::RECORD_TYPE_STOP)));
  ASSERT_TRUE(queue.Submit(Record("c", cv1::RECORD_TYPE_START)));
  EXPECT_EQ(queue.depth(), 3u);
  charging.release_first.Notify();
  ASSERT_TRUE(queue.WaitIdle(absl::Seconds(30)));
  const std::vector<std::vector<std::string>> want = {
      {"a/RECORD_TYPE_START"},
      {"b/RECORD_TYPE_START", "a/RECORD_TYPE_STOP", "c/RECORD_TYPE_START"}};
  EXPECT_EQ(charging.Batches(), want);
  EXPECT_EQ(Metric(registry, kDelivered), 4);
  EXPECT_EQ(Metric(registry, "p2pims_sip_accounting_batches_total"), 2);
  EXPECT_EQ(queue.depth(), 0u);
}

TEST(AccountingQueueTest, AFailedCallIsSentAgainWholeAndInOrder) {
  ScriptedCharging charging;
  {
    absl::MutexLock lock(&charging.mu);
    charging.call_failures = {absl::UnavailableError("charging down"),
                              absl::DeadlineExceededError("no answer")};
  }
  metrics::Registry registry;
  AccountingQueue queue(charging, kFast, registry);
  ASSERT_TRUE(queue.Submit(Record("a", cv1::RECORD_TYPE_START)));
  ASSERT_TRUE(queue.Submit(Record("a", cv1::RECORD_TYPE_STOP)));
  ASSERT_TRUE(queue.WaitIdle(absl::Seconds(30)));
  const auto batches = charging.Batches();
  ASSERT_GE(batches.size(), 3u);
  // However the records were grouped, what was sent last holds both, START before STOP.
  std::vector<std::string> delivered;
  for (size_t i = 2; i < batches.size(); ++i) {
    delivered.insert(delivered.end(), batches[i].begin(), batches[i].end());
  }
  EXPECT_EQ(delivered, (std::vector<std::string>{"a/RECORD_TYPE_START", "a/RECORD_TYPE_STOP"}));
  EXPECT_EQ(Metric(registry, kDelivered), 2);
  EXPECT_GE(Metric(registry, kRetried), 2);
}

TEST(AccountingQueueTest, OnlyTransientOutcomesAreSentAgain) {
  ScriptedCharging charging;
  charging.hold_first = true;
  metrics::Registry registry;
  AccountingQueue queue(charging, kFast, registry);
  ASSERT_TRUE(queue.Submit(Record("held", cv1::RECORD_TYPE_START)));
  charging.batches_seen_first.WaitForNotification();  // took no script: all OK
  ASSERT_TRUE(queue.Submit(Record("a", cv1::RECORD_TYPE_START)));
  ASSERT_TRUE(queue.Submit(Record("b", cv1::RECORD_TYPE_START)));
  ASSERT_TRUE(queue.Submit(Record("c", cv1::RECORD_TYPE_STOP)));
  {
    absl::MutexLock lock(&charging.mu);  // for the next call, which takes a, b and c
    charging.outcome_codes = {{absl::StatusCode::kOk, absl::StatusCode::kUnavailable,
                               absl::StatusCode::kFailedPrecondition}};
  }
  charging.release_first.Notify();
  ASSERT_TRUE(queue.WaitIdle(absl::Seconds(30)));
  const auto batches = charging.Batches();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[1], (std::vector<std::string>{"a/RECORD_TYPE_START", "b/RECORD_TYPE_START",
                                                  "c/RECORD_TYPE_STOP"}));
  EXPECT_EQ(batches[2], (std::vector<std::string>{"b/RECORD_TYPE_START"}));  // not refused c
  EXPECT_EQ(Metric(registry, kDelivered), 3);  // held, a, then b
  EXPECT_EQ(Metric(registry, kRetried), 1);
  EXPECT_EQ(Metric(registry, kRefused), 1);
}

TEST(AccountingQueueTest, AFullQueueRefusesMoreAndTakesThemOnceThereIsRoom) {
  ScriptedCharging charging;
  charging.hold_first = true;
  metrics::Registry registry;
  AccountingQueue queue(charging, {.capacity = 2}, registry);
  ASSERT_TRUE(queue.Submit(Record("a", cv1::RECORD_TYPE_START)));
  charging.batches_seen_first.WaitForNotification();
  EXPECT_TRUE(queue.Submit(Record("b", cv1::RECORD_TYPE_START)));
  EXPECT_TRUE(queue.Submit(Record("c", cv1::RECORD_TYPE_START)));
  EXPECT_FALSE(queue.Submit(Record("d", cv1::RECORD_TYPE_START)));
  EXPECT_EQ(queue.depth(), 2u);
  charging.release_first.Notify();
  ASSERT_TRUE(queue.WaitIdle(absl::Seconds(30)));
  EXPECT_TRUE(queue.Submit(Record("d", cv1::RECORD_TYPE_START)));
  ASSERT_TRUE(queue.WaitIdle(absl::Seconds(30)));
  EXPECT_EQ(Metric(registry, kDelivered), 4);
}

TEST(AccountingQueueTest, StoppingWhileChargingIsAwayEndsAfterTheDrainTime) {
  ScriptedCharging charging;
  {
    absl::MutexLock lock(&charging.mu);
    for (int i = 0; i < 100000; ++i) charging.call_failures.push_back(absl::UnavailableError("down"));
  }
  metrics::Registry registry;
  {
    AccountingQueue queue(charging, {.retry_min = absl::Milliseconds(1),
                                     .retry_max = absl::Milliseconds(2),
                                     .drain = absl::Milliseconds(50)},
                          registry);
    ASSERT_TRUE(queue.Submit(Record("a", cv1::RECORD_TYPE_STOP)));
    EXPECT_FALSE(queue.WaitIdle(absl::Milliseconds(20)));  // never taken
  }  // returns: what is left is logged for replay
  EXPECT_GE(charging.Batches().size(), 2u);
  EXPECT_EQ(Metric(registry, kDelivered), 0);
}

}  // namespace
}  // namespace p2pims::sip_edge
