#include "tools/p2pimsctl/torrent_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <libtorrent/error_code.hpp>
#include <libtorrent/torrent_info.hpp>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"

namespace p2pims::ctl {
namespace {

absl::Status ErrnoError(int err, absl::string_view what) {
  std::string message = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::FailedPreconditionError(message);
  }
}

// Reads at most kMaxTorrentFileBytes + 1 bytes of a regular file.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  const std::string what = absl::StrCat("cannot read torrent file ", path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ErrnoError(errno, what);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError(err, what);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(what, ": not a regular file"));
  }
  std::string data;
  char buf[64 * 1024];
  while (static_cast<int64_t>(data.size()) <= kMaxTorrentFileBytes) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoError(err, what);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (static_cast<int64_t>(data.size()) > kMaxTorrentFileBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": larger than ", kMaxTorrentFileBytes, " bytes"));
  }
  return data;
}

}  // namespace

absl::StatusOr<TorrentSummary> ParseTorrent(std::string_view bencoded) {
  lt::error_code ec;
  // The error_code overload reports bad metainfo without throwing; the catch is for what
  // libtorrent may still throw (allocation failures), so that no input crashes the tool.
  try {
    lt::torrent_info info(lt::span<const char>(bencoded.data(), static_cast<long>(bencoded.size())),
                          ec, lt::from_span);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("not a valid .torrent: ", ec.message()));
    }
    const lt::info_hash_t hashes = info.info_hashes();
    if (!hashes.has_v1()) {
      return absl::InvalidArgumentError(
          "a v2-only torrent has no v1 info-hash; p2pims needs a v1 or hybrid torrent");
    }
    TorrentSummary out;
    out.info_hash_v1 = hashes.v1.to_string();
    if (hashes.has_v2()) out.info_hash_v2 = hashes.v2.to_string();
    const lt::file_storage& files = info.files();
    for (const lt::file_index_t i : files.file_range()) {
      if (!files.pad_file_at(i)) out.size_bytes += files.file_size(i);
    }
    out.name = SanitizeUtf8(info.name());
    out.private_swarm = info.priv();
    return out;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not a valid .torrent: ", e.what()));
  }
}

absl::StatusOr<std::string> ReadTorrentBytes(const std::string& path) {
  return ReadSmallFile(path);
}

absl::StatusOr<TorrentSummary> ReadTorrentFile(const std::string& path) {
  absl::StatusOr<std::string> data = ReadSmallFile(path);
  if (!data.ok()) return data.status();
  absl::StatusOr<TorrentSummary> summary = ParseTorrent(*data);
  if (!summary.ok()) {
    return absl::Status(summary.status().code(),
                        absl::StrCat(path, ": ", summary.status().message()));
  }
  return summary;
}

}  // namespace p2pims::ctl
