#include "lib/token/revocation_list.h"

#include <algorithm>
#include <iterator>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace p2pims::token {
namespace {

// Unique across every list of the process, so that a thread's cached (list, generation) never
// matches a newer list that reuses an old one's address.
uint64_t NextGeneration() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

using TokenId = std::array<uint8_t, 16>;

// 32 lower-case hex digits -> 16 bytes; nullopt otherwise (rights sends only this form).
std::optional<TokenId> ParseTokenId(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  TokenId id;
  for (size_t i = 0; i < id.size(); ++i) {
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return id;
}

absl::Status Check(const Revocation& r) {
  if (r.sequence < 1) {
    return absl::InvalidArgumentError(absl::StrCat("revocation sequence ", r.sequence, " < 1"));
  }
  if (r.token_id.empty() && r.subject.empty() && r.content.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("revocation ", r.sequence, " names no token id, subject or content"));
  }
  if (!r.token_id.empty() && !ParseTokenId(r.token_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("revocation ", r.sequence, ": token id is not 32 lower-case hex digits"));
  }
  return absl::OkStatus();
}

// The fields a bucket's key does not already settle, and the time rule.
bool Matches(const Revocation& r, const Claims& claims, std::string_view content_key) {
  return (r.subject.empty() || r.subject == claims.subject) &&
         (r.content.empty() || r.content == content_key) && claims.issued_at < r.issued_before;
}

}  // namespace

// Immutable once published. Each revocation sits in exactly one index, by its most selective
// field: token id, else subject, else content. Buckets point into `all`.
struct RevocationList::Snapshot {
  std::vector<Revocation> all;  // sorted by sequence, unique
  int64_t last_sequence = 0;
  absl::flat_hash_map<TokenId, std::vector<const Revocation*>> by_token;
  absl::flat_hash_map<std::string, std::vector<const Revocation*>> by_subject;
  absl::flat_hash_map<std::string, std::vector<const Revocation*>> by_content;

  Snapshot(std::vector<Revocation> revocations, int64_t last)
      : all(std::move(revocations)), last_sequence(last) {
    for (const Revocation& r : all) {
      if (!r.token_id.empty()) {
        by_token[*ParseTokenId(r.token_id)].push_back(&r);
      } else if (!r.subject.empty()) {
        by_subject[r.subject].push_back(&r);
      } else {
        by_content[r.content].push_back(&r);
      }
    }
  }
  Snapshot(const Snapshot&) = delete;  // buckets point into `all`
  Snapshot& operator=(const Snapshot&) = delete;
};

RevocationList::RevocationList()
    : snapshot_(std::make_shared<const Snapshot>(std::vector<Revocation>{}, 0)),
      generation_(NextGeneration()) {}

RevocationList::~RevocationList() = default;

absl::Status RevocationList::Add(const Revocation& revocation) {
  return Add(std::vector<Revocation>{revocation});
}

absl::Status RevocationList::Add(const std::vector<Revocation>& batch) {
  for (const Revocation& r : batch) {
    if (absl::Status s = Check(r); !s.ok()) return s;
  }
  absl::MutexLock lock(&write_mu_);
  const std::shared_ptr<const Snapshot> current = snapshot_.load();
  std::vector<Revocation> all = current->all;
  int64_t last = current->last_sequence;
  for (const Revocation& r : batch) {
    all.push_back(r);
    last = std::max(last, r.sequence);
  }
  // Stable, so that of two copies of one sequence the one held already wins.
  std::stable_sort(all.begin(), all.end(), [](const Revocation& a, const Revocation& b) {
    return a.sequence < b.sequence;
  });
  all.erase(std::unique(
                all.begin(), all.end(),
                [](const Revocation& a, const Revocation& b) { return a.sequence == b.sequence; }),
            all.end());
  Publish(std::move(all), last);
  return absl::OkStatus();
}

size_t RevocationList::Prune(int64_t now) {
  auto expired = [now](const Revocation& r) { return r.expires_at != 0 && r.expires_at <= now; };
  absl::MutexLock lock(&write_mu_);
  const std::shared_ptr<const Snapshot> current = snapshot_.load();
  const size_t pruned = std::count_if(current->all.begin(), current->all.end(), expired);
  if (pruned == 0) return 0;
  std::vector<Revocation> kept;
  kept.reserve(current->all.size() - pruned);
  std::copy_if(current->all.begin(), current->all.end(), std::back_inserter(kept),
               [&](const Revocation& r) { return !expired(r); });
  Publish(std::move(kept), current->last_sequence);
  return pruned;
}

void RevocationList::Publish(std::vector<Revocation> all, int64_t last_sequence) {
  snapshot_.store(std::make_shared<const Snapshot>(std::move(all), last_sequence));
  generation_.store(NextGeneration(), std::memory_order_release);
}

bool RevocationList::Revoked(const Claims& claims, std::string_view content_key) const {
  // Each thread keeps the snapshot it last read and reloads only when a new one was published:
  // loading the shared pointer touches one reference count from every thread (and libstdc++
  // guards it with a lock bit), which on the announce path is a global contention point.
  struct Cached {
    const RevocationList* list = nullptr;
    uint64_t generation = 0;
    std::shared_ptr<const Snapshot> snapshot;
  };
  thread_local Cached cached;
  const uint64_t generation = generation_.load(std::memory_order_acquire);
  if (cached.list != this || cached.generation != generation) {
    cached = {this, generation, snapshot_.load()};
  }
  const Snapshot* s = cached.snapshot.get();
  if (s->all.empty()) return false;
  auto any = [&](const auto& index, const auto& key) {
    const auto it = index.find(key);
    if (it == index.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [&](const Revocation* r) { return Matches(*r, claims, content_key); });
  };
  // Debian's Abseil has its own string_view, which the maps' heterogeneous lookup takes.
  return any(s->by_token, claims.token_id) ||
         any(s->by_subject, absl::string_view(claims.subject)) ||
         (!content_key.empty() &&
          any(s->by_content, absl::string_view(content_key.data(), content_key.size())));
}

int64_t RevocationList::last_sequence() const { return snapshot_.load()->last_sequence; }

size_t RevocationList::size() const { return snapshot_.load()->all.size(); }

}  // namespace p2pims::token
