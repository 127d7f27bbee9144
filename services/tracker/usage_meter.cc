#include "services/tracker/usage_meter.h"

#include "absl/hash/hash.h"

namespace p2pims::tracker {

UsageMeter::UsageMeter(int shards) {
  for (int i = 0; i < std::max(1, shards); ++i) shards_.push_back(std::make_unique<Shard>());
}

void UsageMeter::Add(std::string_view session_id, int64_t uploaded, int64_t downloaded) {
  const absl::string_view key(session_id.data(), session_id.size());
  Shard& shard = *shards_[absl::HashOf(key) % shards_.size()];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.sessions.find(key);
  if (it == shard.sessions.end()) it = shard.sessions.try_emplace(std::string(session_id)).first;
  it->second.up += uploaded;
  it->second.down += downloaded;
}

absl::Status UsageMeter::Flush(
    const std::function<absl::Status(const std::vector<SessionUsage>&)>& write) {
  absl::MutexLock flush_lock(&flush_mu_);
  absl::flat_hash_map<std::string, Totals> taken;
  for (auto& shard : shards_) {
    absl::flat_hash_map<std::string, Totals> part;
    {
      absl::MutexLock lock(&shard->mu);
      part.swap(shard->sessions);
    }
    for (auto& [id, t] : part) {
      Totals& into = taken[id];
      into.up += t.up;
      into.down += t.down;
    }
  }
  for (SessionUsage& u : unwritten_) {
    Totals& into = taken[u.session_id];
    into.up += u.bytes_up;
    into.down += u.bytes_down;
  }
  std::vector<SessionUsage> batch;
  batch.reserve(taken.size());
  for (auto& [id, t] : taken) batch.push_back({id, t.up, t.down});
  if (batch.empty()) {
    unwritten_.clear();
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
