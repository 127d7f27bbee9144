#include "services/rights/rights_metrics.h"

namespace p2pims::rights {
namespace {

metrics::Counter& Counter(metrics::Registry& r, const char* name, const char* help,
                          const metrics::Labels& labels = {}) {
  return metrics::BuildCounter().Name(name).Help(help).Register(r).Add(labels);
}

metrics::Gauge& Gauge(metrics::Registry& r, const char* name, const char* help) {
  return metrics::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

RightsMetrics::RightsMetrics(metrics::Registry& r)
    : tokens_issued(Counter(r, "p2pims_rights_tokens_issued_total", "Access tokens signed.")),
      content_hit(Counter(r, "p2pims_rights_cache_lookups_total",
                          "Authorize lookups in the in-memory caches, by cache and result.",
                          {{"cache", "content"}, {"result", "hit"}})),
      content_miss(Counter(r, "p2pims_rights_cache_lookups_total", "",
                           {{"cache", "content"}, {"result", "miss"}})),
      subject_hit(Counter(r, "p2pims_rights_cache_lookups_total", "",
                          {{"cache", "entitlement"}, {"result", "hit"}})),
      subject_miss(Counter(r, "p2pims_rights_cache_lookups_total", "",
                           {{"cache", "entitlement"}, {"result", "miss"}})),
      cache_bypass(Counter(r, "p2pims_rights_cache_bypassed_total",
                           "Authorize calls that read PostgreSQL directly because the change "
                           "listener was down.")),
      device_slot_checks(Counter(r, "p2pims_rights_device_slot_checks_total",
                                 "Device-limit checks (one PostgreSQL transaction each).")),
      authorize_seconds(metrics::BuildHistogram()
                            .Name("p2pims_rights_authorize_seconds")
                            .Help("Time to decide and sign one Authorize, inside rights.")
                            .Register(r)
                            .Add({}, metrics::ExponentialBuckets(0.00001, 2.5, 12))),
      signing_key_age(Gauge(r, "p2pims_rights_signing_key_age_seconds",
                            "Age of the key that signs tokens (from its created= attribute).")),
      verify_keys(Gauge(r, "p2pims_rights_verify_keys", "Keys published for verification.")),
      key_reload_failures(Counter(r, "p2pims_rights_key_reload_failures_total",
                                  "Key file reloads refused; the previous keys stay in use.")),
      listener_live(Gauge(r, "p2pims_rights_change_listener_up",
                          "1 while the cache invalidation listener is connected.")),
      audit_backlog(Gauge(r, "p2pims_rights_audit_backlog",
                          "Decision audit records waiting to be written.")),
      audit_written(Gauge(r, "p2pims_rights_audit_written",
                          "Decision audit records written since start.")),
      revocations_in_force(Gauge(r, "p2pims_rights_revocations_in_force",
                                 "Revocations held in memory and streamed to trackers.")),
      audit_refusals(Counter(r, "p2pims_rights_audit_refusals_total",
                             "Authorize calls refused because the audit backlog was full.")) {
  auto& decisions = metrics::BuildCounter()
                        .Name("p2pims_rights_decisions_total")
                        .Help("Access decisions, by result and deny reason.")
                        .Register(r);
  allowed_ = &decisions.Add({{"result", "allow"}, {"reason", "none"}});
  for (int i = 1; i < v1::DenyReason_ARRAYSIZE; ++i) {
    const auto reason = static_cast<v1::DenyReason>(i);
    denied_[i] = &decisions.Add({{"result", "deny"}, {"reason", v1::DenyReason_Name(reason)}});
  }
  denied_[0] = allowed_;
}

}  // namespace p2pims::rights
