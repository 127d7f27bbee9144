// Rf records leave sip-edge the way a charging trigger function sends its ACRs (3GPP TS 32.299
// §5.2: buffered, not on the call's path): START once a session is set up, STOP once it is torn
// down. They wait in a bounded queue, and one thread sends them in AccountingBatch calls that
// take everything queued meanwhile: no INVITE or BYE waits for them, and a busy edge sends one
// call for many sessions, while an idle one sends each record at once.
//
// A record charging could not take (the call failed, or its outcome is UNAVAILABLE and the like)
// goes back to the front of the queue and is sent again after a pause that doubles up to
// `retry_max`. Resending is safe: charging keeps records idempotent per (session, record number).
// A session's records keep their order. A record refused for good (INVALID_ARGUMENT, a duplicate
// STOP ...) is logged with what it carried and counted; it is not sent again.
//
//   AccountingQueue queue(backends, {}, registry);
//   if (!queue.Submit(start)) ...            // full: charging has been unreachable for long
//   queue.WaitIdle(absl::Seconds(5));        // everything sent and answered (tests)
#pragma once

#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/family.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/registry.h"
#include "services/sip-edge/backends.h"

namespace p2pims::sip_edge {

struct AccountingQueueOptions {
  size_t capacity = 100000;  // records held while charging does not take them
  size_t max_batch = 1000;   // records per AccountingBatch call (charging takes up to 10,000)
  absl::Duration retry_min = absl::Milliseconds(100);
  absl::Duration retry_max = absl::Seconds(5);
  // How long destruction goes on sending what is queued; what is left then is logged.
  absl::Duration drain = absl::Seconds(10);
};

// Thread-safe.
class AccountingQueue {
 public:
  AccountingQueue(Backends& backends, AccountingQueueOptions options, metrics::Registry& registry);
  ~AccountingQueue();
  AccountingQueue(const AccountingQueue&) = delete;
  AccountingQueue& operator=(const AccountingQueue&) = delete;

  // Queues `record` to be sent; false (and nothing queued) when the queue is full.
  bool Submit(cv1::AccountingRequest record);
  // Waits until every record submitted so far was sent and answered (taken or refused for
  // good); false if that took longer than `timeout`.
  bool WaitIdle(absl::Duration timeout);
  size_t depth() const;

 private:
  void Run();
  // Sends `batch` (mu_ not held) and returns the records to send again.
  std::vector<cv1::AccountingRequest> Send(std::vector<cv1::AccountingRequest>& batch);
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return queue_.empty() && !in_flight_; }

  Backends& backends_;
  const AccountingQueueOptions options_;
  metrics::Gauge& depth_gauge_;
  metrics::Counter& delivered_;
  metrics::Counter& retried_;
  metrics::Counter& refused_;
  metrics::Counter& batches_;
  mutable absl::Mutex mu_;
  std::deque<cv1::AccountingRequest> queue_ ABSL_GUARDED_BY(mu_);
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace p2pims::sip_edge
