// The shard a key belongs to, from its absl hash, for maps split into shards that each hold an
// absl::flat_hash_map keyed (and so hashed) the same way.
//
//   Shard& s = *shards_[ShardIndex(absl::HashOf(key), shards_.size())];
#pragma once

#include <cstddef>

namespace p2pims::tracker {

// Takes the top bits of the hash. The table uses the low 7 bits as each slot's control byte and
// the next ones for where probing starts; a shard chosen by `hash % n` gives every key in a shard
// the same low bits (4 of the 7 with 16 shards), so control bytes match n times as often and a
// lookup compares several keys (a cache miss each) instead of about one: lookups were 2-4 times
// slower that way in a test with 50,000 keys in 16 shards.
inline size_t ShardIndex(size_t hash, size_t shards) { return (hash >> 48) % shards; }

}  // namespace p2pims::tracker
