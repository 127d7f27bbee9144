// A managed peer's extension handshake (BEP 10), read off the wire by a hand-written peer on
// loopback: it offers metadata exchange (ut_metadata) and no peer exchange (ut_pex), so peers
// learn of each other only from the operator's tracker. A session with libtorrent's defaults,
// asked the same way, offers ut_pex: the check can tell the two apart.
#include "lib/bt/managed_peer.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/torrent_flags.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace p2pims::bt {
namespace {

constexpr int kPiece = 16 * 1024;

class ManagedPeerTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("p2pims-managed-peer-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const std::string data(kPiece, 'x');
    std::ofstream(dir_ / "file.bin", std::ios::binary) << data;
    lt::file_storage files;
    files.add_file("file.bin", kPiece);
    lt::create_torrent maker(files, kPiece, lt::create_torrent::v1_only);
    maker.set_hash(lt::piece_index_t(0), lt::hasher(data.data(), kPiece).final());
    std::vector<char> bencoded;
    lt::bencode(std::back_inserter(bencoded), maker.generate());
    info_ = std::make_shared<lt::torrent_info>(bencoded, lt::from_span);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Seeds the torrent in `session` and returns the extension names its handshake offers.
  std::optional<std::set<std::string>> OfferedExtensions(lt::session& session) {
    lt::add_torrent_params p;
    p.ti = info_;
    p.save_path = dir_.string();
    p.flags &= ~(lt::torrent_flags::paused | lt::torrent_flags::auto_managed);
    p.flags |= lt::torrent_flags::seed_mode;
    const lt::torrent_handle torrent = session.add_torrent(std::move(p));
    // Until the torrent seeds, libtorrent turns away connections for it (as for any unknown
    // info-hash): wait for it, alert by alert.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (torrent.status().state != lt::torrent_status::seeding &&
           std::chrono::steady_clock::now() < deadline) {
      session.wait_for_alert(std::chrono::milliseconds(100));
      std::vector<lt::alert*> drained;
      session.pop_alerts(&drained);
    }
    for (int i = 0; i < 1000 && session.listen_port() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return ReadExtensionHandshake(session.listen_port());
  }

  // Connects as a peer that supports BEP 10, and reads messages until the extension handshake.
  std::optional<std::set<std::string>> ReadExtensionHandshake(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return std::nullopt;
    timeval timeout{.tv_sec = 10, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::optional<std::set<std::string>> out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) out = Converse(fd);
    ::close(fd);
    return out;
  }

  std::optional<std::set<std::string>> Converse(int fd) {
    std::string hello = std::string(1, '\x13') + "BitTorrent protocol";
    std::string reserved(8, '\0');
    reserved[5] = 0x10;  // BEP 10
    const lt::sha1_hash ih = info_->info_hashes().v1;
    hello += reserved + std::string(ih.data(), ih.size()) + std::string("-XX0000-") +
             std::string(12, 'p');
    if (::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(hello.size())) {
      return std::nullopt;
    }
    std::string answer;
    if (!ReadExactly(fd, 68, &answer) || (static_cast<unsigned char>(answer[25]) & 0x10) == 0) {
      return std::nullopt;
    }
    for (int messages = 0; messages < 16; ++messages) {
      std::string length;
      if (!ReadExactly(fd, 4, &length)) return std::nullopt;
      uint32_t n = 0;
      std::memcpy(&n, length.data(), 4);
      n = ntohl(n);
      if (n > 1 << 20) return std::nullopt;
      std::string body;
      if (!ReadExactly(fd, n, &body)) return std::nullopt;
      if (n < 2 || body[0] != 20 || body[1] != 0) continue;  // not the extension handshake
      lt::error_code ec;
      const lt::bdecode_node d = lt::bdecode(lt::span<const char>(body.data() + 2, n - 2), ec);
      if (ec || d.type() != lt::bdecode_node::dict_t) return std::nullopt;
      const lt::bdecode_node m = d.dict_find_dict("m");
      if (!m) return std::nullopt;
      std::set<std::string> names;
      for (int i = 0; i < m.dict_size(); ++i) names.insert(std::string(m.dict_at(i).first));
      return names;
    }
    return std::nullopt;
  }

  static bool ReadExactly(int fd, size_t n, std::string* out) {
    out->assign(n, '\0');
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::recv(fd, out->data() + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }

  std::filesystem::path dir_;
  std::shared_ptr<lt::torrent_info> info_;
};

TEST_F(ManagedPeerTest, OffersMetadataExchangeAndNoPeerExchange) {
  lt::session session(ManagedSessionParams(ManagedPeerSettings({.bind = "127.0.0.1"})));
  const auto offered = OfferedExtensions(session);
  ASSERT_TRUE(offered.has_value()) << "no extension handshake from the managed peer";
  EXPECT_TRUE(offered->count("ut_metadata")) << "metadata exchange (BEP 9) is offered";
  EXPECT_FALSE(offered->count("ut_pex")) << "peer exchange is not offered";
}

TEST_F(ManagedPeerTest, LibtorrentsDefaultsWouldOfferPeerExchange) {
  lt::session session(lt::session_params(ManagedPeerSettings({.bind = "127.0.0.1"})));
  const auto offered = OfferedExtensions(session);
  ASSERT_TRUE(offered.has_value()) << "no extension handshake from the default session";
  EXPECT_TRUE(offered->count("ut_pex"));
}

}  // namespace
}  // namespace p2pims::bt
