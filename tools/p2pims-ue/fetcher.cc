#include "tools/p2pims-ue/fetcher.h"

#include <filesystem>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/bt/cell_tag.h"
#include "lib/bt/managed_peer.h"
#include "lib/bt/one_copy_first.h"
#include "lib/bt/prompt_idle.h"

namespace p2pims::ue {

struct Fetcher::Impl {
  std::unique_ptr<lt::session> session;
  lt::torrent_handle torrent;
  std::string out_dir, name;
  std::string error, warning, last_warning;
  int64_t tracker_warnings = 0;
  bool super_seed = false;  // wanted, and not set on the torrent yet
  std::shared_ptr<bt::CellGuardStats> guard = std::make_shared<bt::CellGuardStats>();
  std::shared_ptr<bt::PromptStats> prompt = std::make_shared<bt::PromptStats>();

  FetchStatus With(FetchStatus out) const {
    out.error = error;
    out.tracker_warnings = tracker_warnings;
    out.sent_across = guard->sent_across;
    out.sent_across_held = guard->sent_across_held;
    out.prompts = prompt->prompts;
    return out;
  }
};

namespace {

lt::settings_pack Settings(const FetchOptions& o) {
  lt::settings_pack sp = bt::ManagedPeerSettings({.bind = o.bind});
  // Report every payload byte received (duplicates of the end game too) as downloaded: the
  // network meters and charges what reached the terminal, and the incentive cap compares
  // uploaders' claims with downloaders' reports, which would otherwise fall short of them.
  sp.set_bool(lt::settings_pack::report_true_downloaded, true);
  if (o.upload_cap_kib > 0) sp.set_int(lt::settings_pack::upload_rate_limit, o.upload_cap_kib * 1024);
  // With autotuning a fast peer's backlog grows to tcp_rmem's 6 MiB, and libtorrent copies all
  // of it into the connection's receive buffer: that was most of a 100 MB fetch's peak memory.
  if (o.receive_buffer_kib > 0) {
    sp.set_int(lt::settings_pack::recv_socket_buffer_size, o.receive_buffer_kib * 1024);
  }
  // The origin withdraws the pieces a terminal is to take from peers (lib/bt/one_copy_first.h);
  // libtorrent would then drop it as an upload-only peer it wants nothing from, and not dial it
  // again for a minute, missing what the origin shows again later. Connections between finished
  // peers stay open too, idle, until one of them leaves.
  sp.set_bool(lt::settings_pack::close_redundant_connections, false);
  if (o.metered) {
    sp.set_int(lt::settings_pack::connections_limit, 8);
    sp.set_int(lt::settings_pack::unchoke_slots_limit, o.upload_cap_kib > 0 ? 2 : 0);
    // Without a cap nothing goes up. With no unchoke slots libtorrent unchokes nobody, but it
    // still serves its allowed-fast pieces (BEP 6) to choked peers: a few pieces each.
    if (!o.Uploads()) sp.set_int(lt::settings_pack::allowed_fast_set_size, 0);
    sp.set_int(lt::settings_pack::cache_size_volatile, 16);
    sp.set_int(lt::settings_pack::max_out_request_queue, 100);
  }
  return sp;
}

FetchStatus FromStatus(const lt::torrent_status& s) {
  FetchStatus out;
  out.done = s.total_wanted_done;
  out.total = s.total_wanted;
  out.downloaded = s.total_payload_download;
  out.uploaded = s.total_payload_upload;
  out.redundant = s.total_redundant_bytes;
  out.failed = s.total_failed_bytes;
  out.peers = s.num_peers;
  out.checking = s.state == lt::torrent_status::checking_files ||
                 s.state == lt::torrent_status::checking_resume_data;
  out.finished = s.is_finished && s.has_metadata && !out.checking;
  return out;
}

}  // namespace

Fetcher::Fetcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Fetcher::~Fetcher() = default;

absl::StatusOr<std::unique_ptr<Fetcher>> Fetcher::Start(const Descriptor& d, FetchOptions options) {
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return absl::InvalidArgumentError("cannot create " + options.out_dir + ": " + ec.message());
  lt::add_torrent_params p;
  if (!d.metainfo.empty()) {
    lt::error_code lec;
    auto ti = std::make_shared<lt::torrent_info>(lt::span<const char>(d.metainfo.data(),
                                                                      static_cast<long>(d.metainfo.size())),
                                                 lec, lt::from_span);
    if (lec) return absl::InvalidArgumentError("the descriptor's metainfo is unusable: " + lec.message());
    ti->clear_trackers();  // only the URLs carrying this session's token
    p.ti = std::move(ti);
    impl->name = p.ti->name();
  } else {
    std::copy(d.info_hash.begin(), d.info_hash.end(), p.info_hashes.v1.begin());
    p.name = d.name;
    impl->name = d.name;
  }
  p.trackers = d.announce;
  if (options.share_only) p.flags |= lt::torrent_flags::upload_mode;
  if (options.one_copy_first) p.extensions.push_back(bt::OneCopyFirst(std::make_shared<bt::OneCopyStats>()));
  std::string tag;  // the cell told to peers: empty without --locality
  if (!options.cell.empty()) {
    // Peers compare tags, they need not read the cell: its hash with the content's info-hash.
    const lt::sha1_hash content = p.ti != nullptr ? p.ti->info_hashes().v1 : p.info_hashes.v1;
    lt::hasher hash(content.data(), static_cast<int>(content.size()));
    hash.update(options.cell.data(), static_cast<int>(options.cell.size()));
    const lt::sha1_hash digest = hash.final();
    tag = absl::BytesToHexString(absl::string_view(digest.data(), digest.size()));
    p.extensions.push_back(bt::CellTag(tag, {.guard = options.cell_guard,
                                             .serves = options.Uploads(),
                                             .stats = impl->guard}));
  }
  if (options.prompt_idle_peers && !options.share_only) {
    // Not across cells: the guard decides what crosses (lib/bt/prompt_idle.h).
    p.extensions.push_back(bt::PromptIdlePeers(impl->prompt, options.cell_guard ? tag : ""));
  }
  p.save_path = options.out_dir;
  impl->out_dir = options.out_dir;
  impl->super_seed = options.super_seed;
  impl->session = std::make_unique<lt::session>(bt::ManagedSessionParams(Settings(options)));
  bt::LimitEveryPeer(*impl->session);  // --upload-cap holds for peers on private networks too
  lt::error_code added;
  impl->torrent = impl->session->add_torrent(std::move(p), added);
  if (added) return absl::InternalError("cannot add the torrent: " + added.message());
  return std::unique_ptr<Fetcher>(new Fetcher(std::move(impl)));
}

FetchStatus Fetcher::Poll() {
  Impl& m = *impl_;
  std::vector<lt::alert*> alerts;
  m.session->pop_alerts(&alerts);
  for (lt::alert* a : alerts) {
    if (bt::TrackerProblem t = bt::TrackerProblemOf(a); !t.message.empty()) {
      if (t.refused) {
        m.error = "the tracker refused: " + t.message;
      } else {
        m.warning = "tracker: " + t.message;
        m.last_warning = m.warning;
        ++m.tracker_warnings;
      }
    } else if (auto* f = lt::alert_cast<lt::file_error_alert>(a)) {
      m.error = absl::StrCat("disk: ", f->filename(), ": ", f->error.message());
    } else if (auto* e = lt::alert_cast<lt::torrent_error_alert>(a)) {
      m.error = "download: " + e->error.message();
    } else if (lt::alert_cast<lt::tracker_reply_alert>(a) != nullptr) {
      m.warning.clear();
    }
  }
  const lt::torrent_status s = m.torrent.status();
  FetchStatus out = m.With(FromStatus(s));
  out.warning = m.warning;
  if (s.has_metadata) m.name = s.name;
  if (m.super_seed && s.is_seeding) {
    m.torrent.set_flags(lt::torrent_flags::super_seeding);  // has no effect before it is a seed
    m.super_seed = false;
  }
  return out;
}

void Fetcher::Reannounce() { impl_->torrent.force_reannounce(); }

FetchStatus Fetcher::Stop(absl::Duration limit) {
  Impl& m = *impl_;
  const absl::Time deadline = absl::Now() + limit;
  // Not auto-managed, or the session's queue would resume it. Pausing disconnects every peer and
  // sends event=stopped with the final counters.
  m.torrent.unset_flags(lt::torrent_flags::auto_managed);
  m.torrent.pause();
  bool answered = false;
  std::vector<lt::alert*> alerts;
  while (!answered && absl::Now() < deadline) {
    const auto wait = absl::ToChronoMilliseconds(deadline - absl::Now());
    if (m.session->wait_for_alert(wait) == nullptr) break;
    m.session->pop_alerts(&alerts);
    for (lt::alert* a : alerts) {
      // An error (refused, unreachable) is an answer too: nothing more to wait for.
      if (lt::alert_cast<lt::tracker_reply_alert>(a) != nullptr) answered = true;
      if (auto* t = lt::alert_cast<lt::tracker_error_alert>(a)) {
        answered = true;
        const std::string reason = t->failure_reason();
        m.last_warning = "tracker: " + (reason.empty() ? t->error.message() : reason);
        ++m.tracker_warnings;
      }
    }
  }
  FetchStatus out = m.With(FromStatus(m.torrent.status()));
  out.warning = m.last_warning;  // what went wrong last, if anything: for the summary
  return out;
}

std::string Fetcher::path() const { return (std::filesystem::path(impl_->out_dir) / impl_->name).string(); }

}  // namespace p2pims::ue
