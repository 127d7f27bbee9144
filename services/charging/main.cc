// p2pims-charging: online credit control, offline accounting, CDRs, incentives, settlement.
#include <malloc.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "lib/log/log.h"
#include "lib/runtime/service_runtime.h"
#include "services/charging/charging_metrics.h"
#include "services/charging/service.h"

namespace {

std::vector<std::pair<std::string, std::string>> Concat(
    std::vector<std::pair<std::string, std::string>> a,
    const std::vector<std::pair<std::string, std::string>>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace p2pims;
  using namespace p2pims::charging;
  ServiceRuntime rt({.name = "charging",
                     .summary = "Ro-style credit control, Rf-style accounting, CDRs, incentives "
                                "and settlement.",
                     .grpc_listen = "127.0.0.1:50052",
                     .admin_listen = "127.0.0.1:9103",
                     .schema = "charging",
                     .migrations = &ChargingMigrations(),
                     .prepared = Concat(ChargingStore::Statements(), CdrStore::Statements())});
  rt.flags().Add("max-bytes-per-second", "1250000000",
                 "usage a session reports beyond this rate since it opened is refused");
  rt.flags().Add("accounting-timeout", "21600",
                 "seconds without accounting records after which a session without STOP is "
                 "closed (cause time limit, incomplete)");
  rt.flags().Add("sweep-interval", "10",
                 "seconds between sweeps for expired reservations and silent sessions");
  if (auto code = rt.Init(argc, argv)) return *code;
  // Pages of CDRs and batches of requests are many small allocations freed together: keep the
  // freed memory for the next one instead of giving it back to the kernel and faulting it in.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  auto rate = rt.flags().GetInt("max-bytes-per-second");
  auto timeout = rt.flags().GetInt("accounting-timeout");
  auto interval = rt.flags().GetInt("sweep-interval");
  if (!rate.ok() || *rate <= 0 || !timeout.ok() || *timeout <= 0 || !interval.ok() ||
      *interval <= 0) {
    log::Error("--max-bytes-per-second, --accounting-timeout and --sweep-interval must be "
               "positive integers");
    return 2;
  }

  ChargingStore store(rt.pool(), {.max_bytes_per_second = *rate,
                                  .accounting_timeout = absl::Seconds(*timeout)});
  CdrStore cdrs(rt.pool());
  ChargingMetrics metrics(rt.registry(), rt.pool(), &store.engine());
  // Only the writing replica takes requests; a standby becomes ready when it takes over.
  rt.AddReadinessCheck([&store]() -> absl::Status {
    if (store.leader()) return absl::OkStatus();
    return absl::UnavailableError("standby: another charging replica is the writer");
  });
  ChargingService service(store, metrics);
  ChargingAdminService admin(store, cdrs);

  // Daily CDR partitions a week ahead, at start and then hourly (DEFAULT catches the rest).
  auto ensure_partitions = [&] {
    if (auto made = cdrs.EnsurePartitions(7); !made.ok()) {
      log::Warn("CDR partitions not created", {{"error", made.status().message()}});
    }
  };
  ensure_partitions();
  absl::Time next_partitions = absl::Now() + absl::Hours(1);

  // Sessions that never end on their own are settled here (by the writing replica's engine).
  absl::Notification stop_sweeping;
  std::thread sweeper([&] {
    while (!stop_sweeping.WaitForNotificationWithTimeout(absl::Seconds(*interval))) {
      if (absl::Now() >= next_partitions) {
        ensure_partitions();
        next_partitions = absl::Now() + absl::Hours(1);
      }
      if (!store.leader()) continue;  // a standby's engine holds nothing to sweep
      auto closed = store.SweepExpired(100);
      if (!closed.ok()) {
        log::Warn("sweep failed", {{"error", closed.status().message()}});
      } else if (*closed > 0) {
        log::Info("sessions closed by the sweeper", {{"count", int64_t(*closed)}});
        for (int i = 0; i < *closed; ++i) metrics.CdrWritten();
      }
    }
  });
  const int code = rt.Serve({&service, &admin});
  stop_sweeping.Notify();
  sweeper.join();
  return code;
}
