#include "services/tracker/usage_meter.h"

#include "absl/hash/hash.h"
#include "services/tracker/shard_index.h"

namespace p2pims::tracker {

UsageMeter::UsageMeter(int shards) {
  for (int i = 0; i < std::max(1, shards); ++i) shards_.push_back(std::make_unique<Shard>());
}

void UsageMeter::Add(std::string_view session_id, int64_t uploaded, int64_t downloaded) {
  const absl::string_view key(session_id.data(), session_id.size());
  Shard& shard = *shards_[ShardIndex(absl::HashOf(key), shards_.size())];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.sessions.find(key);
  if (it == shard.sessions.end()) it = shard.sessions.try_emplace(std::string(session_id)).first;
  it->second.up += uploaded;
  it->second.down += downloaded;
}

absl::Status UsageMeter::Flush(
    const std::function<absl::Status(const std::vector<SessionUsage>&)>& write) {
  absl::MutexLock flush_lock(&flush_mu_);
  // A session id hashes to one shard, so the shards' maps are disjoint: their entries move into
  // the batch as they are. Only a failed batch, kept from before, is merged in.
  std::vector<SessionUsage> batch;
  absl::flat_hash_map<std::string, size_t> at;  // session id -> its place in the batch
  const bool merge = !unwritten_.empty();
  if (merge) {
    batch = std::move(unwritten_);
    unwritten_.clear();
    at.reserve(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) at.try_emplace(batch[i].session_id, i);
  }
  for (auto& shard : shards_) {
    absl::flat_hash_map<std::string, Totals> part;
    {
      absl::MutexLock lock(&shard->mu);
      part.swap(shard->sessions);
      // The next second's announces find the map already sized.
      shard->sessions.reserve(part.size());
    }
    batch.reserve(batch.size() + part.size());
    for (auto it = part.begin(); it != part.end();) {
      auto node = part.extract(it++);  // erasing leaves the other iterators valid
      if (merge) {
        if (auto it = at.find(node.key()); it != at.end()) {
          batch[it->second].bytes_up += node.mapped().up;
          batch[it->second].bytes_down += node.mapped().down;
          continue;
        }
      }
      batch.push_back({std::move(node.key()), node.mapped().up, node.mapped().down});
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
    n += shard->sessions.size();
  }
  return n;
}

}  // namespace p2pims::tracker
