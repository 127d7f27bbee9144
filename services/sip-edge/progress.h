// A content session's progress over SIP events (RFC 6665): the subscriber's terminal sends
// SUBSCRIBE sip:<session-id>@<content-domain> with `Event: p2pims-progress` (the session
// descriptor's `progress` URI) and gets NOTIFYs carrying its peers, bytes and whether it has the
// whole content, a new one whenever that changes, and a final one (Subscription-State terminated,
// reason noresource) once the session has ended. Only the session's own subscriber may subscribe.
//
// The state comes from the tracker (SessionProgress), so any sip-edge replica can serve a
// subscription, whichever set the session up. Sofia-SIP keeps the subscription dialog: refreshes,
// expiry and unsubscribing are its; it reports the end through Forget.
//
//   ProgressNotifier progress(backends, identify, reply, {.domains = {...}}, registry);
//   SubscribeReply r = progress.Subscribe(req);   // respond r.response, then send r.first
//   for (OutgoingNotify& n : progress.Poll()) stack.Notify(std::move(n));   // every few seconds
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/registry.h"
#include "services/sip-edge/backends.h"
#include "services/sip-edge/identity.h"
#include "services/sip-edge/responder.h"
#include "services/sip-edge/sip_message.h"

namespace p2pims::sip_edge {

inline constexpr char kProgressEvent[] = "p2pims-progress";
inline constexpr char kProgressType[] = "application/vnd.p2pims.progress+json";

struct ProgressConfig {
  std::vector<std::string> domains;  // accepted Request-URI hosts; empty accepts any
  int max_subscriptions = 10000;     // in all; beyond, 503
  int max_per_session = 4;           // a subscriber's terminals; beyond, 403
};

struct SubscribeReply {
  SipResponse response;
  std::optional<OutgoingNotify> first;  // after a 200: the NOTIFY that must follow at once
};

// Renders one session's progress as the NOTIFY body (docs/sip.md).
std::string RenderProgress(const tv1::SessionProgress& p);

// Thread-safe. Subscribe and Poll block on the tracker (run them on a worker).
class ProgressNotifier {
 public:
  ProgressNotifier(Backends& backends, const Identifier& identify, Responder& reply,
                   ProgressConfig config, metrics::Registry& registry);

  SubscribeReply Subscribe(const SipRequest& req);
  // Every subscribed session's state: a NOTIFY for each subscription whose session changed since
  // its last one, a final one when the session ended (those subscriptions are dropped). A
  // tracker that does not answer yields nothing this round.
  std::vector<OutgoingNotify> Poll();
  // The same for one session (its teardown just finished here).
  std::vector<OutgoingNotify> Poll(const std::string& session_id);
  // Sofia-SIP ended subscription `id` (unsubscribed, expired, a NOTIFY refused).
  void Forget(uint64_t id);
  size_t subscriptions() const;

 private:
  struct Watched {
    std::vector<uint64_t> subscriptions;
    std::string last_body;
  };
  std::vector<OutgoingNotify> Check(std::vector<std::string> session_ids);

  Backends& backends_;
  const Identifier& identify_;
  Responder& reply_;
  const ProgressConfig config_;
  metrics::Gauge& gauge_;
  mutable absl::Mutex mu_;
  std::map<std::string, Watched> sessions_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::string> session_of_ ABSL_GUARDED_BY(mu_);  // subscription -> session
};

}  // namespace p2pims::sip_edge
