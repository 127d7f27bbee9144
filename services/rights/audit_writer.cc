#include "services/rights/audit_writer.h"

#include <functional>

#include "absl/time/clock.h"
#include "lib/log/log.h"

namespace p2pims::rights {

AuditWriter::AuditWriter(RightsStore& store, AuditWriterOptions options)
    : store_(store), options_(options) {}

AuditWriter::~AuditWriter() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
  if (absl::Status s = Flush(); !s.ok()) {
    log::Error("audit records lost at shutdown",
               {{"count", int64_t(backlog())}, {"error", s.message()}});
  }
}

void AuditWriter::Start() {
  thread_ = std::thread([this] { Run(); });
}

bool AuditWriter::Enqueue(AuditEntry entry) {
  if (backlog_.fetch_add(1, std::memory_order_relaxed) >= options_.max_backlog) {
    backlog_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  if (entry.at_micros == 0) entry.at_micros = absl::ToUnixMicros(absl::Now());
  Lane& lane = lanes_[std::hash<std::thread::id>()(std::this_thread::get_id()) % kLanes];
  absl::MutexLock lock(&lane.mu);
  lane.entries.push_back(std::move(entry));
  return true;
}

std::vector<AuditEntry> AuditWriter::TakeAll() {
  std::vector<AuditEntry> all;
  for (Lane& lane : lanes_) {
    std::vector<AuditEntry> taken;
    {
      absl::MutexLock lock(&lane.mu);
      taken.swap(lane.entries);
    }
    all.insert(all.end(), std::make_move_iterator(taken.begin()),
               std::make_move_iterator(taken.end()));
  }
  return all;
}

absl::Status AuditWriter::Flush() {
  absl::MutexLock lock(&flush_mu_);
  std::vector<AuditEntry> pending = std::move(retry_);
  retry_.clear();
  std::vector<AuditEntry> fresh = TakeAll();
  pending.insert(pending.end(), std::make_move_iterator(fresh.begin()),
                 std::make_move_iterator(fresh.end()));
  for (size_t begin = 0; begin < pending.size(); begin += options_.max_batch) {
    const size_t end = std::min(pending.size(), begin + options_.max_batch);
    std::vector<AuditEntry> batch(std::make_move_iterator(pending.begin() + begin),
                                  std::make_move_iterator(pending.begin() + end));
    if (absl::Status s = store_.AppendAudit(batch); !s.ok()) {
      // Keep this batch and the rest for the next attempt; the backlog still counts them.
      retry_.assign(std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
      retry_.insert(retry_.end(), std::make_move_iterator(pending.begin() + end),
                    std::make_move_iterator(pending.end()));
      return s;
    }
    backlog_.fetch_sub(batch.size(), std::memory_order_relaxed);
    written_.fetch_add(batch.size(), std::memory_order_relaxed);
  }
  return absl::OkStatus();
}

void AuditWriter::Run() {
  absl::Time next_prune = absl::Now();
  bool failing = false;
  while (!stop_.WaitForNotificationWithTimeout(options_.flush_interval)) {
    absl::Status s = Flush();
    if (!s.ok() && !failing) log::Warn("audit records not written yet", {{"error", s.message()}});
    if (s.ok() && failing) log::Info("audit records written again");
    failing = !s.ok();
    if (absl::Now() >= next_prune) {
      next_prune = absl::Now() + options_.prune_interval;
      auto pruned = store_.Prune(options_.retention);
      if (pruned.ok()) pruned_.fetch_add(*pruned, std::memory_order_relaxed);
    }
  }
}

}  // namespace p2pims::rights
