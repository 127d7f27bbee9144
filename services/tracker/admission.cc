#include "services/tracker/admission.h"

#include <cstring>

#include "absl/hash/hash.h"
#include "services/tracker/shard_index.h"
#include "services/tracker/swarms.h"

namespace p2pims::tracker {
namespace {

metrics::Counter& Lookups(metrics::Registry& registry, const char* result) {
  return metrics::BuildCounter()
      .Name("p2pims_tracker_token_cache_lookups_total")
      .Help(
          "Announce tokens looked up in the verification cache, by result; a miss costs a "
          "signature check and an index lookup.")
      .Register(registry)
      .Add({{"result", result}});
}

uint32_t UnixSeconds(absl::Time t) {
  const int64_t s = absl::ToUnixSeconds(t);
  return s < 0 ? 0 : static_cast<uint32_t>(s);
}

}  // namespace

Admission::Admission(const token::Verifier& verifier, const token::RevocationList& revocations,
                     IndexLookup lookup, metrics::Registry& registry, AdmissionOptions options,
                     KeyLookup keys, ClosedLookup closed)
    : verifier_(verifier),
      revocations_(revocations),
      lookup_(std::move(lookup)),
      keys_(std::move(keys)),
      closed_(std::move(closed)),
      options_(options),
      hits_(Lookups(registry, "hit")),
      misses_(Lookups(registry, "miss")),
      cold_(options.cold_per_source, options.cold_burst) {
  for (int i = 0; i < std::max(1, options_.shards); ++i) {
    shards_.push_back(std::make_unique<Shard>());
    stops_.push_back(std::make_unique<StopShard>());
    key_shards_.push_back(std::make_unique<KeyShard>());
  }
}

Admission::StopShard& Admission::StopShardOf(std::string_view session_id) const {
  return *stops_[ShardIndex(absl::HashOf(session_id), stops_.size())];
}

Admission::Shard& Admission::ShardOf(std::string_view token) const {
  return *shards_[ShardIndex(absl::HashOf(token), shards_.size())];
}

// The cache is keyed by the token's signature (after its last '.'), a third of its length: a
// string with a cached token's signature and another payload finds that token's verified claims,
// which grant nothing its holder did not have already (knowing the signature means holding the
// token).
std::string_view CacheKey(std::string_view token) {
  const size_t dot = token.rfind('.');
  return dot == std::string_view::npos ? token : token.substr(dot + 1);
}

namespace {
absl::Status TooManyNewTokens() {
  return absl::ResourceExhaustedError("too many new tokens from this address; try again later");
}
}  // namespace

absl::StatusOr<AdmittedToken> Admission::Admit(std::string_view token, absl::Time now,
                                               uint64_t source) {
  const std::string_view key = CacheKey(token);
  Shard& shard = ShardOf(key);
  AdmittedToken entry;
  {
    absl::ReaderMutexLock lock(&shard.mu);
    auto it = shard.tokens.find(absl::string_view(key.data(), key.size()));
    if (it != shard.tokens.end()) entry = it->second;
  }
  if (entry) {
    hits_.Increment();
  } else {
    misses_.Increment();
    if (!cold_.Allow(source, now)) return TooManyNewTokens();
    auto verified = Verify(token, now);
    if (!verified.ok()) return verified.status();
    entry = *std::move(verified);
  }
  if (absl::Status s = Check(*entry, now); !s.ok()) return s;
  return entry;
}

absl::StatusOr<AdmittedToken> Admission::AdmitKey(std::string_view key, absl::Time now,
                                                  uint64_t source) {
  const absl::string_view k(key.data(), key.size());
  KeyShard& shard = *key_shards_[ShardIndex(absl::HashOf(k), key_shards_.size())];
  AdmittedToken entry;
  {
    absl::ReaderMutexLock lock(&shard.mu);
    if (auto it = shard.tokens.find(k); it != shard.tokens.end()) entry = it->second;
  }
  // An expired entry is looked up again: the session may have gone on with a renewed token.
  if (entry && entry->expires_at > UnixSeconds(now)) {
    hits_.Increment();
    if (absl::Status s = Check(*entry, now); !s.ok()) return s;
    return entry;
  }
  if (!keys_) return absl::UnauthenticatedError("unknown announce key");
  if (!cold_.Allow(source, now)) return TooManyNewTokens();
  auto token = keys_(std::string(key));
  if (!token.ok()) return absl::UnavailableError("the sessions cannot be read; try again later");
  if (!*token) return absl::UnauthenticatedError("unknown announce key");
  auto admitted = Admit(**token, now);
  if (!admitted.ok()) return admitted;
  absl::MutexLock lock(&shard.mu);
  const size_t cap = std::max<size_t>(1, options_.max_cached / key_shards_.size());
  if (shard.tokens.size() >= cap) shard.tokens.clear();  // keys are cheap to look up again
  shard.tokens.insert_or_assign(std::string(key), *admitted);
  return admitted;
}

absl::StatusOr<AdmittedToken> Admission::Verify(std::string_view token, absl::Time now) {
  auto claims = verifier_.Verify(token, UnixSeconds(now));
  if (!claims.ok()) return claims.status();
  InfoHash hash;
  std::memcpy(hash.data(), claims->info_hash.data(), hash.size());
  auto binding = lookup_(hash);
  if (!binding.ok()) {
    return absl::UnavailableError("the content index cannot be read; try again later");
  }
  if (!*binding) return absl::NotFoundError("content is not in the tracker's index");
  // A session closed before this replica started (or elsewhere) ends its announces too.
  int64_t metered_up = 0, metered_down = 0;
  bool credit_by_bytes = false;
  if (closed_) {
    auto stored = closed_(claims->session_id);
    if (!stored.ok()) return absl::UnavailableError("the sessions cannot be read; try again later");
    if (stored->ended) return absl::PermissionDeniedError("this token's access has ended");
    metered_up = stored->metered_up;
    metered_down = stored->metered_down;
    credit_by_bytes = stored->credit_by_bytes;
  }
  auto entry = std::make_shared<AdmittedEntry>();
  entry->metered_up = metered_up;
  entry->metered_down = metered_down;
  entry->credit_by_bytes = credit_by_bytes;
  entry->operator_seed = claims->role != token::Role::kLeech;
  entry->session_key = SessionKey(claims->session_id);
  entry->expires_at = claims->expires_at;
  entry->claims = *std::move(claims);
  entry->binding = **std::move(binding);
  entry->traits = TraitsOf(entry->claims);
  const std::string_view key = CacheKey(token);
  Shard& shard = ShardOf(key);
  absl::MutexLock lock(&shard.mu);
  const size_t cap = std::max<size_t>(1, options_.max_cached / shards_.size());
  if (shard.tokens.size() >= cap) {
    const uint32_t t = UnixSeconds(now);
    absl::erase_if(shard.tokens, [t](const auto& kv) { return kv.second->expires_at <= t; });
    if (shard.tokens.size() >= cap) shard.tokens.clear();
  }
  auto [it, inserted] = shard.tokens.try_emplace(std::string(key), std::move(entry));
  if (inserted) Register(it->second);
  return it->second;
}

void Admission::Register(const AdmittedToken& entry) {
  StopShard& stops = StopShardOf(entry->claims.session_id);
  absl::MutexLock lock(&stops.mu);
  const absl::string_view id(entry->claims.session_id);
  if (stops.until.contains(id)) entry->stopped.store(true, std::memory_order_relaxed);
  stops.cached[id].push_back(entry);
}

absl::Status Admission::Check(const AdmittedEntry& e, absl::Time now) const {
  if (e.expires_at <= UnixSeconds(now)) {
    return absl::UnauthenticatedError("token expired");
  }
  if (revocations_.Revoked(e.claims, e.binding.content_id)) {
    return absl::PermissionDeniedError("token revoked");
  }
  if (e.stopped.load(std::memory_order_relaxed)) {
    return absl::PermissionDeniedError("this token's access has ended");
  }
  return absl::OkStatus();
}

void Admission::Stop(std::string_view session_id, absl::Time until) {
  StopShard& shard = StopShardOf(session_id);
  absl::MutexLock lock(&shard.mu);
  absl::Time& t = shard.until.try_emplace(std::string(session_id), until).first->second;
  t = std::max(t, until);
  if (auto it = shard.cached.find(absl::string_view(session_id.data(), session_id.size()));
      it != shard.cached.end()) {
    for (const auto& weak : it->second) {
      if (AdmittedToken entry = weak.lock()) entry->stopped.store(true, std::memory_order_relaxed);
    }
  }
}

size_t Admission::Sweep(absl::Time now) {
  const uint32_t t = UnixSeconds(now);
  size_t dropped = 0;
  for (auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    dropped += absl::erase_if(shard->tokens,
                              [t](const auto& kv) { return kv.second->expires_at <= t; });
  }
  for (auto& shard : key_shards_) {
    absl::MutexLock lock(&shard->mu);
    absl::erase_if(shard->tokens, [t](const auto& kv) { return kv.second->expires_at <= t; });
  }
  for (auto& shard : stops_) {
    absl::MutexLock lock(&shard->mu);
    absl::erase_if(shard->until, [now](const auto& kv) { return kv.second <= now; });
    for (auto it = shard->cached.begin(); it != shard->cached.end();) {
      std::erase_if(it->second, [](const auto& weak) { return weak.expired(); });
      if (it->second.empty()) {
        shard->cached.erase(it++);
      } else {
        ++it;
      }
    }
  }
  return dropped;
}

size_t Admission::cached() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    absl::ReaderMutexLock lock(&shard->mu);
    n += shard->tokens.size();
  }
  return n;
}

PeerTraits TraitsOf(const token::Claims& claims) {
  PeerTraits t;
  t.locality = ParseLocality(claims.locality);
  t.origin = claims.role == token::Role::kOrigin;
  t.constrained = (claims.caps & token::kCapMetered) != 0;
  t.upload_allowed = (claims.caps & token::kCapUpload) != 0;
  return t;
}

}  // namespace p2pims::tracker
