// Keeps the tracker's revocation list in step with rights: one long-lived
// Rights.WatchRevocations stream delivers every revocation in force and then each new one within
// about a second of being recorded, so a revoked token is refused at the next OpenSession.
//
//   token::RevocationList revocations;
//   RevocationWatcher watcher(channel, revocations, registry, {});
//   watcher.Start();
//   ... revocations.Revoked(claims, content_id) ...
//
// Content revocations are kept by rights' content id: the tracker checks a token with the content
// id its own index holds for the token's info-hash (OpenSession looks that row up anyway). So a
// revocation needs no database lookup to be applied, and one for content this replica has not
// indexed yet applies as soon as the content is indexed.
//
// After the stream breaks (rights restarted, network), it is opened again with after_sequence =
// the last sequence received, so nothing is missed and nothing repeats; until then the tracker
// enforces what it had received (the watcher does not gate /readyz).
#pragma once

#include <grpcpp/channel.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/registry.h"
#include "lib/token/revocation_list.h"
#include "p2pims/rights/v1/rights.grpc.pb.h"

namespace p2pims::tracker {

struct RevocationWatcherOptions {
  // A stream is reopened (resuming where it stood) after this long even when healthy, so that a
  // connection that died silently is noticed within this bound.
  absl::Duration stream_lifetime = absl::Seconds(60);
  // Pause after a failed attempt, doubled on each further failure up to max_backoff.
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
};

// rights' Revocation -> the list's plain form (content key = content id).
token::Revocation FromProto(const rights::v1::Revocation& r);

// Owns one background thread. Start once; the destructor stops it.
class RevocationWatcher {
 public:
  // Registers p2pims_tracker_revocations and p2pims_tracker_revocation_stream_up in `registry`.
  RevocationWatcher(std::shared_ptr<grpc::Channel> rights, token::RevocationList& revocations,
                    metrics::Registry& registry, RevocationWatcherOptions options = {});
  ~RevocationWatcher();
  RevocationWatcher(const RevocationWatcher&) = delete;
  RevocationWatcher& operator=(const RevocationWatcher&) = delete;

  // Starts the background thread; returns at once (the stream connects in the background).
  void Start();
  // True while a stream to rights is open.
  bool connected() const { return connected_.load(); }

 private:
  void Run();
  // Holds one stream until it ends; returns its final status. Sets `received` when a revocation
  // arrived (the stream worked, whatever its end).
  grpc::Status WatchOnce(bool& received);
  void SetConnected(bool up);
  bool Stopping();
  // Log lines, once per outage: Lost when a stream ends or cannot open, Announce when one works.
  void Lost(const std::string& error);
  void Announce(int64_t after_sequence);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rights::v1::Rights::Stub> rights_;
  token::RevocationList& revocations_;
  RevocationWatcherOptions options_;
  metrics::Gauge& stream_up_;
  metrics::Gauge& held_;
  std::atomic<bool> connected_{false};

  // Only the watcher thread touches these.
  bool ever_connected_ = false;
  bool announce_ = true;        // log the next stream that opens
  bool outage_logged_ = false;  // the current outage has been logged
  bool failing_fast_ = false;   // the last stream failed at once: wait for a sign it works
  absl::Time down_since_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* call_ ABSL_GUARDED_BY(mu_) = nullptr;  // the open stream, to cancel it
  absl::CondVar wake_;                                        // signalled when stopping
  std::thread thread_;
};
// Thread-safe: the list it feeds may be read from any thread while the watcher runs.

}  // namespace p2pims::tracker
