#include "services/sip-edge/presence.h"

#include "lib/log/log.h"

namespace p2pims::sip_edge {
namespace {

metrics::Counter& Reports(metrics::Registry& registry, const char* result) {
  return metrics::BuildCounter()
      .Name("p2pims_sip_presence_reports_total")
      .Help("Registrations' localities reported to the tracker (RegisterPresence), by result.")
      .Register(registry)
      .Add({{"result", result}});
}

}  // namespace

PresenceReporter::PresenceReporter(Backends& backends, metrics::Registry& registry)
    : backends_(backends),
      reported_(Reports(registry, "ok")),
      failed_(Reports(registry, "failed")),
      dropped_(Reports(registry, "dropped")) {}

void PresenceReporter::Report(const PresenceChange& change) {
  tv1::RegisterPresenceRequest req;
  req.set_subject(change.subject);
  req.set_locality(change.locality);
  req.set_locality_verified(change.verified);
  req.set_expires_seconds(change.expires_seconds);
  if (auto r = backends_.RegisterPresence(req); !r.ok()) {
    failed_.Increment();
    log::Warn("presence not reported to the tracker",
              {{"subject", change.subject}, {"error", r.status().message()}});
    return;
  }
  reported_.Increment();
}

}  // namespace p2pims::sip_edge
