// The tracker's gRPC handlers: Tracker (sessions, presence, swarm statistics) and ContentIndex.
#pragma once

#include <string>

#include "lib/metrics/counter.h"
#include "lib/metrics/registry.h"
#include "lib/token/revocation_list.h"
#include "lib/token/signer.h"
#include "p2pims/tracker/v1/tracker.grpc.pb.h"
#include "services/tracker/announce_plane.h"
#include "services/tracker/replicas.h"
#include "services/tracker/store.h"

namespace p2pims::tracker {

struct TrackerOptions {
  // Which replica serves which swarm, and the host (and port) peers use to reach it, e.g.
  // "127.0.0.1:6969" for one replica.
  ReplicaMap replicas;
};

// Counters of token verifications by result, resolved once (registered as
// p2pims_tracker_token_verifications_total{result}).
struct VerificationCounters {
  explicit VerificationCounters(metrics::Registry& registry);
  // The counter for a failed token::Verifier::Verify, by its message.
  metrics::Counter& ForFailure(const absl::Status& status);

  metrics::Counter &ok, &malformed, &unknown_key, &key_retired, &bad_signature, &expired, &revoked,
      &error;
};

// Thread-safe.
class TrackerService final : public v1::Tracker::Service {
 public:
  // A token is accepted when `verifier` verifies it and `revocations` does not revoke it (content
  // revocations are matched by the content id the index holds for the token's info-hash).
  // `plane` serves the swarms: OpenSession takes first peers from it, CloseSession ends the
  // session's announces there, SwarmStats counts its peers.
  TrackerService(TrackerStore& store, const token::Verifier& verifier,
                 const token::RevocationList& revocations, AnnouncePlane& plane,
                 metrics::Registry& registry, TrackerOptions options)
      : store_(store),
        verifier_(verifier),
        revocations_(revocations),
        plane_(plane),
        verifications_(registry),
        options_(std::move(options)) {}

  grpc::Status OpenSession(grpc::ServerContext*, const v1::OpenSessionRequest* req,
                           v1::OpenSessionResponse* resp) override;
  grpc::Status CloseSession(grpc::ServerContext*, const v1::CloseSessionRequest* req,
                            v1::CloseSessionResponse* resp) override;
  grpc::Status RegisterPresence(grpc::ServerContext*, const v1::RegisterPresenceRequest* req,
                                v1::RegisterPresenceResponse* resp) override;
  grpc::Status SwarmStats(grpc::ServerContext*, const v1::SwarmStatsRequest* req,
                          v1::SwarmStatsResponse* resp) override;
  grpc::Status SessionProgress(grpc::ServerContext*, const v1::SessionProgressRequest* req,
                               v1::SessionProgressResponse* resp) override;

 private:
  TrackerStore& store_;
  const token::Verifier& verifier_;
  const token::RevocationList& revocations_;
  AnnouncePlane& plane_;
  VerificationCounters verifications_;
  TrackerOptions options_;
};

// Thread-safe.
class ContentIndexService final : public v1::ContentIndex::Service {
 public:
  explicit ContentIndexService(TrackerStore& store) : store_(store) {}

  grpc::Status IndexContent(grpc::ServerContext*, const v1::IndexContentRequest* req,
                            v1::IndexedContent* resp) override;
  grpc::Status GetIndexedContent(grpc::ServerContext*, const v1::GetIndexedContentRequest* req,
                                 v1::IndexedContent* resp) override;
  grpc::Status ListIndexedContent(grpc::ServerContext*, const v1::ListIndexedContentRequest* req,
                                  v1::ListIndexedContentResponse* resp) override;

 private:
  TrackerStore& store_;
};

}  // namespace p2pims::tracker
