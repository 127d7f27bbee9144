// The origin's access to one content's swarm: an origin token from rights (Authorize, role
// origin, as one of the operator's seeds) and a tracker session for it (OpenSession), which
// yields the announce URLs of the replica that owns the swarm. Renewed before the token expires
// (a new token for the same session, which goes on with it); closed when the origin stops
// seeding the content.
//
//   SeedAccess access(rights_stub, tracker_stub, {.subject = "sip:origin@ims.example.net"});
//   absl::StatusOr<SeedGrant> g = access.Open("film-1");   // PermissionDenied: not allowed
//   g = access.Open("film-1", g->session_id);               // renewed
//   access.Close(g->session_id);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "p2pims/rights/v1/rights.grpc.pb.h"
#include "p2pims/tracker/v1/tracker.grpc.pb.h"

namespace p2pims::origin {

struct SeedAccessOptions {
  std::string subject;   // the operator seed identity rights knows (--operator-seeds)
  std::string locality;  // where the origin stands, for the token's locality claim
  std::string node_id;   // names this seeder in its session ids
  absl::Duration deadline = absl::Seconds(5);
};

struct SeedGrant {
  std::string session_id;
  std::vector<std::string> announce_urls;
  absl::Time issued_at;
  absl::Time expires_at;
};

// Renew once three quarters of the token's life have passed: a quarter (an hour with rights'
// default four) is left to get a new one while rights or the tracker are briefly away.
absl::Time RenewalDue(const SeedGrant& grant);

// Thread-compatible (the seeder's one loop thread calls it).
class SeedAccess {
 public:
  SeedAccess(std::shared_ptr<rights::v1::Rights::StubInterface> rights,
             std::shared_ptr<tracker::v1::Tracker::StubInterface> tracker,
             SeedAccessOptions options);

  // A new session, or a new token for `session_id`. PermissionDenied with rights' or the
  // tracker's reason when the content may not be seeded (withdrawn, unknown, this identity not
  // an operator seed); Unavailable and others when a service failed.
  absl::StatusOr<SeedGrant> Open(const std::string& content_id, const std::string& session_id = "");
  // Ends the session at the tracker (usage of a closed session no longer counts).
  absl::Status Close(const std::string& session_id);

 private:
  std::string NewSessionId();

  std::shared_ptr<rights::v1::Rights::StubInterface> rights_;
  std::shared_ptr<tracker::v1::Tracker::StubInterface> tracker_;
  const SeedAccessOptions options_;
};

}  // namespace p2pims::origin
