#include "services/tracker/swarms.h"

#include <sodium.h>

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "services/tracker/shard_index.h"

namespace p2pims::tracker {
namespace {

// The maps' keys are std::string; lookups take Abseil's string_view without a copy.
absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Bytes moved since the previous report of a running total (0 for a new peer).
int64_t Delta(int64_t now, int64_t before) {
  if (now < before) return now;  // counting from zero again
  return now - before;
}

}  // namespace

Swarms::Swarms(SwarmsOptions options) : options_(std::move(options)) {
  const int n = std::max(1, options_.shards);
  for (int i = 0; i < n; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->policy = std::make_unique<PeerPolicy>(options_.policy);
    shards_.push_back(std::move(shard));
  }
}

Swarms::Shard& Swarms::ShardOf(std::string_view info_hash) const {
  return *shards_[ShardIndex(absl::HashOf(info_hash), shards_.size())];
}

void Swarms::Swarm::Remove(uint32_t slot) {
  const uint32_t last = static_cast<uint32_t>(peers.size() - 1);
  if (traits[slot].seeder) --seeders;
  index.erase(peers[slot].key);
  if (slot != last) {
    peers[slot] = std::move(peers[last]);
    traits[slot] = traits[last];
    endpoints[slot] = endpoints[last];
    index[peers[slot].key] = slot;
  }
  peers.pop_back();
  traits.pop_back();
  endpoints.pop_back();
}

absl::Status Swarms::Announce(const PeerAnnounce& a, absl::Time now, Rng& rng,
                              AnnounceResult* out) {
  Shard& shard = ShardOf(a.info_hash);
  absl::MutexLock lock(&shard.mu);
  auto swarm_it = shard.swarms.find(View(a.info_hash));
  if (swarm_it == shard.swarms.end()) {
    swarm_it = shard.swarms.try_emplace(std::string(a.info_hash)).first;
  }
  Swarm& swarm = swarm_it->second;
  PeerKey key{};
  std::copy_n(a.peer_id.data(), std::min<size_t>(a.peer_id.size(), 20), key.data());
  std::copy_n(a.session_key.data(), std::min<size_t>(a.session_key.size(), 16), key.data() + 20);
  const std::string_view session_key(key.data() + 20, 16);
  auto found = swarm.index.find(key);

  if (found == swarm.index.end()) {
    // A token may be used from a few addresses (a terminal changing networks), not by a crowd.
    int addresses = 0;
    for (size_t i = 0; i < swarm.peers.size(); ++i) {
      if (swarm.peers[i].session_key() == session_key && !(swarm.endpoints[i] == a.endpoint)) {
        ++addresses;
      }
    }
    if (addresses >= options_.max_addresses_per_token) {
      if (swarm.peers.empty()) shard.swarms.erase(swarm_it);
      return absl::PermissionDeniedError(
          absl::StrCat("token already in use from ", addresses, " addresses"));
    }
  }
  // A peer new here without `started` was counted up to its session's metered usage already;
  // one that left with `stopped` a moment ago, up to the totals it left with.
  int64_t before_up = 0, before_down = 0;
  if (found != swarm.index.end()) {
    before_up = swarm.peers[found->second].uploaded;
    before_down = swarm.peers[found->second].downloaded;
  } else if (auto gone = swarm.departed.find(key); gone != swarm.departed.end()) {
    before_up = gone->second.uploaded;
    before_down = gone->second.downloaded;
    swarm.departed.erase(gone);
  } else if (a.event != AnnounceEvent::kStarted) {
    before_up = a.resume_up;
    before_down = a.resume_down;
  }
  out->delta_uploaded = Delta(a.uploaded, before_up);
  out->delta_downloaded = Delta(a.downloaded, before_down);
  out->peers.clear();
  out->offered_by_tier.fill(0);
  out->previous_best_tier = found == swarm.index.end() ? -1 : swarm.peers[found->second].best_tier;

  if (a.event == AnnounceEvent::kStopped) {
    if (found != swarm.index.end()) {
      // A client may finish and leave in one announce, without a `completed` event.
      if (!swarm.traits[found->second].seeder && a.left == 0) ++swarm.completed;
      swarm.Remove(found->second);
    }
    swarm.departed[key] = {.uploaded = a.uploaded, .downloaded = a.downloaded, .at = now};
  } else {
    uint32_t slot;
    if (found == swarm.index.end()) {
      slot = static_cast<uint32_t>(swarm.peers.size());
      swarm.peers.push_back(Peer{.key = key, .last_seen = now});
      swarm.traits.push_back(a.traits);
      swarm.endpoints.push_back(a.endpoint);
      swarm.index.emplace(key, slot);
    } else {
      slot = found->second;
    }
    Peer& peer = swarm.peers[slot];
    const bool was_seeder = swarm.traits[slot].seeder;
    swarm.endpoints[slot] = a.endpoint;
    peer.uploaded = a.uploaded;
    peer.downloaded = a.downloaded;
    peer.last_seen = now;
    swarm.traits[slot] = a.traits;
    swarm.traits[slot].seeder = a.left == 0;
    swarm.seeders += (a.left == 0) - was_seeder;
    // Counted once per peer, when it turns seeder: with `completed` (BEP 3), or without it (some
    // clients only report left=0). A peer that joins as a seeder completed nothing here.
    const bool is_new = found == swarm.index.end();
    if (!was_seeder && a.left == 0 && (!is_new || a.event == AnnounceEvent::kCompleted)) {
      ++swarm.completed;
    }

    std::vector<uint32_t>& chosen = shard.chosen;
    chosen.clear();
    const PeerTraits& self = swarm.traits[slot];
    shard.policy->Choose(self, static_cast<int>(slot), swarm.traits, a.numwant, rng, &chosen);
    int best = -1;
    for (uint32_t i : chosen) {
      out->peers.push_back(swarm.endpoints[i]);
      const int tier = swarm.traits[i].origin ? kOriginTier
                                              : SharedTier(self.locality, swarm.traits[i].locality);
      ++out->offered_by_tier[tier];
      // Origin seeds rank below every tier: they only fill in.
      if (best < 0 || (tier != kOriginTier && (best == kOriginTier || tier > best))) best = tier;
    }
    peer.best_tier = static_cast<int8_t>(best);
  }
  out->seeders = swarm.seeders;
  out->leechers = static_cast<int64_t>(swarm.peers.size()) - swarm.seeders;
  out->completed = swarm.completed;
  if (swarm.peers.empty() && swarm.completed == 0 && swarm.departed.empty()) {
    shard.swarms.erase(swarm_it);
  }
  return absl::OkStatus();
}

void Swarms::Peek(std::string_view info_hash, const PeerTraits& self, int numwant,
                  Rng& rng, std::vector<ChosenPeer>* out) const {
  out->clear();
  Shard& shard = ShardOf(info_hash);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.swarms.find(View(info_hash));
  if (it == shard.swarms.end()) return;
  const Swarm& swarm = it->second;
  std::vector<uint32_t> chosen;
  shard.policy->Choose(self, -1, swarm.traits, numwant, rng, &chosen);  // off the hot path
  for (uint32_t i : chosen) out->push_back({swarm.endpoints[i], swarm.traits[i].seeder});
}

SwarmStats Swarms::Stats(std::string_view info_hash) const {
  Shard& shard = ShardOf(info_hash);
  absl::MutexLock lock(&shard.mu);
  SwarmStats s;
  auto it = shard.swarms.find(View(info_hash));
  if (it == shard.swarms.end()) return s;
  s.seeders = it->second.seeders;
  s.leechers = static_cast<int64_t>(it->second.peers.size()) - it->second.seeders;
  s.completed = it->second.completed;
  return s;
}

std::array<char, 16> SessionKey(std::string_view session_id) {
  std::array<char, 16> key;
  crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                     reinterpret_cast<const unsigned char*>(session_id.data()), session_id.size(),
                     nullptr, 0);
  return key;
}

SessionPeers Swarms::PeersOfSession(std::string_view info_hash,
                                    std::string_view session_id) const {
  const std::array<char, 16> want = SessionKey(session_id);
  const std::string_view wanted(want.data(), want.size());
  Shard& shard = ShardOf(info_hash);
  absl::MutexLock lock(&shard.mu);
  SessionPeers out;
  auto it = shard.swarms.find(View(info_hash));
  if (it == shard.swarms.end()) return out;
  const Swarm& swarm = it->second;
  for (size_t slot = 0; slot < swarm.peers.size(); ++slot) {
    if (swarm.peers[slot].session_key() != wanted) continue;
    ++out.peers;
    out.seeding = out.seeding || swarm.traits[slot].seeder;
  }
  return out;
}

int64_t Swarms::Expire(absl::Time now) {
  int64_t dropped = 0;
  for (auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    for (auto it = shard->swarms.begin(); it != shard->swarms.end();) {
      Swarm& swarm = it->second;
      for (uint32_t slot = 0; slot < swarm.peers.size();) {
        if (now - swarm.peers[slot].last_seen > options_.peer_ttl) {
          swarm.Remove(slot);
          ++dropped;
        } else {
          ++slot;
        }
      }
      absl::erase_if(swarm.departed, [&](const auto& kv) {
        return now - kv.second.at > options_.peer_ttl;
      });
      if (swarm.peers.empty() && swarm.departed.empty()) {
        shard->swarms.erase(it++);
      } else {
        ++it;
      }
    }
  }
  return dropped;
}

Swarms::Census Swarms::Count() const {
  Census c;
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    for (const auto& [hash, swarm] : shard->swarms) {
      for (const PeerTraits& t : swarm.traits) {
        if (t.origin) {
          ++c.origins;
        } else {
          ++(t.seeder ? c.seeders : c.leechers);
        }
      }
    }
  }
  return c;
}

int64_t Swarms::swarms() const {
  int64_t n = 0;
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    n += static_cast<int64_t>(shard->swarms.size());
  }
  return n;
}

int64_t Swarms::peers() const {
  int64_t n = 0;
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    for (const auto& [hash, swarm] : shard->swarms) n += static_cast<int64_t>(swarm.peers.size());
  }
  return n;
}

}  // namespace p2pims::tracker
