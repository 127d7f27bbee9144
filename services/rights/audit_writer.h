// Batched audit trail of access decisions: Authorize hands each decision over without waiting,
// and one background thread writes them in batches (one INSERT per batch), so the hot path never
// waits on PostgreSQL. Admin changes are audited inside their own transaction instead.
//
// Nothing is dropped: when the database is unreachable the backlog grows up to `max_backlog`,
// and then Enqueue refuses, so Authorize answers UNAVAILABLE rather than decide unaudited. A
// crash loses at most the records of the last flush interval.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "services/rights/store.h"

namespace p2pims::rights {

struct AuditWriterOptions {
  absl::Duration flush_interval = absl::Milliseconds(200);
  size_t max_batch = 2000;
  size_t max_backlog = 200000;
  // How long audit records are kept, and how often older ones are deleted.
  absl::Duration retention = absl::Hours(24 * 90);
  absl::Duration prune_interval = absl::Hours(1);
};

// Thread-safe. Owns one thread from Start until destruction, which writes what is left.
class AuditWriter {
 public:
  AuditWriter(RightsStore& store, AuditWriterOptions options);
  ~AuditWriter();

  void Start();
  // False when the backlog is full; the record is then not kept.
  bool Enqueue(AuditEntry entry);
  // Writes everything enqueued so far; for tests and shutdown.
  absl::Status Flush();
  size_t backlog() const { return backlog_.load(std::memory_order_relaxed); }
  int64_t written() const { return written_.load(std::memory_order_relaxed); }
  int64_t pruned() const { return pruned_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kLanes = 16;  // enqueuers spread over lanes by thread
  struct Lane {
    absl::Mutex mu;
    std::vector<AuditEntry> entries ABSL_GUARDED_BY(mu);
  };

  void Run();
  std::vector<AuditEntry> TakeAll();

  RightsStore& store_;
  const AuditWriterOptions options_;
  std::array<Lane, kLanes> lanes_;
  std::atomic<size_t> backlog_{0};
  std::atomic<int64_t> written_{0}, pruned_{0};
  absl::Mutex flush_mu_;  // one writer of batches at a time
  std::vector<AuditEntry> retry_ ABSL_GUARDED_BY(flush_mu_);  // a batch the database refused
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace p2pims::rights
