// A fixed set of threads running blocking work (backend or database calls) off an event loop
// (SIP, gRPC callbacks), with a bounded queue so overload is refused at once instead of queueing
// without end.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace p2pims {

// Thread-safe. The destructor runs what is queued, then joins.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queue);
  ~WorkerPool();

  // False when the queue is full (the caller refuses the request: SIP 503, gRPC UNAVAILABLE).
  bool Submit(std::function<void()> work);
  // Queues work that must not be dropped (session teardown: money and CDRs depend on it), past
  // the bound. False only while the pool is being destroyed.
  bool SubmitAlways(std::function<void()> work);
  size_t queued() const;

 private:
  void Loop();
  const size_t max_queue_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace p2pims
