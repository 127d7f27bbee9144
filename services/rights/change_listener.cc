#include "services/rights/change_listener.h"

#include <pqxx/pqxx>

#include "absl/time/clock.h"
#include "lib/log/log.h"

namespace p2pims::rights {
namespace {

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, std::function<void(const std::string&)> on_payload)
      : pqxx::notification_receiver(conn, ChangeListener::kChannel),
        on_payload_(std::move(on_payload)) {}
  void operator()(const std::string& payload, int) override { on_payload_(payload); }

 private:
  std::function<void(const std::string&)> on_payload_;
};

}  // namespace

ChangeListener::ChangeListener(std::string conninfo, ChangeHandlers handlers)
    : conninfo_(std::move(conninfo)), handlers_(std::move(handlers)) {}

ChangeListener::~ChangeListener() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void ChangeListener::Start() {
  thread_ = std::thread([this] { Run(); });
}

bool ChangeListener::AwaitLive(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (!live() && absl::Now() < deadline) {
    if (stop_.WaitForNotificationWithTimeout(absl::Milliseconds(10))) return false;
  }
  return live();
}

void ChangeListener::Dispatch(const std::string& payload) {
  const size_t colon = payload.find(':');
  const std::string kind = payload.substr(0, colon);
  const std::string key = colon == std::string::npos ? "" : payload.substr(colon + 1);
  if (kind == "content") {
    handlers_.content(key);
  } else if (kind == "subject") {
    handlers_.subject(key);
  } else if (kind == "revocation") {
    handlers_.revocation();
  } else {
    log::Warn("unknown change announcement", {{"payload", payload}});
  }
}

void ChangeListener::Run() {
  bool was_live = false;
  while (!stop_.HasBeenNotified()) {
    try {
      pqxx::connection conn(conninfo_);
      Receiver receiver(conn, [this](const std::string& payload) { Dispatch(payload); });
      handlers_.resync();
      live_.store(true, std::memory_order_release);
      if (was_live) log::Info("change listener reconnected; caches resynchronised");
      was_live = true;
      while (!stop_.HasBeenNotified()) conn.await_notification(0, 100000);
    } catch (const std::exception& e) {
      if (live_.exchange(false)) {
        reconnects_.fetch_add(1);
        log::Warn("change listener lost its connection; caches bypassed",
                  {{"error", e.what()}});
      }
    }
    live_.store(false, std::memory_order_release);
    stop_.WaitForNotificationWithTimeout(absl::Milliseconds(500));
  }
}

}  // namespace p2pims::rights
