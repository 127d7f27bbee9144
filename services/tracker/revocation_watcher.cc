#include "services/tracker/revocation_watcher.h"

#include <grpcpp/client_context.h>

#include <algorithm>
#include <chrono>

#include "absl/time/clock.h"
#include "lib/grpc/status.h"
#include "lib/log/log.h"

namespace p2pims::tracker {
namespace {

std::chrono::system_clock::time_point After(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(d);
}

int64_t NowSeconds() { return absl::ToUnixSeconds(absl::Now()); }

}  // namespace

token::Revocation FromProto(const rights::v1::Revocation& r) {
  return {.sequence = r.sequence(),
          .token_id = r.token_id(),
          .subject = r.subject(),
          .content = r.content_id(),
          .issued_before = r.issued_before(),
          .expires_at = r.expires_at()};
}

RevocationWatcher::RevocationWatcher(std::shared_ptr<grpc::Channel> rights,
                                     token::RevocationList& revocations,
                                     metrics::Registry& registry, RevocationWatcherOptions options)
    : channel_(std::move(rights)),
      rights_(rights::v1::Rights::NewStub(channel_)),
      revocations_(revocations),
      options_(options),
      stream_up_(metrics::BuildGauge()
                     .Name("p2pims_tracker_revocation_stream_up")
                     .Help("1 while the revocation stream from rights is open; while 0, only the "
                           "revocations received before are enforced.")
                     .Register(registry)
                     .Add({})),
      held_(metrics::BuildGauge()
                .Name("p2pims_tracker_revocations")
                .Help("Revocations held and enforced (expired ones are forgotten).")
                .Register(registry)
                .Add({})) {}

RevocationWatcher::~RevocationWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (call_ != nullptr) call_->TryCancel();
    wake_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void RevocationWatcher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void RevocationWatcher::SetConnected(bool up) {
  connected_ = up;
  stream_up_.Set(up ? 1 : 0);
}

bool RevocationWatcher::Stopping() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void RevocationWatcher::Lost(const std::string& error) {
  if (outage_logged_) return;
  down_since_ = absl::Now();
  log::Warn(ever_connected_ ? "revocation stream to rights lost; enforcing the revocations received"
                            : "revocation stream to rights not connected yet",
            {{"revocations", static_cast<int64_t>(revocations_.size())},
             {"last_sequence", revocations_.last_sequence()},
             {"error", error}});
  outage_logged_ = true;
  announce_ = true;
}

void RevocationWatcher::Announce(int64_t after_sequence) {
  log::Info(ever_connected_ ? "revocation stream to rights resumed"
                            : "revocation stream to rights connected",
            {{"after_sequence", after_sequence},
             {"revocations", static_cast<int64_t>(revocations_.size())},
             {"outage_seconds",
              outage_logged_ ? absl::ToInt64Seconds(absl::Now() - down_since_) : int64_t{0}}});
  ever_connected_ = true;
  announce_ = false;
  outage_logged_ = false;
}

void RevocationWatcher::Run() {
  absl::Duration backoff = options_.min_backoff;
  while (!Stopping()) {
    // Wait (in slices, to notice a stop) for a connected channel: after rights comes back, the
    // stream opens as soon as the channel reconnects (its backoff is capped, lib/grpc/client.cc).
    if (!channel_->WaitForConnected(After(absl::Milliseconds(200)))) {
      SetConnected(false);
      Lost("rights unreachable");
      continue;
    }
    const absl::Time opened = absl::Now();
    bool received = false;
    const grpc::Status status = WatchOnce(received);
    if (Stopping()) break;
    const bool worked = received || absl::Now() - opened >= absl::Seconds(1);
    if (worked) {
      failing_fast_ = false;
      backoff = options_.min_backoff;
      // A healthy stream reaching its lifetime: reopen at once, resuming where it stood.
      if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) continue;
      outage_logged_ = false;  // this is a new outage
    } else {
      failing_fast_ = true;
    }
    SetConnected(false);
    Lost(FromGrpcStatus(status).ToString());
    absl::MutexLock lock(&mu_);
    if (!stopping_) wake_.WaitWithTimeout(&mu_, backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  SetConnected(false);
}

grpc::Status RevocationWatcher::WatchOnce(bool& received) {
  grpc::ClientContext ctx;
  ctx.set_deadline(After(options_.stream_lifetime));
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return grpc::Status::CANCELLED;
    call_ = &ctx;
  }
  rights::v1::WatchRevocationsRequest req;
  req.set_after_sequence(revocations_.last_sequence());
  std::unique_ptr<grpc::ClientReader<rights::v1::Revocation>> reader =
      rights_->WatchRevocations(&ctx, req);
  // The call went out on a connected channel: whatever rights records from now on reaches us.
  const int64_t after = req.after_sequence();
  SetConnected(true);
  if (announce_ && !failing_fast_) Announce(after);
  if (size_t pruned = revocations_.Prune(NowSeconds()); pruned > 0) {
    log::Info("expired revocations forgotten", {{"count", static_cast<int64_t>(pruned)}});
  }
  held_.Set(static_cast<double>(revocations_.size()));
  rights::v1::Revocation r;
  while (reader->Read(&r)) {
    received = true;
    if (announce_) Announce(after);
    if (absl::Status s = revocations_.Add(FromProto(r)); !s.ok()) {
      log::Error("revocation from rights ignored", {{"error", s.message()}});
      continue;
    }
    revocations_.Prune(NowSeconds());
    held_.Set(static_cast<double>(revocations_.size()));
    log::Info("revocation received", {{"sequence", r.sequence()},
                                      {"token_id", r.token_id()},
                                      {"subject", r.subject()},
                                      {"content_id", r.content_id()},
                                      {"issued_before", r.issued_before()},
                                      {"reason", r.reason()}});
  }
  grpc::Status status = reader->Finish();
  absl::MutexLock lock(&mu_);
  call_ = nullptr;
  return status;
}

}  // namespace p2pims::tracker
