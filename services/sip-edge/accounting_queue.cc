#include "services/sip-edge/accounting_queue.h"

#include <algorithm>
#include <string>

#include "lib/log/log.h"
#include "lib/status/status_macros.h"

namespace p2pims::sip_edge {
namespace {

metrics::Counter& RecordCounter(metrics::Registry& registry, const char* result) {
  return metrics::BuildCounter()
      .Name("p2pims_sip_accounting_records_total")
      .Help("Rf records (START, STOP) sip-edge sent to charging, by result: delivered, retried "
            "(sent again later), refused (for good, logged).")
      .Register(registry)
      .Add({{"result", result}});
}

// With everything the record carried, so that it can be replayed (p2pimsctl, or by hand).
void LogLost(const char* what, const cv1::AccountingRequest& r, const absl::Status& why) {
  log::Error(what,
             {{"session_id", r.session_id()},
              {"icid", r.icid()},
              {"record_type", cv1::RecordType_Name(r.record_type())},
              {"record_number", r.record_number()},
              {"bytes_down", r.used().bytes_down()},
              {"bytes_up", r.used().bytes_up()},
              {"error", why.ToString()}});
}

}  // namespace

AccountingQueue::AccountingQueue(Backends& backends, AccountingQueueOptions options,
                                 metrics::Registry& registry)
    : backends_(backends),
      options_(options),
      depth_gauge_(metrics::BuildGauge()
                       .Name("p2pims_sip_accounting_queue_records")
                       .Help("Rf records waiting to be sent to charging (a batch on its way "
                             "not counted).")
                       .Register(registry)
                       .Add({})),
      delivered_(RecordCounter(registry, "delivered")),
      retried_(RecordCounter(registry, "retried")),
      refused_(RecordCounter(registry, "refused")),
      batches_(metrics::BuildCounter()
                   .Name("p2pims_sip_accounting_batches_total")
                   .Help("AccountingBatch calls sip-edge made.")
                   .Register(registry)
                   .Add({})),
      thread_([this] { Run(); }) {}

AccountingQueue::~AccountingQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  absl::MutexLock lock(&mu_);
  for (const cv1::AccountingRequest& r : queue_) {
    LogLost("accounting record not sent before stopping", r,
            absl::UnavailableError("charging did not take it in time"));
  }
}

bool AccountingQueue::Submit(cv1::AccountingRequest record) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= options_.capacity) return false;
  queue_.push_back(std::move(record));
  depth_gauge_.Set(static_cast<double>(queue_.size()));
  return true;
}

bool AccountingQueue::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(this, &AccountingQueue::Idle), timeout);
}

size_t AccountingQueue::depth() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void AccountingQueue::Run() {
  absl::MutexLock lock(&mu_);
  absl::Duration pause = options_.retry_min;
  absl::Time drain_until = absl::InfiniteFuture();
  while (true) {
    auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
    mu_.Await(absl::Condition(&work));
    if (stopping_ && drain_until == absl::InfiniteFuture()) drain_until = absl::Now() + options_.drain;
    if (queue_.empty() || absl::Now() >= drain_until) return;

    // Everything queued meanwhile goes in this call: one call per round, however busy.
    const size_t n = std::min(queue_.size(), options_.max_batch);
    std::vector<cv1::AccountingRequest> batch(std::make_move_iterator(queue_.begin()),
                                              std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
    in_flight_ = true;
    mu_.Unlock();
    std::vector<cv1::AccountingRequest> again = Send(batch);
    mu_.Lock();
    in_flight_ = false;
    if (again.empty()) {
      pause = options_.retry_min;
    } else {
      // In front of what came meanwhile, so a session's STOP never overtakes its START.
      queue_.insert(queue_.begin(), std::make_move_iterator(again.begin()),
                    std::make_move_iterator(again.end()));
      // A backoff while charging is away, cut short when shutdown begins (which sends once
      // more at once); while draining, the backoff holds too.
      const bool was_stopping = stopping_;
      auto stop_began = [this, was_stopping]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ != was_stopping;
      };
      mu_.AwaitWithTimeout(absl::Condition(&stop_began),
                           std::min(pause, drain_until - absl::Now()));
      pause = std::min(pause * 2, options_.retry_max);
    }
    depth_gauge_.Set(static_cast<double>(queue_.size()));
  }
}

std::vector<cv1::AccountingRequest> AccountingQueue::Send(
    std::vector<cv1::AccountingRequest>& batch) {
  cv1::AccountingBatchRequest req;
  req.mutable_records()->Reserve(static_cast<int>(batch.size()));
  for (cv1::AccountingRequest& r : batch) *req.add_records() = r;
  batches_.Increment();
  auto answer = backends_.AccountingBatch(req);
  if (answer.ok() && answer->outcomes_size() != static_cast<int>(batch.size())) {
    answer = absl::InternalError("AccountingBatch answered " +
                                 std::to_string(answer->outcomes_size()) + " outcomes for " +
                                 std::to_string(batch.size()) + " records");
  }
  if (!answer.ok()) {
    // Nothing is known to have been taken: all of it again (charging counts a record once).
    log::Warn("accounting batch not delivered, will resend",
              {{"records", static_cast<int64_t>(batch.size())}, {"error", answer.status().ToString()}});
    retried_.Increment(static_cast<double>(batch.size()));
    return std::move(batch);
  }
  std::vector<cv1::AccountingRequest> again;
  for (size_t i = 0; i < batch.size(); ++i) {
    const cv1::AccountingOutcome& o = answer->outcomes(static_cast<int>(i));
    const absl::Status s(static_cast<absl::StatusCode>(o.code()), o.error());
    if (s.ok()) {
      delivered_.Increment();
    } else if (IsTransient(s)) {
      retried_.Increment();
      again.push_back(std::move(batch[i]));
    } else {
      refused_.Increment();
      LogLost("accounting record refused", batch[i], s);
    }
  }
  return again;
}

}  // namespace p2pims::sip_edge
