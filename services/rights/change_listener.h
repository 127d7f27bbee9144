// Keeps a replica's caches true to the database: LISTENs on channel rights_change (announced by
// triggers in every replica's transactions, see migrations/0002) and invalidates the entry each
// change names. While its connection is down the caches are not used at all (live() is false),
// and on every (re)connection everything cached is dropped, since changes may have been missed.
//
// Bound on staleness: a change is seen once its NOTIFY arrives, normally milliseconds after the
// commit; the listener polls its socket every 100 ms, and a lost connection turns live() off
// within that time.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace p2pims::rights {

// What to do about each kind of change.
struct ChangeHandlers {
  std::function<void(const std::string& content_id)> content;
  std::function<void(const std::string& subject)> subject;
  std::function<void()> revocation;
  // Called on every (re)connection, after LISTEN and before live() turns true.
  std::function<void()> resync;
};

// Owns one thread from Start until destruction.
class ChangeListener {
 public:
  ChangeListener(std::string conninfo, ChangeHandlers handlers);
  ~ChangeListener();

  void Start();
  // True while the LISTEN connection is up and the caches may be used.
  bool live() const { return live_.load(std::memory_order_acquire); }
  // Waits until live() or the timeout; for start-up and tests.
  bool AwaitLive(absl::Duration timeout) const;
  int64_t reconnects() const { return reconnects_.load(); }

  static constexpr char kChannel[] = "rights_change";

 private:
  void Run();
  void Dispatch(const std::string& payload);

  const std::string conninfo_;
  const ChangeHandlers handlers_;
  std::atomic<bool> live_{false};
  std::atomic<int64_t> reconnects_{0};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace p2pims::rights
