// For lib/bt's tests: one small torrent written to a temporary directory, and libtorrent
// sessions on loopback that serve it.
#pragma once

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/torrent_info.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/bt/one_copy_first.h"

namespace p2pims::bt::testing {

class LoopbackTorrent {
 public:
  // `pieces` pieces of `piece_size` bytes in DIR/seed/file.bin, DIR named after `name`.
  LoopbackTorrent(const std::string& name, int pieces, int piece_size);
  ~LoopbackTorrent();
  LoopbackTorrent(const LoopbackTorrent&) = delete;
  LoopbackTorrent& operator=(const LoopbackTorrent&) = delete;

  // A session on 127.0.0.1; `upload_limit` bytes/s (0: none); `rc4`: every connection to or
  // from it encrypted with RC4 (MSE), through which the plugins' own messages must pass too.
  static std::unique_ptr<lt::session> Session(int upload_limit, bool rc4 = false);

  // The torrent in session `s`, stored under DIR/`dir`; `seed`: the complete file is there.
  lt::torrent_handle Add(lt::session& s, const std::string& dir, bool seed,
                         const std::vector<TorrentExtension>& extensions = {});

  // The session's listening port, once it listens (0: not within 10 s).
  static int Port(const lt::session& s);
  static lt::tcp::endpoint Loopback(int port);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::shared_ptr<lt::torrent_info> info_;
};

// Polls `done` every 50 ms until it holds or `limit` has passed; whether it held.
bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit);

}  // namespace p2pims::bt::testing
