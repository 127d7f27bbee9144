// The origin seeder's torrents: every content the catalogue holds is checked on disk, then
// seeded with an origin token and a tracker session of its own (SeedAccess), renewed before the
// token expires. Content that leaves the index or the directory, or that rights no longer lets
// the origin seed (withdrawn), leaves the swarm and its session is closed. Content whose bytes do
// not match the index is never announced. The origin never downloads.
//
//   Seeder seeder(catalogue, access, registry, {.endpoint = {.bind = "10.0.0.9", .port = 6881}});
//   while (running) {
//     if (absl::Now() >= next) seeder.Reconcile(absl::Now());   // every --rescan-seconds
//     seeder.PumpAlerts(absl::Milliseconds(500));
//   }
//   seeder.Stop();
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <libtorrent/session.hpp>
#include <libtorrent/torrent_handle.hpp>

#include "absl/time/time.h"
#include "lib/bt/managed_peer.h"
#include "lib/bt/one_copy_first.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/registry.h"
#include "services/origin/catalogue.h"
#include "services/origin/seed_access.h"

namespace p2pims::origin {

struct SeederOptions {
  bt::PeerEndpoint endpoint;
  int max_connections = 200;
  int upload_slots = 64;          // peers uploaded to at once, over all torrents
  int upload_rate_limit_kib = 0;  // KiB/s for the whole origin; 0: no limit
  // BEP 16 initial seeding: pieces are revealed one at a time, each to be passed on by peers
  // before the next, so the origin uploads close to one copy; a lone leecher crawls (libtorrent
  // waits for another peer to report each piece), so it is off by default.
  bool super_seeding = false;
  // Every piece once before any piece twice (lib/bt/one_copy_first.h): close to one copy of the
  // origin's upload per swarm whatever its size, and nobody waits on it. Not with super_seeding.
  bool one_copy_first = true;
  // With one_copy_first, after the first copy: each cell gets each piece it lacks once (peers
  // tell their cell; lib/bt/one_copy_first.h), where a plain seed serves every peer that asks.
  // Less origin upload, more traffic between cells.
  bool cell_round = false;
  // How long content that failed (bytes do not match, rights refused) waits before a new try.
  absl::Duration retry_after = absl::Minutes(10);
};

// Used from one thread (the loop); ready() from any.
class Seeder {
 public:
  Seeder(Catalogue& catalogue, SeedAccess& access, metrics::Registry& registry,
         SeederOptions options);
  ~Seeder();

  // Brings the torrents in line with the catalogue and renews tokens that are due.
  void Reconcile(absl::Time now);
  // Waits up to `wait` for libtorrent's alerts and handles them (checks done, tracker refusals,
  // upload counters). Asks for the torrents' counters once a second.
  void PumpAlerts(absl::Duration wait);
  // Stops announcing (the swarms hear "stopped") and closes every tracker session.
  void Stop();
  // True once a Reconcile has read the catalogue.
  bool ready() const { return ready_.load(); }
  // The listening port (the chosen one when the endpoint asked for 0).
  int port() const;

 private:
  struct Torrent {
    lt::torrent_handle handle;
    bool checked = false;
    std::optional<SeedGrant> grant;
    bool renew_now = false;  // the tracker refused the token
    int64_t uploaded = 0;    // payload bytes counted so far
    int peers = 0;
    bool announce_failing = false;  // logged once until an announce works again
  };

  void Add(const HeldContent& content);
  void Drop(const std::string& content_id, const char* why);
  // A checked torrent gets its session; a seeding one a new token for it when due.
  void Grant(const std::string& content_id, Torrent& t, absl::Time now);
  void OnChecked(const lt::torrent_handle& handle);
  std::string ContentOf(const lt::torrent_handle& handle) const;
  void RefreshGauges();
  void Failed(const std::string& content_id, const char* reason);

  Catalogue& catalogue_;
  SeedAccess& access_;
  const SeederOptions options_;
  std::unique_ptr<lt::session> session_;
  std::map<std::string, Torrent> torrents_;        // by content id
  std::map<std::string, absl::Time> retry_after_;  // content id -> no new try before
  std::atomic<bool> ready_{false};
  bool catalogue_warned_ = false;

  metrics::Gauge& checking_;
  metrics::Gauge& seeding_;
  metrics::Gauge& peers_;
  metrics::Counter& uploaded_;
  metrics::Counter& repeats_refused_;
  metrics::Counter& out_of_patience_;
  metrics::Counter& reoffered_;
  const std::shared_ptr<bt::OneCopyStats> one_copy_ = std::make_shared<bt::OneCopyStats>();
  int64_t repeats_counted_ = 0;
  int64_t out_of_patience_counted_ = 0;
  int64_t reoffered_counted_ = 0;
  absl::Time next_status_ = absl::InfinitePast();  // when to ask for the torrents' counters
  metrics::Counter& renewals_;
  metrics::Family<metrics::Counter>& failures_;
  metrics::Family<metrics::Counter>& announces_;
};

}  // namespace p2pims::origin
