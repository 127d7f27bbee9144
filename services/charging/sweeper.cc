// Sessions that never end on their own: a credit-controlled session whose client stopped
// updating before its reservation's validity ran out, or an accounting session whose STOP never
// came. The sweeper settles each into its CDR with cause time limit and the incomplete flag.
// It scans memory, which holds every open session (the engine loads them when it becomes the
// writer). Evict() drops what no request is likely to need again.
#include "services/charging/engine.h"

namespace p2pims::charging {

void Engine::Sweep(EngineJob& job, WriteSet& ws) {
  const int64_t now = NowMs();
  const int64_t silent_before = now - absl::ToInt64Milliseconds(options_.accounting_timeout);
  std::vector<SessionEntry*> expired, silent;
  for (auto& [id, s] : sessions_) {
    if (static_cast<int>(expired.size() + silent.size()) >= job.sweep_limit) break;
    if (s->has_cc && s->cc.state == "open") {
      if (s->expires_at_ms < now) expired.push_back(s.get());
      continue;
    }
    if (s->acct_closed || (s->has_cc && s->cc.state == "terminated")) continue;
    // Accounting alone, or free content (credit control not applicable).
    const int64_t last = !s->records.empty() ? s->acct.last_ms : s->cc.last_activity_ms;
    if (last < silent_before) silent.push_back(s.get());
  }
  for (SessionEntry* s : expired) {
    std::string note;
    Settle(*s, "timeout", /*incomplete=*/true, &note, ws);
    ++job.swept;
  }
  for (SessionEntry* s : silent) {
    // The STOP that never came, as the last record describes it.
    const AccountingTotals& t = s->acct;
    v1::AccountingRequest stop;
    stop.set_session_id(s->id);
    stop.set_subject(!t.subject.empty() ? t.subject : s->cc.subject);
    stop.set_record_number(t.last_record_number + 1);
    stop.set_record_type(v1::RECORD_TYPE_STOP);
    stop.set_event_time_ms(!s->records.empty() ? t.last_ms : s->cc.last_activity_ms);
    stop.set_locality(!t.locality.empty() ? t.locality : s->cc.locality);
    stop.set_node_id(!t.node_id.empty() ? t.node_id : s->cc.node_id);
    stop.set_called_party(!t.called_party.empty() ? t.called_party : s->cc.called_party);
    stop.set_access_network_info(!t.access_network_info.empty() ? t.access_network_info
                                                                 : s->cc.access_network_info);
    stop.set_cause("timeout");
    if (Record(stop, "stop", /*incomplete=*/true, *s, ws).ok()) ++job.swept;
  }
}

void Engine::Evict() {
  const int64_t now = NowMs();
  const int64_t closed_before = now - absl::ToInt64Milliseconds(options_.closed_retention);
  const int64_t event_before = now - absl::ToInt64Milliseconds(options_.event_retention);
  absl::erase_if(sessions_, [&](const auto& kv) {
    const SessionEntry& s = *kv.second;
    const bool closed = s.acct_closed || (s.has_cc && s.cc.state == "terminated");
    const bool lone_event = !s.has_cc && s.records.size() == 1 && s.acct_closed;
    return closed && !s.dirty && s.closed_ms < (lone_event ? event_before : closed_before);
  });
  const int64_t hour = now / 1000 / 3600 * 3600;
  absl::erase_if(pools_, [&](const auto& kv) {
    return !kv.second->dirty && kv.second->delta_down == 0 && kv.second->period_start_s < hour;
  });
  absl::erase_if(accounts_, [&](const auto& kv) {
    return !kv.second->dirty && kv.second->used_ms < now - 3'600'000;
  });
}

}  // namespace p2pims::charging
