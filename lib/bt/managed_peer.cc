#include "lib/bt/managed_peer.h"

#include "lib/bt/kept_open_disk_io.h"

#include <libtorrent/alert_types.hpp>
#include <libtorrent/address.hpp>
#include <libtorrent/extensions.hpp>
#include <libtorrent/extensions/smart_ban.hpp>
#include <libtorrent/extensions/ut_metadata.hpp>
#include <libtorrent/ip_filter.hpp>

#include <memory>

namespace p2pims::bt {
namespace {

// Adds one of libtorrent's torrent extensions to every torrent of the session.
class EveryTorrent final : public lt::plugin {
 public:
  using Factory = std::shared_ptr<lt::torrent_plugin> (*)(const lt::torrent_handle&,
                                                          lt::client_data_t);
  explicit EveryTorrent(Factory factory) : factory_(factory) {}
  std::shared_ptr<lt::torrent_plugin> new_torrent(const lt::torrent_handle& torrent,
                                                  lt::client_data_t data) override {
    return factory_(torrent, data);
  }

 private:
  Factory factory_;
};

}  // namespace

lt::settings_pack ManagedPeerSettings(const PeerEndpoint& e) {
  lt::settings_pack sp;
  sp.set_bool(lt::settings_pack::enable_dht, false);
  sp.set_bool(lt::settings_pack::enable_lsd, false);
  sp.set_bool(lt::settings_pack::enable_upnp, false);
  sp.set_bool(lt::settings_pack::enable_natpmp, false);
  const std::string host = e.bind.find(':') != std::string::npos ? "[" + e.bind + "]" : e.bind;
  sp.set_str(lt::settings_pack::listen_interfaces, host + ":" + std::to_string(e.port));
  sp.set_str(lt::settings_pack::outgoing_interfaces, e.bind);
  // TCP only: uTP's user-space congestion control costs CPU, and in an operator's network the
  // operator's tracker, not LEDBAT, keeps P2P traffic where it belongs.
  sp.set_bool(lt::settings_pack::enable_outgoing_utp, false);
  sp.set_bool(lt::settings_pack::enable_incoming_utp, false);
  // The only tracker is the operator's, named by its own session descriptor. libtorrent's SSRF
  // guard refuses HTTP trackers on this host whose URL is not a bare /announce (ours carry the
  // token in the path), which would leave a local run's or a test's peers on UDP alone.
  sp.set_bool(lt::settings_pack::ssrf_mitigation, false);
  // Announce as often as the operator's tracker asks: it asks every minute for sessions charged
  // by the byte (libtorrent would otherwise wait at least five).
  sp.set_int(lt::settings_pack::min_announce_interval, 10);
  // Peers of one cell may sit behind one address (and all do in tests on loopback).
  sp.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
  sp.set_int(lt::settings_pack::alert_mask,
             lt::alert_category::error | lt::alert_category::status | lt::alert_category::tracker);
  return sp;
}

lt::session_params ManagedSessionParams(lt::settings_pack settings) {
  lt::session_params params(std::move(settings),
                            {std::make_shared<EveryTorrent>(&lt::create_ut_metadata_plugin),
                             std::make_shared<EveryTorrent>(&lt::create_smart_ban_plugin)});
  params.disk_io_constructor = KeptOpenDiskIo;
  return params;
}

void LimitEveryPeer(lt::session& session) {
  lt::ip_filter every;
  const std::uint32_t global = 1u << static_cast<std::uint32_t>(lt::session::global_peer_class_id);
  every.add_rule(lt::make_address("0.0.0.0"), lt::make_address("255.255.255.255"), global);
  every.add_rule(lt::make_address("::"),
                 lt::make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), global);
  session.set_peer_class_filter(every);
}

TrackerProblem TrackerProblemOf(const lt::alert* a) {
  const auto* t = lt::alert_cast<lt::tracker_error_alert>(a);
  if (t == nullptr) return {};
  const std::string reason = t->failure_reason();
  if (!reason.empty()) return {true, reason};
  return {false, t->error.message()};
}

}  // namespace p2pims::bt
