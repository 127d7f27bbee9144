// The managed swarms in memory: who is in which swarm, where, with what role, and how much each
// peer moved since its last announce. Sharded by info-hash, each shard with its own lock, so both
// cores announce at once without a global lock; a shard's lock is held for one announce.
//
//   Swarms swarms({.shards = 64});
//   AnnounceResult r;
//   absl::Status s = swarms.Announce(peer_announce, absl::Now(), rng, &r);
//   // r.peers: whom to tell the client about; r.delta_*: usage to meter since its last announce
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/tracker/announce_request.h"
#include "services/tracker/peer_policy.h"
#include "services/tracker/rng.h"

namespace p2pims::tracker {

// One announce, already parsed and admitted (token verified): who, where, and its counters.
struct PeerAnnounce {
  std::string_view info_hash;  // 20 bytes
  std::string_view peer_id;    // 20 bytes
  std::string_view session_key;  // SessionKey(the token's session id) (only 16 bytes count)
  PeerEndpoint endpoint;
  PeerTraits traits;           // locality, role flags from the token; `seeder` from left == 0
  int64_t uploaded = 0, downloaded = 0, left = 0;
  // Where a peer first seen here without `started` resumes counting: its session's usage
  // metered so far (by this replica before a restart, or by the swarm's previous owner).
  int64_t resume_up = 0, resume_down = 0;
  AnnounceEvent event = AnnounceEvent::kNone;  // kPaused (BEP 21) counts as kNone
  int numwant = 50;
};

// Where an offered peer sits as seen from the announcing one: SharedTier's 3 (same cell) ... 0
// (elsewhere), or kOriginTier for an operator origin seed.
inline constexpr int kOriginTier = 4;
inline constexpr int kTiers = 5;

struct AnnounceResult {
  std::vector<PeerEndpoint> peers;
  // How many of `peers` come from each tier (index: tier, kOriginTier for origin seeds).
  std::array<int, kTiers> offered_by_tier{};
  // The best tier this peer was offered at its previous announce (where the bytes it reports
  // downloading now most likely came from), -1 when it was offered nobody.
  int previous_best_tier = -1;
  int64_t seeders = 0, leechers = 0, completed = 0;
  // Bytes since this peer's previous announce in its session (a `started` one counts from zero;
  // another first announce from the session's metered usage, resume_*). A counter that went
  // down (the client restarted) counts from zero again. A `started` whose
  // totals went on counts the difference: libtorrent announces `started` to a renewed token's
  // URL with the totals it had.
  int64_t delta_uploaded = 0, delta_downloaded = 0;
  // Set by the announce handler, not the swarm: the interval its reply asks for.
  int64_t interval_seconds = 0;
};

struct SwarmStats {
  int64_t seeders = 0, leechers = 0, completed = 0;
};

// A session's peers are keyed by 16 bytes of a hash of its id, fixed-size and the same for
// every token of the session (a renewed token goes on with the same peers and counters).
std::array<char, 16> SessionKey(std::string_view session_id);

// The clients of one session in one swarm.
struct SessionPeers {
  int peers = 0;
  bool seeding = false;  // one of them has the whole content
};

struct ChosenPeer {
  PeerEndpoint endpoint;
  bool seeder = false;
};

struct SwarmsOptions {
  int shards = 64;
  // Peers that have not announced for this long are dropped.
  absl::Duration peer_ttl = absl::Minutes(45);
  // Distinct addresses one session's tokens may announce from (no sharing a token across a
  // crowd).
  int max_addresses_per_token = 3;
  PolicyConfig policy;
};

// Thread-safe.
class Swarms {
 public:
  explicit Swarms(SwarmsOptions options);

  // Records the announce and chooses peers for it. PermissionDenied when the token already
  // announced from max_addresses_per_token other addresses in this swarm (nothing changes).
  // A `stopped` announce removes the peer and returns no peers.
  absl::Status Announce(const PeerAnnounce& a, absl::Time now, Rng& rng,
                        AnnounceResult* out);
  // The peers policy would give someone with `self` traits joining `info_hash` now, without
  // recording anything: OpenSession's first peers, before the terminal's first announce.
  void Peek(std::string_view info_hash, const PeerTraits& self, int numwant, Rng& rng,
            std::vector<ChosenPeer>* out) const;
  // Zeros for an unknown swarm.
  SwarmStats Stats(std::string_view info_hash) const;
  // Walks the swarm's peers (under its shard's lock): for progress reports, not announces.
  SessionPeers PeersOfSession(std::string_view info_hash, std::string_view session_id) const;
  // Peers in memory by role: seeders, leechers (origin seeds counted apart, as origins).
  struct Census {
    int64_t seeders = 0, leechers = 0, origins = 0;
  };
  Census Count() const;
  // Drops peers silent for longer than peer_ttl, and empty swarms; returns how many peers.
  int64_t Expire(absl::Time now);
  int64_t swarms() const;
  int64_t peers() const;

 private:
  // Peer id and session key: one client in one subscriber's session (fixed size: no allocation).
  using PeerKey = std::array<char, 36>;
  struct Peer {
    PeerKey key;
    int8_t best_tier = -1;  // of its last reply
    int64_t uploaded = 0, downloaded = 0;
    absl::Time last_seen;
    std::string_view session_key() const { return {key.data() + 20, 16}; }
  };
  // Peers, their traits and their endpoints side by side (slot i in each), so the policy reads
  // one contiguous span and a reply gathers its endpoints from a few cache lines, not one per
  // peer.
  struct Swarm {
    std::vector<Peer> peers;
    std::vector<PeerTraits> traits;
    std::vector<PeerEndpoint> endpoints;
    absl::flat_hash_map<PeerKey, uint32_t> index;  // key -> slot
    // Peers that left with `stopped`, with the totals they left with, until they would have
    // expired: an announce of theirs after it (libtorrent may send one) counts from there.
    struct Departed {
      int64_t uploaded = 0, downloaded = 0;
      absl::Time at;
    };
    absl::flat_hash_map<PeerKey, Departed> departed;
    int64_t completed = 0;
    int64_t seeders = 0;  // peers whose traits say seeder, kept so counts cost nothing
    void Remove(uint32_t slot);
  };
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, Swarm> swarms ABSL_GUARDED_BY(mu);
    std::unique_ptr<PeerPolicy> policy ABSL_GUARDED_BY(mu);  // its scratch buffers
    std::vector<uint32_t> chosen ABSL_GUARDED_BY(mu);        // scratch of each choice
  };
  Shard& ShardOf(std::string_view info_hash) const;

  const SwarmsOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace p2pims::tracker
