// A bounded map of immutable values split into shards, each with its own reader-writer lock, so
// concurrent lookups of different keys rarely touch the same lock and never a global one.
//
// Loads race with invalidations: a value read from the database before an invalidation must not
// be stored after it. Take Generation(key) before reading and pass it to PutIfCurrent, which
// refuses the value when the key's shard was invalidated in between.
//
//   auto gen = cache.Generation(key);
//   if (auto v = cache.Find(key)) return v;
//   auto loaded = std::make_shared<const V>(ReadFromDatabase(key));
//   cache.PutIfCurrent(key, loaded, gen);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"

namespace p2pims::rights {

template <typename V>
class ShardedCache {
 public:
  // At most `capacity` entries (0 = unbounded); a full shard drops an arbitrary entry.
  explicit ShardedCache(size_t capacity)
      : shard_capacity_(capacity == 0 ? 0 : (capacity + kShards - 1) / kShards) {}

  std::shared_ptr<const V> Find(absl::string_view key) const {
    const Shard& s = ShardOf(key);
    absl::ReaderMutexLock lock(&s.mu);
    auto it = s.map.find(key);
    return it == s.map.end() ? nullptr : it->second;
  }

  uint64_t Generation(absl::string_view key) const {
    const Shard& s = ShardOf(key);
    absl::ReaderMutexLock lock(&s.mu);
    return s.generation;
  }

  // Stores `value` unless the shard was invalidated since `generation`; true when stored.
  bool PutIfCurrent(absl::string_view key, std::shared_ptr<const V> value, uint64_t generation) {
    Shard& s = ShardOf(key);
    absl::MutexLock lock(&s.mu);
    if (s.generation != generation) return false;
    if (shard_capacity_ != 0 && s.map.size() >= shard_capacity_ && !s.map.contains(key)) {
      s.map.erase(s.map.begin());
    }
    s.map.insert_or_assign(std::string(key), std::move(value));
    return true;
  }

  void Invalidate(absl::string_view key) {
    Shard& s = ShardOf(key);
    absl::MutexLock lock(&s.mu);
    s.map.erase(key);
    ++s.generation;
  }

  void InvalidateAll() {
    for (Shard& s : shards_) {
      absl::MutexLock lock(&s.mu);
      s.map.clear();
      ++s.generation;
    }
  }

  size_t size() const {
    size_t n = 0;
    for (const Shard& s : shards_) {
      absl::ReaderMutexLock lock(&s.mu);
      n += s.map.size();
    }
    return n;
  }

 private:
  static constexpr size_t kShards = 64;

  struct Shard {
    mutable absl::Mutex mu;
    uint64_t generation = 0;
    absl::flat_hash_map<std::string, std::shared_ptr<const V>> map;
  };

  Shard& ShardOf(absl::string_view key) { return shards_[absl::Hash<absl::string_view>()(key) % kShards]; }
  const Shard& ShardOf(absl::string_view key) const { return shards_[absl::Hash<absl::string_view>()(key) % kShards]; }

  const size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace p2pims::rights
