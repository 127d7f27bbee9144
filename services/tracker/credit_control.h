// Ro credit control carried on by the tracker (RFC 8506 UPDATE), for sessions whose INITIAL
// sip-edge sent: as the peers' reported downloads near the granted bytes, or as the grant's
// validity runs out, the tracker reports the usage and asks for more. When charging grants no
// more, the session's tokens stop working at once (announces are refused, so its peers get no
// new peers), and CloseSession hands sip-edge the number and usage for its TERMINATION.
//
//   CreditControl credit(credit_store, charging_stub, stop, registry, {});
//   credit.RunOnce();                            // from housekeeping, after the usage flush
//   auto numbers = credit.Settle("session-1");   // at CloseSession
//
// If charging cannot be reached the UPDATE waits, written ahead, and announces go on (RFC 8506
// Credit-Control-Failure-Handling CONTINUE): the usage is still metered and reported later.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/registry.h"
#include "p2pims/charging/v1/charging.grpc.pb.h"
#include "services/tracker/credit_store.h"

namespace p2pims::tracker {

struct CreditControlOptions {
  int batch = 200;                             // UPDATEs per housekeeping round at most
  absl::Duration deadline = absl::Seconds(5);  // per call
  std::string node_id = "tracker-0";           // CreditControlRequest.node_id
};

// Thread-safe.
class CreditControl {
 public:
  // Ends a session's announces until a time (its token's expiry).
  using StopAccess = std::function<void(const std::string& session_id, absl::Time until)>;

  // Without a stub no UPDATE is sent (Settle still answers).
  CreditControl(CreditStore& store, std::shared_ptr<charging::v1::Charging::StubInterface> charging,
                StopAccess stop, metrics::Registry& registry, CreditControlOptions options);

  // Sends the UPDATEs that are due, and ends the access of sessions whose final units are used.
  void RunOnce();
  // For CloseSession: sends the session's UPDATE still written ahead (Unavailable when charging
  // cannot be reached), then returns the TERMINATION's number and usage.
  absl::StatusOr<CreditSettlement> Settle(const std::string& session_id);

 private:
  // One UPDATE and its outcome applied; an error only when charging could not be asked.
  absl::Status Send(const CreditUpdate& update);
  void Ended(const std::optional<EndedSession>& session, const std::string& why);

  CreditStore& store_;
  const std::shared_ptr<charging::v1::Charging::StubInterface> charging_;
  const StopAccess stop_;
  const CreditControlOptions options_;
  metrics::Counter& granted_;
  metrics::Counter& refused_;
  metrics::Counter& failed_;
  metrics::Counter& ended_;
  metrics::Gauge& waiting_;
  bool warned_ = false;  // one warning per outage (RunOnce runs on one thread)
};

}  // namespace p2pims::tracker
