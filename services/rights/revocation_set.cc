#include "services/rights/revocation_set.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace p2pims::rights {
namespace {

void Raise(absl::flat_hash_map<std::string, int64_t>& map, const std::string& key, int64_t until) {
  int64_t& v = map[key];
  v = std::max(v, until);
}

int64_t Lookup(const absl::flat_hash_map<std::string, int64_t>& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? 0 : it->second;
}

}  // namespace

absl::Status RevocationSet::Refresh() {
  absl::MutexLock refreshing(&refresh_mu_);
  auto fresh = store_.RevocationsAfter(last_sequence());
  if (!fresh.ok()) return fresh.status();
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  absl::MutexLock lock(&mu_);
  std::erase_if(in_force_, [&](const RevocationRecord& r) { return r.expires_at <= now; });
  for (RevocationRecord& r : *fresh) {
    last_sequence_ = std::max(last_sequence_, r.sequence);
    in_force_.push_back(std::move(r));
  }
  RebuildBans();
  return absl::OkStatus();
}

void RevocationSet::RebuildBans() {
  auto bans = std::make_shared<Bans>();
  for (const RevocationRecord& r : in_force_) {
    // Any token issued before issued_before would be refused, so none is issued: for a plain
    // revocation that is the rest of its second, for one reaching into the future a ban.
    if (!r.token_id.empty()) continue;
    if (!r.subject.empty() && !r.content_id.empty()) {
      Raise(bans->by_pair, r.subject + '\n' + r.content_id, r.issued_before);
    } else if (!r.subject.empty()) {
      Raise(bans->by_subject, r.subject, r.issued_before);
    } else if (!r.content_id.empty()) {
      Raise(bans->by_content, r.content_id, r.issued_before);
    }
  }
  bans_.store(std::move(bans));
}

int64_t RevocationSet::BarredUntil(const std::string& subject, const std::string& content_id,
                                   int64_t now) const {
  const std::shared_ptr<const Bans> bans = bans_.load();
  if (bans->by_subject.empty() && bans->by_content.empty() && bans->by_pair.empty()) return 0;
  const int64_t until = std::max({Lookup(bans->by_subject, subject),
                                  Lookup(bans->by_content, content_id),
                                  Lookup(bans->by_pair, subject + '\n' + content_id)});
  return until > now ? until : 0;
}

std::vector<RevocationRecord> RevocationSet::Since(int64_t after) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<RevocationRecord> out;
  for (const RevocationRecord& r : in_force_) {
    if (r.sequence > after) out.push_back(r);
  }
  return out;
}

void RevocationSet::AwaitNewer(int64_t after, absl::Duration timeout) const {
  absl::ReaderMutexLock lock(&mu_);
  auto newer = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return last_sequence_ > after; };
  mu_.AwaitWithTimeout(absl::Condition(&newer), timeout);
}

int64_t RevocationSet::last_sequence() const {
  absl::ReaderMutexLock lock(&mu_);
  return last_sequence_;
}

size_t RevocationSet::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return in_force_.size();
}

}  // namespace p2pims::rights
