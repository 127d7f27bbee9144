// A fixed set of threads running blocking work (backend or database calls) off an event loop
// (SIP, gRPC callbacks), with a bounded queue so overload is refused at once instead of queueing
// without end. A bound on the time waited in the queue keeps the latency of the work that is
// done bounded too: work that waited longer is shed (its `shed` runs instead: refuse it), and
// while the oldest work queued has waited that long, new sheddable work is refused at once (it
// would wait as long; refusing it on arrival costs the caller nothing more).
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace p2pims {

// Thread-safe. The destructor runs what is queued, then joins.
class WorkerPool {
 public:
  // `max_wait`: queued work a worker takes later than this after its Submit is shed, when it
  // has a `shed`.
  WorkerPool(int threads, size_t max_queue, absl::Duration max_wait = absl::InfiniteDuration());
  ~WorkerPool();

  // False when the queue is full (the caller refuses the request: SIP 503, gRPC UNAVAILABLE),
  // or, for work with a `shed`, when the oldest work queued has waited past max_wait. `shed`
  // runs on a worker instead of `work` if the work waited past max_wait.
  bool Submit(std::function<void()> work, std::function<void()> shed = nullptr);
  // Queues work that must not be dropped (session teardown: money and CDRs depend on it), past
  // the bound. False only while the pool is being destroyed.
  bool SubmitAlways(std::function<void()> work);
  size_t queued() const;

 private:
  struct Item {
    std::function<void()> work;
    std::function<void()> shed;
    absl::Time queued;
  };
  void Loop();
  const size_t max_queue_;
  const absl::Duration max_wait_;
  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace p2pims
