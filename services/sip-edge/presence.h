// Tells the tracker where registered subscribers are (Tracker.RegisterPresence): the locality of
// each registration, verified or not, until its last contact expires; a removal when none is
// left. A failed report is counted and logged; the next REGISTER refresh reports again.
#pragma once

#include "lib/metrics/counter.h"
#include "lib/metrics/registry.h"
#include "services/sip-edge/backends.h"
#include "services/sip-edge/registrar.h"

namespace p2pims::sip_edge {

// Thread-safe; Report blocks on the tracker (run it on a worker).
class PresenceReporter {
 public:
  PresenceReporter(Backends& backends, metrics::Registry& registry);
  void Report(const PresenceChange& change);
  // A report not even tried (the worker queue was full).
  void Dropped() { dropped_.Increment(); }

 private:
  Backends& backends_;
  metrics::Counter& reported_;
  metrics::Counter& failed_;
  metrics::Counter& dropped_;
};

}  // namespace p2pims::sip_edge
