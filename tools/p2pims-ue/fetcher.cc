#include "tools/p2pims-ue/fetcher.h"

#include <filesystem>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include "absl/strings/str_cat.h"
#include "lib/bt/managed_peer.h"

namespace p2pims::ue {

struct Fetcher::Impl {
  std::unique_ptr<lt::session> session;
  lt::torrent_handle torrent;
  std::string out_dir, name;
  std::string error, warning;
};

namespace {

lt::settings_pack Settings(const FetchOptions& o) {
  lt::settings_pack sp = bt::ManagedPeerSettings({.bind = o.bind});
  if (o.upload_cap_kib > 0) sp.set_int(lt::settings_pack::upload_rate_limit, o.upload_cap_kib * 1024);
  if (o.metered) {
    sp.set_int(lt::settings_pack::connections_limit, 8);
    sp.set_int(lt::settings_pack::unchoke_slots_limit, o.upload_cap_kib > 0 ? 2 : 0);
    sp.set_int(lt::settings_pack::cache_size_volatile, 16);
    sp.set_int(lt::settings_pack::max_out_request_queue, 100);
  }
  return sp;
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
  p.save_path = options.out_dir;
  impl->out_dir = options.out_dir;
  impl->session = std::make_unique<lt::session>(bt::ManagedSessionParams(Settings(options)));
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
  FetchStatus out;
  out.done = s.total_wanted_done;
  out.total = s.total_wanted;
  out.downloaded = s.total_payload_download;
  out.uploaded = s.total_payload_upload;
  out.peers = s.num_peers;
  out.checking = s.state == lt::torrent_status::checking_files ||
                 s.state == lt::torrent_status::checking_resume_data;
  out.finished = s.is_finished && s.has_metadata && !out.checking;
  out.error = m.error;
  out.warning = m.warning;
  if (s.has_metadata) m.name = s.name;
  return out;
}

void Fetcher::Reannounce() { impl_->torrent.force_reannounce(); }

std::string Fetcher::path() const { return (std::filesystem::path(impl_->out_dir) / impl_->name).string(); }

}  // namespace p2pims::ue
