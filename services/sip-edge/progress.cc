#include "services/sip-edge/progress.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "lib/json/json.h"
#include "lib/metrics/gauge.h"

namespace p2pims::sip_edge {
namespace {

constexpr char kMethod[] = "SUBSCRIBE";
constexpr int kTrackerBatch = 1000;  // the tracker's limit per SessionProgress call

// Session ids are sip-edge's own: 32 lower-case hex digits.
bool ValidSessionId(const std::string& id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

OutgoingNotify Notify(uint64_t subscription, std::string body, bool final) {
  return {.subscription = subscription,
          .event = kProgressEvent,
          .content_type = kProgressType,
          .body = std::move(body),
          .final = final};
}

}  // namespace

std::string RenderProgress(const tv1::SessionProgress& p) {
  JsonObject o;
  o.Add("version", 1)
      .Add("session_id", p.session_id())
      .Add("content_id", p.content_id())
      .Add("state", p.closed() ? "ended" : "active")
      .Add("size", p.size_bytes())
      .Add("bytes_down", p.bytes_down())
      .Add("bytes_up", p.bytes_up());
  // Only the replica that owns the swarm knows its peers; without them these are left out.
  if (p.swarm_known()) {
    JsonObject swarm;
    swarm.Add("seeders", p.swarm_seeders()).Add("leechers", p.swarm_leechers());
    const std::string swarm_json = swarm.Close();
    o.Add("peers", p.peers()).Add("done", p.seeding()).Add("swarm", JsonObject::Raw{swarm_json});
  }
  if (p.closed()) o.Add("cause", p.close_cause());
  return o.Close();
}

ProgressNotifier::ProgressNotifier(Backends& backends, const Identifier& identify,
                                   Responder& reply, ProgressConfig config,
                                   metrics::Registry& registry)
    : backends_(backends),
      identify_(identify),
      reply_(reply),
      config_(std::move(config)),
      gauge_(metrics::BuildGauge()
                 .Name("p2pims_sip_progress_subscriptions")
                 .Help("Subscriptions to content sessions' progress (SUBSCRIBE) held here.")
                 .Register(registry)
                 .Add({})) {}

SubscribeReply ProgressNotifier::Subscribe(const SipRequest& req) {
  if (!config_.domains.empty() && std::find(config_.domains.begin(), config_.domains.end(),
                                            req.request_host) == config_.domains.end()) {
    return {reply_(kMethod, 404, "Not Found", "unknown content domain " + req.request_host)};
  }
  const std::string session_id = absl::AsciiStrToLower(req.request_user);
  if (!ValidSessionId(session_id)) {
    return {reply_(kMethod, 404, "Not Found",
                   "subscribe to a session's progress URI: sip:<session-id>@<domain>")};
  }
  auto who = identify_(req, absl::Now());
  if (auto* refused = std::get_if<SipResponse>(&who)) return {std::move(*refused)};
  tv1::SessionProgressRequest ask;
  ask.add_session_ids(session_id);
  auto answer = backends_.SessionProgress(ask);
  if (!answer.ok() || answer->sessions_size() != 1) return {reply_.Unavailable(kMethod, "tracker")};
  const tv1::SessionProgress& p = answer->sessions(0);
  // Someone else's session is answered like a missing one: ids are not to be probed.
  if (!p.found() || p.subject() != std::get<std::string>(who)) {
    return {reply_(kMethod, 404, "Not Found", "no such session of yours")};
  }
  OutgoingNotify first = Notify(req.id, RenderProgress(p), p.closed());
  if (!first.final) {
    absl::MutexLock lock(&mu_);
    if (session_of_.size() >= static_cast<size_t>(config_.max_subscriptions)) {
      return {reply_.Unavailable(kMethod, "progress subscriptions are full,")};
    }
    Watched& w = sessions_[session_id];
    if (w.subscriptions.size() >= static_cast<size_t>(config_.max_per_session)) {
      if (w.subscriptions.empty()) sessions_.erase(session_id);
      return {reply_(kMethod, 403, "Forbidden", "too many subscriptions to this session")};
    }
    w.subscriptions.push_back(req.id);
    w.last_body = first.body;
    session_of_[req.id] = session_id;
    gauge_.Set(static_cast<double>(session_of_.size()));
  }
  SipResponse ok = reply_(kMethod, 200, "OK");
  return {std::move(ok), std::move(first)};
}

std::vector<OutgoingNotify> ProgressNotifier::Poll() {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    ids.reserve(sessions_.size());
    for (const auto& [id, w] : sessions_) ids.push_back(id);
  }
  std::vector<OutgoingNotify> out;
  for (size_t i = 0; i < ids.size(); i += kTrackerBatch) {
    const size_t end = std::min(ids.size(), i + kTrackerBatch);
    std::vector<OutgoingNotify> part = Check({ids.begin() + i, ids.begin() + end});
    std::move(part.begin(), part.end(), std::back_inserter(out));
  }
  return out;
}

std::vector<OutgoingNotify> ProgressNotifier::Poll(const std::string& session_id) {
  {
    absl::MutexLock lock(&mu_);
    if (!sessions_.contains(session_id)) return {};
  }
  return Check({session_id});
}

std::vector<OutgoingNotify> ProgressNotifier::Check(std::vector<std::string> session_ids) {
  tv1::SessionProgressRequest ask;
  for (std::string& id : session_ids) ask.add_session_ids(std::move(id));
  auto answer = backends_.SessionProgress(ask);
  if (!answer.ok()) return {};
  std::vector<OutgoingNotify> out;
  absl::MutexLock lock(&mu_);
  for (const tv1::SessionProgress& p : answer->sessions()) {
    auto it = sessions_.find(p.session_id());
    if (it == sessions_.end()) continue;  // every subscription ended meanwhile
    // A session the tracker no longer knows has ended as far as a subscriber can tell.
    const bool ended = p.closed() || !p.found();
    std::string body = p.found() ? RenderProgress(p) : it->second.last_body;
    if (!ended && body == it->second.last_body) continue;
    for (uint64_t sub : it->second.subscriptions) {
      out.push_back(Notify(sub, body, ended));
      if (ended) session_of_.erase(sub);
    }
    if (ended) {
      sessions_.erase(it);
    } else {
      it->second.last_body = std::move(body);
    }
  }
  gauge_.Set(static_cast<double>(session_of_.size()));
  return out;
}

void ProgressNotifier::Forget(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = session_of_.find(id);
  if (it == session_of_.end()) return;
  auto s = sessions_.find(it->second);
  if (s != sessions_.end()) {
    std::erase(s->second.subscriptions, id);
    if (s->second.subscriptions.empty()) sessions_.erase(s);
  }
  session_of_.erase(it);
  gauge_.Set(static_cast<double>(session_of_.size()));
}

size_t ProgressNotifier::subscriptions() const {
  absl::MutexLock lock(&mu_);
  return session_of_.size();
}

}  // namespace p2pims::sip_edge
