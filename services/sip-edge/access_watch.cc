#include "services/sip-edge/access_watch.h"

#include <algorithm>
#include <map>

#include "lib/log/log.h"

namespace p2pims::sip_edge {
namespace {

constexpr size_t kTrackerBatch = 1000;  // the tracker's limit per SessionProgress call

}  // namespace

std::string CreditReason(const std::string& why) {
  std::string text;
  for (char c : why) {
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) text += c;
  }
  return "SIP;cause=402;text=\"" + (text.empty() ? std::string("out of credit") : text) + "\"";
}

AccessWatch::AccessWatch(SessionManager& sessions, Backends& backends,
                         metrics::Registry& registry)
    : sessions_(sessions),
      backends_(backends),
      ended_(metrics::BuildCounter()
                 .Name("p2pims_sip_sessions_ended_by_credit_total")
                 .Help("Content sessions sip-edge ended with a BYE because online charging ended "
                       "their swarm access (last grant used up, or an UPDATE refused).")
                 .Register(registry)
                 .Add({})) {}

std::vector<std::pair<uint64_t, std::string>> AccessWatch::Poll() {
  std::vector<std::pair<uint64_t, std::string>> end;
  const std::vector<std::pair<uint64_t, std::string>> open = sessions_.OpenSessions();
  for (size_t from = 0; from < open.size(); from += kTrackerBatch) {
    const size_t to = std::min(open.size(), from + kTrackerBatch);
    tv1::SessionProgressRequest ask;
    std::map<std::string, uint64_t> dialog_of;
    for (size_t i = from; i < to; ++i) {
      ask.add_session_ids(open[i].second);
      dialog_of[open[i].second] = open[i].first;
    }
    auto answer = backends_.SessionProgress(ask);
    if (!answer.ok()) return end;  // next round
    for (const tv1::SessionProgress& p : answer->sessions()) {
      if (!p.access_ended() || p.closed()) continue;
      auto it = dialog_of.find(p.session_id());
      if (it == dialog_of.end() || !sessions_.EndForCredit(it->second)) continue;
      log::Info("online charging ended the session; sending BYE",
                {{"session_id", p.session_id()}, {"reason", p.access_end_reason()}});
      ended_.Increment();
      end.emplace_back(it->second, CreditReason(p.access_end_reason()));
    }
  }
  return end;
}

}  // namespace p2pims::sip_edge
