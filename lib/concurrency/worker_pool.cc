#include "lib/concurrency/worker_pool.h"

#include "absl/time/clock.h"

namespace p2pims {

WorkerPool::WorkerPool(int threads, size_t max_queue, absl::Duration max_wait)
    : max_queue_(max_queue), max_wait_(max_wait) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& t : threads_) t.join();
}

bool WorkerPool::Submit(std::function<void()> work, std::function<void()> shed) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= max_queue_) return false;
  // The front is the oldest work queued: past the bound, this work would wait as long.
  if (shed && !queue_.empty() && now - queue_.front().queued > max_wait_) return false;
  queue_.push_back({std::move(work), std::move(shed), now});
  return true;
}

bool WorkerPool::SubmitAlways(std::function<void()> work) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  queue_.push_back({std::move(work), nullptr, now});
  return true;
}

size_t WorkerPool::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void WorkerPool::Loop() {
  for (;;) {
    Item item;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* p)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) { return p->stopping_ || !p->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping and drained
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    if (item.shed && absl::Now() - item.queued > max_wait_) {
      item.shed();
    } else {
      item.work();
    }
  }
}

}  // namespace p2pims
