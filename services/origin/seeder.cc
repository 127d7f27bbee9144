#include "services/origin/seeder.h"

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/announce_entry.hpp>
#include <libtorrent/torrent_flags.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/log/log.h"

namespace p2pims::origin {
namespace {

lt::settings_pack Settings(const SeederOptions& o) {
  lt::settings_pack sp = bt::ManagedPeerSettings(o.endpoint);
  sp.set_int(lt::settings_pack::connections_limit, o.max_connections);
  sp.set_int(lt::settings_pack::unchoke_slots_limit, o.upload_slots);
  if (o.upload_rate_limit_kib > 0) {
    sp.set_int(lt::settings_pack::upload_rate_limit, o.upload_rate_limit_kib * 1024);
  }
  // Every held content seeds at once: no queue of active torrents.
  sp.set_int(lt::settings_pack::active_seeds, -1);
  sp.set_int(lt::settings_pack::active_limit, -1);
  // Upload slots go round the peers, so pieces spread instead of feeding the fastest peer.
  sp.set_int(lt::settings_pack::seed_choking_algorithm, lt::settings_pack::round_robin);
  return sp;
}

// Adds to `counter` what the plugins' `source` counted since `counted`.
void CountUp(const std::atomic<int64_t>& source, int64_t& counted, metrics::Counter& counter) {
  if (const int64_t now = source.load(); now > counted) {
    counter.Increment(static_cast<double>(now - counted));
    counted = now;
  }
}

}  // namespace

Seeder::Seeder(Catalogue& catalogue, SeedAccess& access, metrics::Registry& registry,
               SeederOptions options)
    : catalogue_(catalogue),
      access_(access),
      options_(std::move(options)),
      session_(std::make_unique<lt::session>(bt::ManagedSessionParams(Settings(options_)))),
      checking_(metrics::BuildGauge()
                    .Name("p2pims_origin_torrents")
                    .Help("Content the origin holds, by state: checking its bytes on disk, or "
                          "seeding with a tracker session.")
                    .Register(registry)
                    .Add({{"state", "checking"}})),
      seeding_(metrics::BuildGauge().Name("p2pims_origin_torrents").Register(registry).Add(
          {{"state", "seeding"}})),
      peers_(metrics::BuildGauge()
                 .Name("p2pims_origin_peers")
                 .Help("Peers connected to the origin, over all its torrents.")
                 .Register(registry)
                 .Add({})),
      uploaded_(metrics::BuildCounter()
                    .Name("p2pims_origin_uploaded_bytes_total")
                    .Help("Payload bytes the origin uploaded to peers.")
                    .Register(registry)
                    .Add({})),
      repeats_refused_(metrics::BuildCounter()
                           .Name("p2pims_origin_repeats_refused_total")
                           .Help("Requests for a piece the origin had already sent to another "
                                 "peer, refused while some piece was not yet announced by a "
                                 "peer, or already in the asker's cell (--one-copy-first, "
                                 "--cell-round).")
                           .Register(registry)
                           .Add({})),
      out_of_patience_(metrics::BuildCounter()
                           .Name("p2pims_origin_first_rounds_out_of_patience_total")
                           .Help("First rounds (--one-copy-first) that ended by waiting: every "
                                 "piece was asked for, but a first receiver announced nothing "
                                 "for 10 s. Each one held the swarm up for that long.")
                           .Register(registry)
                           .Add({})),
      reoffered_(metrics::BuildCounter()
                     .Name("p2pims_origin_first_copies_reoffered_total")
                     .Help("First copies (--one-copy-first) offered to other peers again because "
                           "the peer they went to had not announced them 5 s after they began "
                           "to leave.")
                     .Register(registry)
                     .Add({})),
      renewals_(metrics::BuildCounter()
                    .Name("p2pims_origin_token_renewals_total")
                    .Help("Origin tokens and tracker sessions renewed before expiry or after a "
                          "tracker refusal.")
                    .Register(registry)
                    .Add({})),
      failures_(metrics::BuildCounter()
                    .Name("p2pims_origin_failures_total")
                    .Help("Content the origin could not seed, by reason: mismatch (bytes on disk "
                          "differ from the index), refused (rights or the tracker said no), "
                          "unavailable (a service failed), metainfo.")
                    .Register(registry)),
      announces_(metrics::BuildCounter()
                     .Name("p2pims_origin_announces_total")
                     .Help("The origin's announces, by result: ok, refused (the tracker's failure "
                           "reason), failed (no answer).")
                     .Register(registry)) {
  bt::LimitEveryPeer(*session_);
}

Seeder::~Seeder() = default;

int Seeder::port() const { return session_->listen_port(); }

void Seeder::Reconcile(absl::Time now) {
  auto held = catalogue_.Held();
  if (!held.ok()) {
    if (!catalogue_warned_) {
      log::Warn("cannot read the content index; seeding what is already known",
                {{"error", held.status().message()}});
    }
    catalogue_warned_ = true;
    return;
  }
  catalogue_warned_ = false;
  std::map<std::string, const HeldContent*> wanted;
  for (const HeldContent& c : *held) wanted[c.content_id] = &c;
  std::vector<std::string> gone;
  for (const auto& [id, t] : torrents_) {
    if (!wanted.contains(id)) gone.push_back(id);
  }
  for (const std::string& id : gone) Drop(id, "no longer in the index or the content directory");
  for (const auto& [id, content] : wanted) {
    if (torrents_.contains(id)) continue;
    if (auto r = retry_after_.find(id); r != retry_after_.end()) {
      if (now < r->second) continue;
      retry_after_.erase(r);
    }
    Add(*content);
  }
  for (auto& [id, t] : torrents_) {
    if (t.checked && (!t.grant || t.renew_now || now >= RenewalDue(*t.grant))) Grant(id, t, now);
  }
  // Grant may drop torrents it cannot seed.
  for (auto it = torrents_.begin(); it != torrents_.end();) {
    it = it->second.handle.is_valid() ? std::next(it) : torrents_.erase(it);
  }
  RefreshGauges();
  ready_ = true;
}

void Seeder::RefreshGauges() {
  int checking = 0, seeding = 0, peers = 0;
  for (const auto& [id, t] : torrents_) {
    (t.grant ? seeding : checking) += 1;
    peers += t.peers;
  }
  checking_.Set(checking);
  seeding_.Set(seeding);
  peers_.Set(peers);
}

void Seeder::Add(const HeldContent& content) {
  auto metainfo = catalogue_.Metainfo(content.content_id);
  if (!metainfo.ok()) {
    log::Warn("no metainfo for held content",
              {{"content_id", content.content_id}, {"error", metainfo.status().message()}});
    Failed(content.content_id, "metainfo");
    return;
  }
  lt::error_code ec;
  auto ti = std::make_shared<lt::torrent_info>(
      lt::span<const char>(metainfo->data(), static_cast<long>(metainfo->size())), ec,
      lt::from_span);
  if (ec) {
    log::Warn("unusable metainfo", {{"content_id", content.content_id}, {"error", ec.message()}});
    Failed(content.content_id, "metainfo");
    return;
  }
  // No tracker until the bytes are checked and a session is open: nothing is announced before.
  ti->clear_trackers();
  lt::add_torrent_params p;
  p.ti = std::move(ti);
  p.save_path = catalogue_.dir();
  // Checked at once and never queued; upload mode: whatever the check finds, nothing is fetched.
  p.flags &= ~(lt::torrent_flags::paused | lt::torrent_flags::auto_managed);
  p.flags |= lt::torrent_flags::upload_mode;
  if (options_.super_seeding) p.flags |= lt::torrent_flags::super_seeding;
  if (options_.one_copy_first) {
    p.extensions.push_back(bt::OneCopyFirst(one_copy_, options_.cell_round));
  }
  lt::torrent_handle h = session_->add_torrent(std::move(p), ec);
  if (ec) {
    log::Warn("cannot add the torrent", {{"content_id", content.content_id}, {"error", ec.message()}});
    Failed(content.content_id, "metainfo");
    return;
  }
  torrents_[content.content_id] = Torrent{.handle = h};
  log::Info("checking held content", {{"content_id", content.content_id}, {"name", content.name}});
}

void Seeder::OnChecked(const lt::torrent_handle& handle) {
  const std::string id = ContentOf(handle);
  auto it = torrents_.find(id);
  if (it == torrents_.end() || it->second.checked) return;
  const lt::torrent_status s = handle.status();
  if (!s.is_seeding) {
    log::Error("the bytes on disk do not match the index; not seeding",
               {{"content_id", id}, {"have_bytes", s.total_wanted_done},
                {"size_bytes", s.total_wanted}});
    Failed(id, "mismatch");
    Drop(id, "bytes do not match");
    torrents_.erase(id);
    return;
  }
  it->second.checked = true;
  Grant(id, it->second, absl::Now());
  if (!it->second.handle.is_valid()) torrents_.erase(it);
}

void Seeder::Grant(const std::string& id, Torrent& t, absl::Time now) {
  auto grant = access_.Open(id, t.grant ? t.grant->session_id : "");
  if (!grant.ok()) {
    if (absl::IsPermissionDenied(grant.status())) {
      log::Warn("may not seed; leaving the swarm", {{"content_id", id},
                                                    {"reason", grant.status().message()}});
      Failed(id, "refused");
      Drop(id, "refused");
    } else if (!t.grant || now >= t.grant->expires_at) {
      log::Warn("cannot open a session; trying again at the next round",
                {{"content_id", id}, {"error", grant.status().message()}});
      failures_.Add({{"reason", "unavailable"}}).Increment();
    }
    return;  // an unexpired token keeps serving until the next round
  }
  std::vector<lt::announce_entry> trackers;
  for (const std::string& url : grant->announce_urls) {
    lt::announce_entry e(url);
    e.tier = static_cast<std::uint8_t>(trackers.size());
    trackers.push_back(std::move(e));
  }
  t.handle.replace_trackers(trackers);
  t.handle.force_reannounce();
  if (t.grant) {
    renewals_.Increment();
  } else {
    log::Info("seeding", {{"content_id", id}, {"session_id", grant->session_id}});
  }
  t.grant = std::move(*grant);
  t.renew_now = false;
}

void Seeder::Drop(const std::string& id, const char* why) {
  auto it = torrents_.find(id);
  if (it == torrents_.end() || !it->second.handle.is_valid()) return;
  session_->remove_torrent(it->second.handle);
  it->second.handle = lt::torrent_handle();
  if (it->second.grant) {
    if (absl::Status s = access_.Close(it->second.grant->session_id); !s.ok()) {
      log::Warn("session not closed; it ends with its token",
                {{"session_id", it->second.grant->session_id}, {"error", s.message()}});
    }
  }
  log::Info("stopped seeding", {{"content_id", id}, {"why", why}});
}

void Seeder::Failed(const std::string& id, const char* reason) {
  failures_.Add({{"reason", reason}}).Increment();
  retry_after_[id] = absl::Now() + options_.retry_after;
}

std::string Seeder::ContentOf(const lt::torrent_handle& handle) const {
  for (const auto& [id, t] : torrents_) {
    if (t.handle == handle) return id;
  }
  return "";
}

void Seeder::PumpAlerts(absl::Duration wait) {
  // Each request is answered by an alert at once: asked on every call, the loop would never
  // wait, and spun a core (and half of libtorrent's) with nothing to do.
  const absl::Time now = absl::Now();
  if (now >= next_status_) {
    session_->post_torrent_updates();
    next_status_ = now + absl::Seconds(1);
  }
  wait = std::min(wait, next_status_ - now);
  if (session_->wait_for_alert(absl::ToChronoMilliseconds(wait)) == nullptr) return;
  std::vector<lt::alert*> alerts;
  session_->pop_alerts(&alerts);
  for (lt::alert* a : alerts) {
    if (auto* checked = lt::alert_cast<lt::torrent_checked_alert>(a)) {
      OnChecked(checked->handle);
    } else if (auto* reply = lt::alert_cast<lt::tracker_reply_alert>(a)) {
      announces_.Add({{"result", "ok"}}).Increment();
      if (auto it = torrents_.find(ContentOf(reply->handle)); it != torrents_.end()) {
        it->second.announce_failing = false;
      }
    } else if (bt::TrackerProblem p = bt::TrackerProblemOf(a); !p.message.empty()) {
      const std::string id = ContentOf(lt::alert_cast<lt::tracker_error_alert>(a)->handle);
      announces_.Add({{"result", p.refused ? "refused" : "failed"}}).Increment();
      if (!p.refused) {  // libtorrent tries again; said once per outage
        auto it = torrents_.find(id);
        if (it != torrents_.end() && !it->second.announce_failing) {
          it->second.announce_failing = true;
          log::Warn("announce failed; trying again", {{"content_id", id}, {"error", p.message}});
        }
        continue;
      }
      // A revoked or closed session: a new token, or rights' refusal, at the next round.
      if (auto it = torrents_.find(id); it != torrents_.end()) it->second.renew_now = true;
      log::Warn("the tracker refused the origin", {{"content_id", id}, {"reason", p.message}});
    } else if (auto* updates = lt::alert_cast<lt::state_update_alert>(a)) {
      for (const lt::torrent_status& s : updates->status) {
        auto it = torrents_.find(ContentOf(s.handle));
        if (it == torrents_.end()) continue;
        it->second.peers = s.num_peers;
        if (s.total_payload_upload > it->second.uploaded) {
          uploaded_.Increment(static_cast<double>(s.total_payload_upload - it->second.uploaded));
          it->second.uploaded = s.total_payload_upload;
        }
      }
    }
  }
  CountUp(one_copy_->repeats_refused, repeats_counted_, repeats_refused_);
  CountUp(one_copy_->rounds_out_of_patience, out_of_patience_counted_, out_of_patience_);
  CountUp(one_copy_->first_copies_reoffered, reoffered_counted_, reoffered_);
  RefreshGauges();
}

void Seeder::Stop() {
  // The swarms hear "stopped" while the sessions are still open, then the sessions close.
  std::vector<std::string> sessions;
  for (const auto& [id, t] : torrents_) {
    if (t.grant) sessions.push_back(t.grant->session_id);
  }
  session_.reset();
  for (const std::string& id : sessions) {
    if (absl::Status s = access_.Close(id); !s.ok()) {
      log::Warn("session not closed; it ends with its token", {{"session_id", id}, {"error", s.message()}});
    }
  }
  torrents_.clear();
}

}  // namespace p2pims::origin
