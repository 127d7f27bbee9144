// The revocations in force, in memory: Authorize consults the bans among them (revocations whose
// issued_before lies in the future refuse new tokens too), and WatchRevocations streams them to
// trackers. Refresh() pulls what the database recorded after the last sequence seen; the change
// listener calls it when a replica announces a revocation.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/rights/store.h"

namespace p2pims::rights {

// Thread-safe. BarredUntil takes no lock.
class RevocationSet {
 public:
  explicit RevocationSet(RightsStore& store) : store_(store) {}

  // Loads revocations recorded since the last one seen, drops expired ones and wakes watchers.
  absl::Status Refresh();
  // The latest issued_before of revocations (by subject and/or content) matching this subject
  // and content that still lies after `now`; 0 when none. Tokens issued until then would be
  // refused, so none is issued: a ban when issued_before was set in the future.
  int64_t BarredUntil(const std::string& subject, const std::string& content_id,
                      int64_t now) const;
  // Revocations in force with sequence > after, in order.
  std::vector<RevocationRecord> Since(int64_t after) const;
  // Waits until a revocation with sequence > after is known, or `timeout` passes.
  void AwaitNewer(int64_t after, absl::Duration timeout) const;
  // The highest sequence seen.
  int64_t last_sequence() const;
  size_t size() const;

 private:
  struct Bans {
    absl::flat_hash_map<std::string, int64_t> by_subject, by_content, by_pair;
  };
  void RebuildBans() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  RightsStore& store_;
  absl::Mutex refresh_mu_;  // one Refresh at a time, so sequences arrive in order
  mutable absl::Mutex mu_;
  std::vector<RevocationRecord> in_force_ ABSL_GUARDED_BY(mu_);
  int64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<std::shared_ptr<const Bans>> bans_{std::make_shared<const Bans>()};
};

}  // namespace p2pims::rights
