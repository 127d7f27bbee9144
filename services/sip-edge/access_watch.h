// Ends the content sessions whose swarm access online charging ended. The tracker carries a
// session's credit control on (Ro UPDATEs) and, when the last grant is used up or charging
// refuses, refuses the session's announces; but a terminal only hears that at its next announce,
// up to an announce interval later, while its peers keep sending. So every few seconds the open
// sessions' state is asked of the tracker (SessionProgress, up to 1,000 per call), and each one
// whose access ended gets a BYE with `Reason: SIP;cause=402;text="<why>"`: the terminal hears
// "out of credit" at once, and the session is torn down (cause out_of_credit) into its CDR.
//
//   AccessWatch watch(sessions, backends, registry);
//   for (auto& [dialog, reason] : watch.Poll()) stack.Bye(dialog, reason);   // on a worker
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lib/metrics/counter.h"
#include "lib/metrics/registry.h"
#include "services/sip-edge/backends.h"
#include "services/sip-edge/sessions.h"

namespace p2pims::sip_edge {

// The Reason header of such a BYE (quotes and backslashes of `why` dropped).
std::string CreditReason(const std::string& why);

// Thread-compatible: one Poll at a time (it blocks on the tracker).
class AccessWatch {
 public:
  AccessWatch(SessionManager& sessions, Backends& backends, metrics::Registry& registry);
  // The dialogs to end now, each with its BYE's Reason. A tracker that does not answer yields
  // nothing this round.
  std::vector<std::pair<uint64_t, std::string>> Poll();

 private:
  SessionManager& sessions_;
  Backends& backends_;
  metrics::Counter& ended_;
};

}  // namespace p2pims::sip_edge
