// Admission of announces: is this token good for this swarm right now? A token is verified once
// (Ed25519 signature, key, expiry) and its content looked up in the index once; both are cached
// by token, so later announces of the session cost a hash lookup plus the checks that can change
// while a token lives: expiry, revocation, and a stop ordered by the tracker itself (session
// closed, charging refused).
//
//   Admission admission(verifier, revocations, lookup, registry, {});
//   absl::StatusOr<AdmittedToken> t = admission.Admit(token, now);
//   if (t.ok() && t->binding->Matches(requested_hash)) { /* announce into t->binding->swarm */ }
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/registry.h"
#include "lib/token/claims.h"
#include "lib/token/revocation_list.h"
#include "lib/token/signer.h"
#include "services/tracker/source_limiter.h"
#include "services/tracker/announce_request.h"
#include "services/tracker/peer_policy.h"
#include "services/tracker/usage_meter.h"

namespace p2pims::tracker {

// The indexed content a token opens. A hybrid torrent (BEP 52) is announced under its v1 hash
// and under its truncated v2 hash: both land in the one swarm keyed by the v1 hash.
struct SwarmBinding {
  InfoHash swarm{};                // v1 info-hash: the swarm's key
  std::optional<InfoHash> alt;     // truncated v2 info-hash of a hybrid torrent
  std::string content_id;          // for content revocations

  bool Matches(const InfoHash& asked) const { return asked == swarm || (alt && *alt == asked); }
};

struct AdmittedEntry {
  // What every announce reads comes first and close together: an entry is made by make_shared,
  // so these share cache lines with the reference count that admission touches anyway (the
  // claims' strings would put them four or five cache misses apart).
  // Set when its session is stopped: an announce reads one flag, not a map.
  mutable std::atomic<bool> stopped{false};
  uint32_t expires_at = 0;  // claims.expires_at
  std::array<char, 16> session_key{};  // SessionKey(claims.session_id): the peers' key in Swarms
  PeerTraits traits;        // from the claims, once (locality keys hash the path)
  // The session's metered usage when this token was admitted: where a peer of it that this
  // replica has not seen resumes counting (after a restart, or a swarm moving between replicas).
  int64_t metered_up = 0, metered_down = 0;
  // Online charging grants the session bytes: its announces, which report them, come often.
  bool credit_by_bytes = false;
  bool operator_seed = false;  // role seed or origin: announces every few minutes
  // This token's announces' bytes not yet collected by the usage flush (UsageMeter).
  UsageCell usage;
  SwarmBinding binding;
  token::Claims claims;

  std::string_view session_key_view() const { return {session_key.data(), session_key.size()}; }
};
using AdmittedToken = std::shared_ptr<const AdmittedEntry>;

struct AdmissionOptions {
  // Tokens cached at most (spread over the shards); a full shard first drops expired tokens,
  // then starts over.
  size_t max_cached = 1 << 20;
  int shards = 16;
  // Cold admissions (a token not cached: a signature check; an announce key not cached: a
  // PostgreSQL read) per source address and second, and their burst; 0: no limit.
  double cold_per_source = 50;
  double cold_burst = 200;
};

// Thread-safe; Admit takes one shard's reader lock on a hit.
class Admission {
 public:
  // The index row for an info-hash (v1 or truncated v2); nullopt when it is not indexed.
  using IndexLookup =
      std::function<absl::StatusOr<std::optional<SwarmBinding>>(const InfoHash& info_hash)>;

  // The token of the session an announce key stands for; nullopt when none.
  using KeyLookup =
      std::function<absl::StatusOr<std::optional<std::string>>(const std::string& key)>;
  // What PostgreSQL holds of a session: whether it ended (CloseSession on any replica, before a
  // restart; or credit control) and the usage metered for it so far.
  struct StoredSession {
    bool ended = false;
    int64_t metered_up = 0, metered_down = 0;
    bool credit_by_bytes = false;  // online charging grants it bytes: its peers announce often
  };
  using ClosedLookup = std::function<absl::StatusOr<StoredSession>(const std::string& session_id)>;

  // `keys` and `closed` may be empty: no announce keys, no closed-session check at first use.
  Admission(const token::Verifier& verifier, const token::RevocationList& revocations,
            IndexLookup lookup, metrics::Registry& registry, AdmissionOptions options,
            KeyLookup keys = nullptr, ClosedLookup closed = nullptr);

  // The token's claims and swarm, or an error whose message is fit for a `failure reason`:
  // the verifier's (malformed, unknown or retired key, bad signature, expired), "token
  // revoked", "content is not in the tracker's index", "this token's access has ended" (Stop,
  // or its session found closed at first use), or Unavailable when PostgreSQL could not be read.
  // `source` (SourceOf the announcing address; 0: none) pays for a cold admission: beyond its
  // limit, ResourceExhausted "too many new tokens from this address".
  absl::StatusOr<AdmittedToken> Admit(std::string_view token, absl::Time now, uint64_t source = 0);
  // As Admit, for the token a session's announce key stands for (UDP URLs /s/<key>); the key is
  // resolved once and cached. "unknown announce key" when no session has it.
  absl::StatusOr<AdmittedToken> AdmitKey(std::string_view key, absl::Time now,
                                         uint64_t source = 0);

  // Refuses every later announce with a token of this session until `until` (the token's expiry,
  // after which it is refused anyway): the session was closed or charging refused more credit.
  // Effective at once on every thread.
  void Stop(std::string_view session_id, absl::Time until);

  // Drops cached tokens that have expired, and stops that have run out; returns how many tokens.
  size_t Sweep(absl::Time now);
  size_t cached() const;

 private:
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, AdmittedToken> tokens ABSL_GUARDED_BY(mu);  // by signature
  };
  Shard& ShardOf(std::string_view token) const;
  absl::StatusOr<AdmittedToken> Verify(std::string_view token, absl::Time now);
  // Expiry, revocation and stop: what can change while a token is cached.
  absl::Status Check(const AdmittedEntry& e, absl::Time now) const;

  const token::Verifier& verifier_;
  const token::RevocationList& revocations_;
  const IndexLookup lookup_;
  const KeyLookup keys_;
  const ClosedLookup closed_;
  // Announce key -> the admitted token it stands for, sharded like the tokens.
  struct KeyShard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, AdmittedToken> tokens ABSL_GUARDED_BY(mu);
  };
  std::vector<std::unique_ptr<KeyShard>> key_shards_;
  const AdmissionOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
  // Stopped sessions, sharded by session id like the tokens (no lock shared by all announces).
  struct StopShard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, absl::Time> until ABSL_GUARDED_BY(mu);
    // The cached entries of each session, so that Stop can flag them.
    absl::flat_hash_map<std::string, std::vector<std::weak_ptr<const AdmittedEntry>>> cached
        ABSL_GUARDED_BY(mu);
  };
  // Registers a newly cached entry with its session (flagged at once if the session stopped).
  void Register(const AdmittedToken& entry);
  StopShard& StopShardOf(std::string_view session_id) const;
  std::vector<std::unique_ptr<StopShard>> stops_;
  metrics::Counter& hits_;
  metrics::Counter& misses_;
  SourceLimiter cold_;
};

// A peer's traits from its token: locality, origin role, metered (constrained), upload cap.
PeerTraits TraitsOf(const token::Claims& claims);

}  // namespace p2pims::tracker
