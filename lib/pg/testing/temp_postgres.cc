#include "lib/pg/testing/temp_postgres.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/status/status_macros.h"

extern char** environ;

namespace p2pims::pg {
namespace {

std::string ScriptPath() {
  const char* source_dir = std::getenv("P2PIMS_SOURCE_DIR");
  return absl::StrCat(
      source_dir != nullptr && *source_dir != '\0' ? source_dir : P2PIMS_DEFAULT_SOURCE_DIR,
      "/tools/p2pims-pg");
}

// A unix socket path must fit in 108 bytes, so a long $TMPDIR is not used.
std::string TempBase() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir != nullptr && *tmpdir != '\0' && std::strlen(tmpdir) < 64) return tmpdir;
  return "/tmp";
}

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// A port nobody listens on right now; the server may still lose it to a race (Start retries).
absl::StatusOr<int> FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    absl::Status error = ErrnoError("bind 127.0.0.1:0");
    ::close(fd);
    return error;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TempPostgres::TempPostgres(std::string script, std::string dir)
    : script_(std::move(script)), dir_(std::move(dir)) {}

absl::StatusOr<std::unique_ptr<TempPostgres>> TempPostgres::Start() {
  std::string script = ScriptPath();
  if (::access(script.c_str(), R_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", script, " (set P2PIMS_SOURCE_DIR to the source tree)"));
  }
  std::string pattern = TempBase() + "/p2pims-pg-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return ErrnoError("mkdtemp " + pattern);
  std::unique_ptr<TempPostgres> server(new TempPostgres(std::move(script), pattern));

  P2PIMS_RETURN_IF_ERROR(server->Run({"init", server->dir_}));
  absl::Status started;
  for (int attempt = 0; attempt < 3; ++attempt) {
    P2PIMS_ASSIGN_OR_RETURN(int port, FreeLoopbackPort());
    started = server->Run({"start", server->dir_, std::to_string(port)});
    if (started.ok()) {
      server->SetPort(port);
      break;
    }
  }
  P2PIMS_RETURN_IF_ERROR(started);
  P2PIMS_RETURN_IF_ERROR(
      server->Run({"createdb", server->dir_, std::to_string(server->port_), "p2pims"}));
  return server;
}

TempPostgres::~TempPostgres() {
  if (absl::Status stopped = Stop(); !stopped.ok()) {
    std::cerr << "TempPostgres: " << stopped << "; killing it\n";
    if (absl::Status killed = Kill(); !killed.ok()) std::cerr << "TempPostgres: " << killed << "\n";
  }
  std::error_code error;
  std::filesystem::remove_all(dir_, error);
  if (error) std::cerr << "TempPostgres: cannot remove " << dir_ << ": " << error.message() << "\n";
}

void TempPostgres::SetPort(int port) {
  port_ = port;
  conninfo_ = absl::StrCat("host=127.0.0.1 port=", port, " dbname=p2pims user=postgres");
}

absl::Status TempPostgres::Stop() { return Run({"stop", dir_}); }

absl::Status TempPostgres::Kill() { return Run({"kill", dir_}); }

absl::Status TempPostgres::Restart() {
  P2PIMS_RETURN_IF_ERROR(Stop());
  return Run({"start", dir_, std::to_string(port_)});
}

absl::Status TempPostgres::Run(const std::vector<std::string>& args) const {
  // Output goes to a file, not a pipe: the server started by the script could hold a pipe open.
  const std::string output = dir_ + "/p2pims-pg.out";
  std::vector<std::string> words = {"bash", script_};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "bash", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return absl::InternalError(absl::StrCat("cannot run bash: ", std::strerror(spawned)));
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return ErrnoError("waitpid");
  }
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("p2pims-pg ", absl::StrJoin(args, " "), " failed (",
                   WIFEXITED(wait_status) ? "exit " : "signal ",
                   WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : WTERMSIG(wait_status),
                   "): ", ReadFile(output)));
}

}  // namespace p2pims::pg
