#include "services/sip-edge/credential_store.h"

#include <pqxx/pqxx>

#include "absl/time/clock.h"

namespace p2pims::sip_edge {
namespace {

constexpr size_t kMaxCached = 100'000;  // beyond: the cache starts over (memory stays bounded)

}  // namespace

std::vector<std::pair<std::string, std::string>> CredentialStore::Statements() {
  return {{"sip_find_credential",
           "SELECT username, realm, identity, ha1_md5, ha1_sha256 FROM sip.subscriber_credential"
           " WHERE username = $1 AND enabled"}};
}

absl::StatusOr<std::optional<SubscriberCredentials>> CredentialStore::Find(
    const std::string& username) {
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    if (auto it = cache_.find(username); it != cache_.end() && it->second.until > now) {
      return it->second.creds;
    }
  }
  std::optional<SubscriberCredentials> found;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared("sip_find_credential", username);
    found.reset();
    if (!r.empty()) {
      found = SubscriberCredentials{r[0][0].as<std::string>(), r[0][1].as<std::string>(),
                                    r[0][2].as<std::string>(), r[0][3].as<std::string>(),
                                    r[0][4].as<std::string>()};
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[username] = {found, now + ttl_};
  return found;
}

}  // namespace p2pims::sip_edge
