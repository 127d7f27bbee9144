#include "tools/p2pimsctl/synced_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace p2pims::ctl {
namespace {

absl::Status Errno(int error, absl::string_view what, absl::string_view path) {
  return absl::ErrnoToStatus(error, absl::StrCat(what, " ", path));
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.back() == '/' ? dir + name : absl::StrCat(dir, "/", name);
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno(errno, "cannot open directory", dir);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return Errno(error, "cannot sync directory", dir);
  return absl::OkStatus();
}

}  // namespace

std::string TempName(absl::string_view name) { return absl::StrCat(".", name, ".tmp"); }

absl::Status WriteSynced(const std::string& path, absl::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno(errno, "cannot create", path);
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return Errno(error, "cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return Errno(error, "cannot sync", path);
  }
  if (::close(fd) != 0) return Errno(errno, "cannot close", path);
  return absl::OkStatus();
}

absl::Status RenameSynced(const std::string& dir, const std::string& from, const std::string& to) {
  if (::rename(Join(dir, from).c_str(), Join(dir, to).c_str()) != 0) {
    return Errno(errno, absl::StrCat("cannot rename ", Join(dir, from), " to"), Join(dir, to));
  }
  return SyncDir(dir);
}

absl::Status WriteFileAtomically(const std::string& dir, const std::string& name,
                                 absl::string_view content) {
  const std::string temp = TempName(name);
  absl::Status s = WriteSynced(Join(dir, temp), content);
  if (s.ok()) s = RenameSynced(dir, temp, name);
  if (!s.ok()) ::unlink(Join(dir, temp).c_str());
  return s;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(errno, "cannot open", path);
  std::string out;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return Errno(error, "cannot read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::pair<std::string, std::string> SplitPath(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  if (slash == 0) return {"/", path.substr(1)};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

}  // namespace p2pims::ctl
