#include "tools/p2pimsctl/interrupts.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

namespace p2pims::ctl {
namespace {

// The handler may only touch these: an atomic flag and the write end of a pipe.
std::atomic<bool> g_requested{false};
int g_pipe[2] = {-1, -1};
struct sigaction g_old_int, g_old_term;

constexpr char kSignalled = 's';
constexpr char kQuit = 'q';

extern "C" void OnSignal(int) {
  // A second signal means the operator will not wait for a clean stop.
  if (g_requested.exchange(true)) ::_exit(130);
  const int saved = errno;
  char c = kSignalled;
  [[maybe_unused]] ssize_t n = ::write(g_pipe[1], &c, 1);
  errno = saved;
}

}  // namespace

Interrupts::Interrupts() {
  g_requested.store(false);
  if (::pipe2(g_pipe, O_CLOEXEC) != 0) std::abort();  // no descriptors left: nothing works
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &sa, &g_old_int);
  ::sigaction(SIGTERM, &sa, &g_old_term);
  watcher_ = std::thread([this] { Watch(); });
}

Interrupts::~Interrupts() {
  char c = kQuit;
  while (::write(g_pipe[1], &c, 1) < 0 && errno == EINTR) {
  }
  watcher_.join();
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
  ::close(g_pipe[0]);
  ::close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
}

bool Interrupts::requested() const { return g_requested.load(); }

void Interrupts::OnInterrupt(std::function<void()> cancel) {
  std::lock_guard<std::mutex> lock(mu_);
  cancel_ = std::move(cancel);
  if (cancel_ && g_requested.load()) cancel_();
}

void Interrupts::Watch() {
  while (true) {
    char c = 0;
    const ssize_t n = ::read(g_pipe[0], &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == kQuit) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (cancel_) cancel_();
  }
}

}  // namespace p2pims::ctl
