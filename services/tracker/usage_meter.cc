#include "services/tracker/usage_meter.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "services/tracker/shard_index.h"

namespace p2pims::tracker {

UsageMeter::UsageMeter(int shards) {
  for (int i = 0; i < std::max(1, shards); ++i) shards_.push_back(std::make_unique<Shard>());
}

void UsageMeter::List(std::shared_ptr<const void> owner, const UsageCell& cell,
                      std::string_view session_id) {
  Shard& shard = *shards_[ShardIndex(absl::HashOf(&cell), shards_.size())];
  absl::MutexLock lock(&shard.mu);
  shard.cells.push_back({std::move(owner), &cell, session_id});
}

absl::Status UsageMeter::Flush(
    const std::function<absl::Status(const std::vector<SessionUsage>&)>& write) {
  absl::MutexLock flush_lock(&flush_mu_);
  std::vector<Listed> listed;  // outlives `at` below, which views the ids in its owners
  for (auto& shard : shards_) {
    std::vector<Listed> part;
    {
      absl::MutexLock lock(&shard->mu);
      part.swap(shard->cells);
      shard->cells.reserve(part.size());  // the next period lists about as many
    }
    if (listed.empty()) {
      listed = std::move(part);
    } else {
      listed.insert(listed.end(), std::make_move_iterator(part.begin()),
                    std::make_move_iterator(part.end()));
    }
  }
  // A failed batch first, then the cells; one entry per session. The batch never reallocates
  // (reserved), so the views into its ids stay valid.
  std::vector<SessionUsage> batch = std::move(unwritten_);
  unwritten_.clear();
  batch.reserve(batch.size() + listed.size());
  absl::flat_hash_map<std::string_view, size_t> at;  // session id -> its place in the batch
  at.reserve(batch.capacity());
  for (size_t i = 0; i < batch.size(); ++i) at.try_emplace(batch[i].session_id, i);
  for (const Listed& l : listed) {
    // Unlisted before the counts are taken: an add that finds it unlisted lists it again, and
    // its bytes go to this batch or the next, never nowhere.
    l.cell->listed.store(false);
    const int64_t up = l.cell->up.exchange(0);
    const int64_t down = l.cell->down.exchange(0);
    if (up == 0 && down == 0) continue;
    auto [it, fresh] = at.try_emplace(l.session_id, batch.size());
    if (fresh) {
      batch.push_back({std::string(l.session_id), up, down});  // kept if the write fails
    } else {
      batch[it->second].bytes_up += up;
      batch[it->second].bytes_down += down;
    }
  }
  if (batch.empty()) {
    unwritten_count_.store(0, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  absl::Status s = write(batch);
  unwritten_ = s.ok() ? std::vector<SessionUsage>() : std::move(batch);
  unwritten_count_.store(unwritten_.size(), std::memory_order_relaxed);
  return s;
}

size_t UsageMeter::pending() const {
  size_t n = unwritten_count_.load(std::memory_order_relaxed);
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    n += shard->cells.size();
  }
  return n;
}

}  // namespace p2pims::tracker
