// One torrent's files for the kept-open disk back end (kept_open_disk_io.h): reads and writes
// at piece offsets over the torrent's file layout, each file opened at its first use and kept
// open, within a budget of open files shared by all torrents; and the hashes of blocks written
// in order. Used on libtorrent's network thread only.
#pragma once

#include <cstdint>
#include <libtorrent/error_code.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/storage_defs.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace p2pims::bt {

class TorrentFiles;

// A failed system call `op` on `file` (-1: none), with its errno, as libtorrent reports it.
inline lt::storage_error StorageFailure(int err, lt::file_index_t file, lt::operation_t op) {
  return lt::storage_error(lt::error_code(err, lt::system_category()), file, op);
}

// The files open across all torrents, at most `limit` (libtorrent's file_pool_size): an origin
// may hold thousands. Past it the least recently used one is closed.
struct OpenFileBudget {
  int limit = 40;
  int open = 0;
  uint64_t clock = 0;  // a use's stamp
  std::vector<std::unique_ptr<TorrentFiles>>* torrents = nullptr;
  void MakeRoom();
};

// One torrent's files, each opened at its first use and kept open until CloseAll (or until the
// budget needs its descriptor for another file).
class TorrentFiles {
 public:
  TorrentFiles(const lt::storage_params& p, OpenFileBudget& budget)
      : layout_(p.files), save_path_(p.path), budget_(budget) {
    if (p.mapped_files != nullptr) renamed_.emplace(*p.mapped_files);
    open_.resize(static_cast<size_t>(layout_.num_files()));
  }
  ~TorrentFiles() { CloseAll(); }
  TorrentFiles(const TorrentFiles&) = delete;
  TorrentFiles& operator=(const TorrentFiles&) = delete;

  const lt::file_storage& layout() const { return layout_; }

  // Reads or writes `len` bytes at `offset` of `piece` (pad files read as zeros and are never
  // written). Returns the bytes done: fewer when a file on disk ends early (a read), -1 with
  // `error` set on a failure.
  int Transfer(bool write, lt::piece_index_t piece, int offset, char* buf, int len,
               lt::storage_error& error);

  // Hashes the blocks written in order as they come, so that a piece written from its first
  // block to its last (as one peer sends it) need not be read back for its check.
  void Wrote(lt::piece_index_t piece, int offset, const char* buf, int len);

  // The piece's hashes from its in-order writes, when they cover what is asked; forgets them.
  bool TakeHashes(lt::piece_index_t piece, bool v1, lt::span<lt::sha256_hash> v2,
                  lt::sha1_hash& sha1);

  void Forget(lt::piece_index_t piece) { in_order_.erase(piece); }

  // Whether any of the content's files is on disk with some bytes (then it is checked).
  bool HasAnyFile() const;

  // The empty files of the content, which no write would create.
  void CreateEmptyFiles(lt::storage_error& error);

  void CloseAll();

  // This torrent's least recently used open file: {stamp, index}; {UINT64_MAX, 0} if none.
  std::pair<uint64_t, size_t> LeastRecent() const;

  void Close(size_t i);

  void Delete(lt::storage_error& error);

 private:
  struct InOrder {
    int next = 0;  // the offset the next block must start at
    bool broken = false;
    lt::hasher sha1;
    std::vector<lt::sha256_hash> sha256;  // v2: one per block
  };
  struct OpenFile {
    int fd = -1;
    bool writable = false;
    uint64_t used = 0;  // OpenFileBudget::clock at the last use
  };

  std::string PathOf(lt::file_index_t i) const;

  // The file's descriptor, opened for writing when `write` (creating it and its directories);
  // a file only read may be read-only on disk (a seed's).
  int Open(lt::file_index_t i, bool write, lt::storage_error& error);

  const lt::file_storage& layout_;  // the torrent's, which outlives its storage
  std::optional<lt::file_storage> renamed_;
  const std::string save_path_;
  OpenFileBudget& budget_;
  std::vector<OpenFile> open_;                     // by file index
  std::map<lt::piece_index_t, InOrder> in_order_;  // pieces being written
};

}  // namespace p2pims::bt
