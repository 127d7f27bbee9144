#include "lib/bt/prompt_idle.h"

#include <libtorrent/bdecode.hpp>
#include <libtorrent/extensions.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_info.hpp>

#include <string>
#include <string_view>

#include "lib/bt/peer_wire.h"

namespace p2pims::bt {
namespace {

class PromptPeer final : public lt::peer_plugin {
 public:
  PromptPeer(lt::peer_connection_handle pc, std::shared_ptr<PromptStats> stats,
             std::shared_ptr<const std::string> cell)
      : pc_(std::move(pc)), stats_(std::move(stats)), cell_(std::move(cell)) {}

  bool on_extension_handshake(const lt::bdecode_node& h) override {
    const lt::string_view cell = h.dict_find_string_value(wire::kCellKey);
    across_ =
        !cell_->empty() && !cell.empty() && std::string_view(cell.data(), cell.size()) != *cell_;
    return true;
  }
  bool on_have(lt::piece_index_t) override {
    MaybePrompt();
    return false;
  }
  bool on_unchoke() override {
    waiting_ = false;  // our prompt's answer (or a real unchoke): libtorrent picks now
    return false;
  }
  void tick() override {
    waiting_ = false;  // an answer that never came (a peer that ignores the repeat)
    MaybePrompt();
  }

 private:
  void MaybePrompt() {
    // The cheap checks first: a HAVE may come from every peer for every piece.
    if (across_ || waiting_ || !pc_.is_interesting() || pc_.has_peer_choked() ||
        pc_.is_disconnecting())
      return;
    lt::peer_info info;
    pc_.get_peer_info(info);
    if (info.download_queue_length > 0) return;  // asking already: the next block picks again
    wire::Send(pc_, wire::kInterested, {});
    waiting_ = true;
    if (stats_ != nullptr) ++stats_->prompts;
  }

  lt::peer_connection_handle pc_;
  std::shared_ptr<PromptStats> stats_;
  std::shared_ptr<const std::string> cell_;
  bool across_ = false;   // a peer of another cell: left to libtorrent
  bool waiting_ = false;  // prompted, no UNCHOKE back yet
};

class PromptPlugin final : public lt::torrent_plugin {
 public:
  PromptPlugin(std::shared_ptr<PromptStats> stats, std::shared_ptr<const std::string> cell)
      : stats_(std::move(stats)), cell_(std::move(cell)) {}
  std::shared_ptr<lt::peer_plugin> new_connection(const lt::peer_connection_handle& pc) override {
    return std::make_shared<PromptPeer>(pc, stats_, cell_);
  }

 private:
  std::shared_ptr<PromptStats> stats_;
  std::shared_ptr<const std::string> cell_;
};

}  // namespace

TorrentExtension PromptIdlePeers(std::shared_ptr<PromptStats> stats, std::string cell) {
  auto shared = std::make_shared<const std::string>(std::move(cell));
  return [stats, shared](const lt::torrent_handle&,
                         lt::client_data_t) -> std::shared_ptr<lt::torrent_plugin> {
    return std::make_shared<PromptPlugin>(stats, shared);
  };
}

}  // namespace p2pims::bt
