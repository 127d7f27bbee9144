#include "services/tracker/key_fetcher.h"

#include <cstring>

#include "lib/grpc/client.h"
#include "lib/log/log.h"

namespace p2pims::tracker {

KeyFetcher::KeyFetcher(std::unique_ptr<rights::v1::Rights::StubInterface> rights,
                       token::Verifier& verifier, absl::Duration refresh)
    : rights_(std::move(rights)), verifier_(verifier), refresh_(refresh) {}

KeyFetcher::~KeyFetcher() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::Status KeyFetcher::FetchOnce() {
  rights::v1::GetSigningKeysResponse resp;
  absl::Status s =
      Call({.deadline = absl::Seconds(2), .idempotent = true},
           [&](grpc::ClientContext& ctx) { return rights_->GetSigningKeys(&ctx, {}, &resp); });
  if (!s.ok()) return s;
  std::map<std::string, token::VerifyKey> keys;
  for (const auto& k : resp.keys()) {
    if (k.public_key().size() != 32) continue;
    token::VerifyKey& key = keys[k.kid()];
    std::memcpy(key.public_key.data(), k.public_key().data(), 32);
    key.not_after = k.not_after();
  }
  if (keys.empty()) return absl::FailedPreconditionError("rights returned no signing keys");
  verifier_.SetKeys(std::move(keys));
  loaded_ = true;
  return absl::OkStatus();
}

absl::Status KeyFetcher::Start() {
  absl::Status first = FetchOnce();
  if (!first.ok()) log::Warn("signing keys not loaded yet", {{"error", first.message()}});
  thread_ = std::thread([this] {
    // Retry quickly until the first load, then refresh at the configured period.
    while (!stop_.WaitForNotificationWithTimeout(loaded_ ? refresh_ : absl::Seconds(1))) {
      if (absl::Status s = FetchOnce(); !s.ok()) {
        log::Warn("signing key refresh failed", {{"error", s.message()}});
      }
    }
  });
  return first;
}

absl::Status KeyFetcher::Ready() const {
  return loaded_ ? absl::OkStatus() : absl::UnavailableError("signing keys not loaded from rights");
}

}  // namespace p2pims::tracker
