// SIGINT and SIGTERM for commands that run until the operator stops them ("cdr tail", "cdr
// export"): while an Interrupts object lives, the signals no longer kill the process but set a
// flag and run a cancel callback (on a helper thread, never in the signal handler), so the
// command can finish what it is doing and exit cleanly. A second signal exits at once (130).
//
//   Interrupts interrupts;
//   grpc::ClientContext ctx;
//   interrupts.OnInterrupt([&] { ctx.TryCancel(); });
//   while (reader->Read(&cdr)) ...              // ends when Ctrl-C cancels the call
//   interrupts.OnInterrupt(nullptr);            // before ctx goes away
//   if (interrupts.requested()) ...             // stopped by a signal
#pragma once

#include <functional>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"

namespace p2pims::ctl {

class Interrupts {
 public:
  // Installs the handlers (the previous ones are restored by the destructor) and starts the
  // helper thread. At most one instance may exist at a time.
  Interrupts();
  ~Interrupts();
  Interrupts(const Interrupts&) = delete;
  Interrupts& operator=(const Interrupts&) = delete;

  // True once SIGINT or SIGTERM arrived.
  bool requested() const;

  // Sets the callback run when a signal arrives (at once, on the calling thread, when one already
  // did). nullptr clears it; once OnInterrupt returns, the previous callback is not running and
  // will not run again, so whatever it touches may be destroyed.
  void OnInterrupt(std::function<void()> cancel);

 private:
  void Watch();

  std::mutex mu_;
  std::function<void()> cancel_ ABSL_GUARDED_BY(mu_);
  std::thread watcher_;
};
// Thread-safe: OnInterrupt and requested may be called from any thread.

}  // namespace p2pims::ctl
