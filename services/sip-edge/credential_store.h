// Subscriber digest credentials in PostgreSQL (schema `sip`), cached for a short while so that a
// direct client's REGISTER refreshes and INVITEs cost no database round trip. A disabled or
// changed credential takes effect within the cache's lifetime.
//
//   CredentialStore store(pool, absl::Seconds(30));
//   auto creds = store.Find("alice-impi");   // nullopt: unknown or disabled
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/pg/migrate.h"
#include "lib/pg/pool.h"
#include "services/sip-edge/authenticator.h"

namespace p2pims {
// The schema's migrations, embedded from services/sip-edge/migrations/ at build time.
const std::vector<pg::Migration>& SipEdgeMigrations();
}  // namespace p2pims

namespace p2pims::sip_edge {

// Thread-safe.
class CredentialStore {
 public:
  CredentialStore(pg::Pool& pool, absl::Duration ttl) : pool_(pool), ttl_(ttl) {}

  static std::vector<std::pair<std::string, std::string>> Statements();

  absl::StatusOr<std::optional<SubscriberCredentials>> Find(const std::string& username);

 private:
  struct Cached {
    std::optional<SubscriberCredentials> creds;  // unknown usernames are cached too
    absl::Time until;
  };
  pg::Pool& pool_;
  const absl::Duration ttl_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace p2pims::sip_edge
