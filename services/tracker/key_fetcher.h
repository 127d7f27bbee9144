// Keeps the tracker's token verifier in step with rights' signing keys: fetched at start-up and
// refreshed periodically, so rotations need no restart.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "lib/token/signer.h"
#include "p2pims/rights/v1/rights.grpc.pb.h"

namespace p2pims::tracker {

// Owns one background thread. Start once; the destructor stops it.
class KeyFetcher {
 public:
  KeyFetcher(std::unique_ptr<rights::v1::Rights::StubInterface> rights, token::Verifier& verifier,
             absl::Duration refresh);
  ~KeyFetcher();

  // Fetches once now (the result is returned) and then every `refresh` in the background.
  absl::Status Start();
  // OK once keys have been loaded at least once; for /readyz.
  absl::Status Ready() const;
  // One fetch; replaces the verifier's keys on success.
  absl::Status FetchOnce();

 private:
  std::unique_ptr<rights::v1::Rights::StubInterface> rights_;
  token::Verifier& verifier_;
  absl::Duration refresh_;
  std::atomic<bool> loaded_{false};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace p2pims::tracker
