#include "lib/bt/torrent_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace p2pims::bt {

void OpenFileBudget::MakeRoom() {
  TorrentFiles* owner = nullptr;
  std::pair<uint64_t, size_t> least{UINT64_MAX, 0};
  for (const auto& t : *torrents) {
    if (t == nullptr) continue;
    const auto candidate = t->LeastRecent();
    if (candidate.first < least.first) least = candidate, owner = t.get();
  }
  if (owner != nullptr) owner->Close(least.second);
}

int TorrentFiles::Transfer(bool write, lt::piece_index_t piece, int offset, char* buf, int len,
                           lt::storage_error& error) {
  int done = 0;
  for (const lt::file_slice& s : layout_.map_block(piece, offset, len)) {
    char* at = buf + done;
    const int size = static_cast<int>(s.size);
    if (layout_.pad_file_at(s.file_index)) {
      if (!write) std::memset(at, 0, static_cast<size_t>(size));
      done += size;
      continue;
    }
    const int fd = Open(s.file_index, write, error);
    if (fd < 0) return -1;
    int left = size;
    int64_t position = s.offset;
    while (left > 0) {
      const ssize_t n = write ? ::pwrite(fd, at, static_cast<size_t>(left), position)
                              : ::pread(fd, at, static_cast<size_t>(left), position);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = StorageFailure(errno, s.file_index,
                               write ? lt::operation_t::file_write : lt::operation_t::file_read);
        return -1;
      }
      if (n == 0) return done + size - left;  // the file is shorter on disk
      at += n, left -= static_cast<int>(n), position += n;
    }
    done += size;
  }
  return done;
}

void TorrentFiles::Wrote(lt::piece_index_t piece, int offset, const char* buf, int len) {
  InOrder& h = in_order_[piece];
  if (h.broken || offset != h.next) {
    h.broken = true;  // out of order or again: the check reads the piece back
    return;
  }
  h.sha1.update(buf, len);
  if (layout_.v2() && offset < layout_.piece_size2(piece)) {
    h.sha256.push_back(
        lt::hasher256(buf, std::min(len, layout_.piece_size2(piece) - offset)).final());
  }
  h.next += len;
}

bool TorrentFiles::TakeHashes(lt::piece_index_t piece, bool v1, lt::span<lt::sha256_hash> v2,
                              lt::sha1_hash& sha1) {
  auto it = in_order_.find(piece);
  if (it == in_order_.end()) return false;
  InOrder h = std::move(it->second);
  in_order_.erase(it);
  if (h.broken || (v1 && h.next != layout_.piece_size(piece)) ||
      h.sha256.size() < static_cast<size_t>(v2.size())) {
    return false;
  }
  if (v1) sha1 = h.sha1.final();
  std::copy_n(h.sha256.begin(), v2.size(), v2.begin());
  return true;
}

bool TorrentFiles::HasAnyFile() const {
  for (lt::file_index_t i : layout_.file_range()) {
    struct stat st {};
    if (!layout_.pad_file_at(i) && ::stat(PathOf(i).c_str(), &st) == 0 && st.st_size > 0) {
      return true;
    }
  }
  return false;
}

void TorrentFiles::CreateEmptyFiles(lt::storage_error& error) {
  for (lt::file_index_t i : layout_.file_range()) {
    if (layout_.pad_file_at(i) || layout_.file_size(i) > 0) continue;
    if (Open(i, /*write=*/true, error) < 0) return;
  }
}

void TorrentFiles::CloseAll() {
  for (size_t i = 0; i < open_.size(); ++i) Close(i);
}

std::pair<uint64_t, size_t> TorrentFiles::LeastRecent() const {
  std::pair<uint64_t, size_t> least{UINT64_MAX, 0};
  for (size_t i = 0; i < open_.size(); ++i) {
    if (open_[i].fd >= 0 && open_[i].used < least.first) least = {open_[i].used, i};
  }
  return least;
}

void TorrentFiles::Close(size_t i) {
  if (open_[i].fd < 0) return;
  ::close(open_[i].fd);
  open_[i] = OpenFile{};
  --budget_.open;
}

void TorrentFiles::Delete(lt::storage_error& error) {
  CloseAll();
  for (lt::file_index_t i : layout_.file_range()) {
    if (layout_.pad_file_at(i)) continue;
    if (::unlink(PathOf(i).c_str()) != 0 && errno != ENOENT) {
      error = StorageFailure(errno, i, lt::operation_t::file_remove);
    }
  }
}

std::string TorrentFiles::PathOf(lt::file_index_t i) const {
  return (renamed_ ? *renamed_ : layout_).file_path(i, save_path_);
}

int TorrentFiles::Open(lt::file_index_t i, bool write, lt::storage_error& error) {
  const size_t slot = static_cast<size_t>(static_cast<int>(i));
  OpenFile& f = open_[slot];
  if (f.fd >= 0 && (f.writable || !write)) {
    f.used = ++budget_.clock;
    return f.fd;
  }
  Close(slot);  // reopened for writing, or not open
  if (budget_.open >= budget_.limit) budget_.MakeRoom();
  const std::string path = PathOf(i);
  int fd = -1;
  bool writable = true;
  if (write) {
    std::error_code ignored;  // open() below says what is wrong
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  } else {
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && (errno == EACCES || errno == EROFS)) {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      writable = false;
    }
  }
  if (fd < 0) {
    error = StorageFailure(errno, i, lt::operation_t::file_open);
    return -1;
  }
  f = {fd, writable, ++budget_.clock};
  ++budget_.open;
  return fd;
}

}  // namespace p2pims::bt
