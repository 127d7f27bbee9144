#include "lib/bt/testing/loopback_torrent.h"

#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/torrent_flags.hpp>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "lib/bt/managed_peer.h"

namespace p2pims::bt::testing {

LoopbackTorrent::LoopbackTorrent(const std::string& name, int pieces, int piece_size)
    : dir_(std::filesystem::temp_directory_path() /
           ("p2pims-" + name + "-" + std::to_string(::getpid()))) {
  std::filesystem::create_directories(dir_ / "seed");
  std::string data(static_cast<size_t>(pieces) * piece_size, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7919) >> 7);
  std::ofstream(dir_ / "seed" / "file.bin", std::ios::binary) << data;
  lt::file_storage files;
  files.add_file("file.bin", static_cast<int64_t>(data.size()));
  lt::create_torrent maker(files, piece_size, lt::create_torrent::v1_only);
  for (lt::piece_index_t p(0); p < files.end_piece(); ++p) {
    maker.set_hash(p, lt::hasher(data.data() + static_cast<int>(p) * piece_size, piece_size).final());
  }
  std::vector<char> bencoded;
  lt::bencode(std::back_inserter(bencoded), maker.generate());
  info_ = std::make_shared<lt::torrent_info>(bencoded, lt::from_span);
}

LoopbackTorrent::~LoopbackTorrent() { std::filesystem::remove_all(dir_); }

std::unique_ptr<lt::session> LoopbackTorrent::Session(int upload_limit, bool rc4) {
  lt::settings_pack sp = ManagedPeerSettings({.bind = "127.0.0.1"});
  if (upload_limit > 0) sp.set_int(lt::settings_pack::upload_rate_limit, upload_limit);
  if (rc4) {
    sp.set_int(lt::settings_pack::out_enc_policy, lt::settings_pack::pe_forced);
    sp.set_int(lt::settings_pack::in_enc_policy, lt::settings_pack::pe_forced);
    sp.set_int(lt::settings_pack::allowed_enc_level, lt::settings_pack::pe_rc4);
    sp.set_bool(lt::settings_pack::prefer_rc4, true);
  }
  sp.set_int(lt::settings_pack::alert_mask,
             lt::alert_category::upload | lt::alert_category::connect);
  auto s = std::make_unique<lt::session>(ManagedSessionParams(std::move(sp)));
  LimitEveryPeer(*s);
  return s;
}

lt::torrent_handle LoopbackTorrent::Add(lt::session& s, const std::string& dir, bool seed,
                                        const std::vector<TorrentExtension>& extensions) {
  lt::add_torrent_params p;
  p.ti = info_;
  p.save_path = (dir_ / dir).string();
  p.flags &= ~(lt::torrent_flags::paused | lt::torrent_flags::auto_managed);
  if (seed) p.flags |= lt::torrent_flags::seed_mode;
  p.extensions = extensions;
  return s.add_torrent(std::move(p));
}

int LoopbackTorrent::Port(const lt::session& s) {
  for (int i = 0; i < 1000 && s.listen_port() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return s.listen_port();
}

lt::tcp::endpoint LoopbackTorrent::Loopback(int port) {
  return {lt::make_address_v4("127.0.0.1"), static_cast<uint16_t>(port)};
}

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace p2pims::bt::testing
