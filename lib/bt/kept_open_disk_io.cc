#include "lib/bt/kept_open_disk_io.h"

#include <algorithm>
#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdlib>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/disk_buffer_holder.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/session_handle.hpp>
#include <libtorrent/storage_defs.hpp>
#include <string>
#include <utility>
#include <vector>

#include "lib/bt/torrent_files.h"

namespace p2pims::bt {
namespace {

constexpr int kBlock = lt::default_block_size;

class KeptOpenDisk final : public lt::disk_interface, public lt::buffer_allocator_interface {
 public:
  KeptOpenDisk(lt::io_context& ioc, const lt::settings_interface& settings)
      : ioc_(ioc), settings_(settings) {
    budget_.torrents = &torrents_;
    settings_updated();
  }

  lt::storage_holder new_torrent(const lt::storage_params& p,
                                 const std::shared_ptr<void>&) override {
    auto files = std::make_unique<TorrentFiles>(p, budget_);
    if (!free_.empty()) {
      const lt::storage_index_t idx = free_.back();
      free_.pop_back();
      torrents_[Slot(idx)] = std::move(files);
      return lt::storage_holder(idx, *this);
    }
    torrents_.push_back(std::move(files));
    return lt::storage_holder(lt::storage_index_t(static_cast<std::uint32_t>(torrents_.size() - 1)),
                              *this);
  }

  void remove_torrent(lt::storage_index_t idx) override {
    torrents_[Slot(idx)].reset();
    free_.push_back(idx);
  }

  void async_read(lt::storage_index_t storage, const lt::peer_request& r,
                  std::function<void(lt::disk_buffer_holder, const lt::storage_error&)> handler,
                  lt::disk_job_flags_t) override {
    lt::storage_error error;
    char* block = static_cast<char*>(std::malloc(kBlock));
    if (block == nullptr) {
      error = lt::storage_error(lt::errors::no_memory, lt::operation_t::alloc_cache_piece);
      Post([h = std::move(handler), this, error] {
        h(lt::disk_buffer_holder(*this, nullptr, 0), error);
      });
      return;
    }
    lt::disk_buffer_holder buffer(*this, block, kBlock);
    const int got = Files(storage).Transfer(false, r.piece, r.start, block, r.length, error);
    if (!error.ec && got < r.length) {
      error = lt::storage_error(boost::asio::error::eof, lt::operation_t::file_read);
    }
    Post([h = std::move(handler), b = std::move(buffer), error]() mutable {
      h(std::move(b), error);
    });
  }

  bool async_write(lt::storage_index_t storage, const lt::peer_request& r, const char* buf,
                   std::shared_ptr<lt::disk_observer>,
                   std::function<void(const lt::storage_error&)> handler,
                   lt::disk_job_flags_t) override {
    lt::storage_error error;
    TorrentFiles& files = Files(storage);
    if (files.Transfer(true, r.piece, r.start, const_cast<char*>(buf), r.length, error) ==
        r.length) {
      files.Wrote(r.piece, r.start, buf, r.length);
    }
    Post([h = std::move(handler), error] { h(error); });
    return false;  // never a queue to wait for
  }

  // A piece's SHA-1 (v1) and its blocks' SHA-256 (v2): from its in-order writes, or read block
  // by block as libtorrent's own back end does, without reopening the file for each block.
  void async_hash(
      lt::storage_index_t storage, lt::piece_index_t piece, lt::span<lt::sha256_hash> v2,
      lt::disk_job_flags_t flags,
      std::function<void(lt::piece_index_t, const lt::sha1_hash&, const lt::storage_error&)>
          handler) override {
    TorrentFiles& files = Files(storage);
    const lt::file_storage& layout = files.layout();
    const bool v1 = bool(flags & lt::disk_interface::v1_hash);
    const int size1 = v1 ? layout.piece_size(piece) : 0;
    const int size2 = v2.empty() ? 0 : layout.piece_size2(piece);
    const int blocks1 = (size1 + kBlock - 1) / kBlock;
    const int blocks2 = v2.empty() ? 0 : layout.blocks_in_piece2(piece);
    lt::sha1_hash written;
    if (files.TakeHashes(piece, v1, v2.first(blocks2), written)) {
      Post([h = std::move(handler), piece, written] { h(piece, written, lt::storage_error()); });
      return;
    }
    lt::hasher sha1;
    lt::storage_error error;
    for (int i = 0; i < std::max(blocks1, blocks2); ++i) {
      const int offset = i * kBlock;
      const int len1 = i < blocks1 ? std::min(kBlock, size1 - offset) : 0;
      const int len2 = i < blocks2 ? std::min(kBlock, size2 - offset) : 0;
      const int got =
          files.Transfer(false, piece, offset, block_.data(), std::max(len1, len2), error);
      if (got <= 0) break;
      if (len1 > 0) sha1.update(block_.data(), std::min(got, len1));
      if (len2 > 0) v2[i] = lt::hasher256(block_.data(), std::min(got, len2)).final();
    }
    const lt::sha1_hash hash = v1 ? sha1.final() : lt::sha1_hash();
    Post([h = std::move(handler), piece, hash, error] { h(piece, hash, error); });
  }

  void async_hash2(
      lt::storage_index_t storage, lt::piece_index_t piece, int offset, lt::disk_job_flags_t,
      std::function<void(lt::piece_index_t, const lt::sha256_hash&, const lt::storage_error&)>
          handler) override {
    TorrentFiles& files = Files(storage);
    const int len = std::min(kBlock, files.layout().piece_size2(piece) - offset);
    lt::storage_error error;
    const int got = files.Transfer(false, piece, offset, block_.data(), len, error);
    lt::hasher256 sha256;
    if (got > 0) sha256.update(block_.data(), got);
    const lt::sha256_hash hash = sha256.final();
    Post([h = std::move(handler), piece, hash, error] { h(piece, hash, error); });
  }

  void async_move_storage(
      lt::storage_index_t, std::string path, lt::move_flags_t,
      std::function<void(lt::status_t, const std::string&, const lt::storage_error&)> handler)
      override {
    const lt::storage_error error =
        StorageFailure(ENOTSUP, lt::file_index_t(-1), lt::operation_t::file_rename);
    Post([h = std::move(handler), p = std::move(path), error] {
      h(lt::status_t::fatal_disk_error, p, error);
    });
  }

  void async_release_files(lt::storage_index_t storage, std::function<void()> handler) override {
    Files(storage).CloseAll();
    if (handler) Post(std::move(handler));
  }

  void async_check_files(
      lt::storage_index_t storage, const lt::add_torrent_params*,
      lt::aux::vector<std::string, lt::file_index_t>,
      std::function<void(lt::status_t, const lt::storage_error&)> handler) override {
    TorrentFiles& files = Files(storage);
    lt::storage_error error;
    files.CreateEmptyFiles(error);
    // No resume data is kept: whatever is on disk is checked piece by piece (async_hash).
    const lt::status_t status = error.ec             ? lt::status_t::fatal_disk_error
                                : files.HasAnyFile() ? lt::status_t::need_full_check
                                                     : lt::status_t::no_error;
    Post([h = std::move(handler), status, error] { h(status, error); });
  }

  void async_stop_torrent(lt::storage_index_t storage, std::function<void()> handler) override {
    Files(storage).CloseAll();
    if (handler) Post(std::move(handler));
  }

  void async_rename_file(
      lt::storage_index_t, lt::file_index_t index, std::string name,
      std::function<void(const std::string&, lt::file_index_t, const lt::storage_error&)> handler)
      override {
    const lt::storage_error error = StorageFailure(ENOTSUP, index, lt::operation_t::file_rename);
    Post([h = std::move(handler), n = std::move(name), index, error] { h(n, index, error); });
  }

  void async_delete_files(lt::storage_index_t storage, lt::remove_flags_t options,
                          std::function<void(const lt::storage_error&)> handler) override {
    lt::storage_error error;
    if (options & lt::session_handle::delete_files) {
      Files(storage).Delete(error);
    } else {
      Files(storage).CloseAll();
    }
    Post([h = std::move(handler), error] { h(error); });
  }

  void async_set_file_priority(
      lt::storage_index_t, lt::aux::vector<lt::download_priority_t, lt::file_index_t> priorities,
      std::function<void(const lt::storage_error&,
                         lt::aux::vector<lt::download_priority_t, lt::file_index_t>)>
          handler) override {
    Post([h = std::move(handler), p = std::move(priorities)]() mutable {
      h(lt::storage_error(), std::move(p));
    });
  }

  void async_clear_piece(lt::storage_index_t storage, lt::piece_index_t index,
                         std::function<void(lt::piece_index_t)> handler) override {
    Files(storage).Forget(index);
    Post([h = std::move(handler), index] { h(index); });
  }

  void update_stats_counters(lt::counters&) const override {}
  std::vector<lt::open_file_state> get_status(lt::storage_index_t) const override { return {}; }
  void abort(bool) override {}
  void submit_jobs() override {}
  void settings_updated() override {
    budget_.limit = std::max(1, settings_.get_int(lt::settings_pack::file_pool_size));
  }

  void free_disk_buffer(char* buffer) override { std::free(buffer); }

 private:
  static size_t Slot(lt::storage_index_t idx) {
    return static_cast<size_t>(static_cast<std::uint32_t>(idx));
  }
  TorrentFiles& Files(lt::storage_index_t idx) { return *torrents_[Slot(idx)]; }
  template <typename F>
  void Post(F&& f) {
    boost::asio::post(ioc_, std::forward<F>(f));
  }

  lt::io_context& ioc_;  // where completions run: the network thread
  const lt::settings_interface& settings_;
  OpenFileBudget budget_;
  std::vector<std::unique_ptr<TorrentFiles>> torrents_;
  std::vector<lt::storage_index_t> free_;
  std::array<char, kBlock> block_{};  // hashing reads into it, on the network thread only
};

}  // namespace

std::unique_ptr<lt::disk_interface> KeptOpenDiskIo(lt::io_context& ioc,
                                                   const lt::settings_interface& settings,
                                                   lt::counters&) {
  return std::make_unique<KeptOpenDisk>(ioc, settings);
}

}  // namespace p2pims::bt
