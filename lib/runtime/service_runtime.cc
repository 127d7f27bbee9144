#include "lib/runtime/service_runtime.h"

#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "lib/grpc/admin_access.h"
#include "lib/grpc/tls.h"
#include "lib/http/admin.h"
#include "lib/log/log.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/process_metrics.h"
#include "lib/runtime/signals.h"

namespace p2pims {

ServiceRuntime::ServiceRuntime(ServiceSpec spec)
    : spec_(std::move(spec)), flags_("p2pims-" + spec_.name, spec_.summary) {
  flags_.Add("grpc-listen", spec_.grpc_listen, "gRPC listen address host:port");
  flags_.Add("admin-listen", spec_.admin_listen,
             "HTTP listen address for /metrics, /healthz and /readyz");
  flags_.Add("db", "host=127.0.0.1 port=55432 dbname=p2pims user=postgres",
             "PostgreSQL connection string (libpq format)");
  flags_.Add("db-pool-size", "4", "PostgreSQL connections in the pool");
  flags_.Add("db-wait", "30", "seconds to wait for PostgreSQL at start-up");
  flags_.Add("migrate", "false", "apply the schema migrations and exit");
  flags_.Add("log-level", "info", "debug, info, warn or error");
  flags_.Add("node-id", spec_.name + "-0",
             "this replica's name (StatefulSet pod name), in its logs");
  AddGrpcTlsFlags(flags_);
  AddAdminAccessFlags(flags_);
}

absl::Status PrepareSchema(pg::Pool& pool, const std::string& schema,
                           const std::vector<pg::Migration>& migrations, absl::Duration wait) {
  // Replicas may start before the database: retry until it answers or `wait` runs out.
  const absl::Time give_up = absl::Now() + wait;
  absl::Status migrated;
  for (int attempt = 0;; ++attempt) {
    migrated = pg::Migrate(pool, schema, migrations);
    if (migrated.ok() || migrated.code() != absl::StatusCode::kUnavailable ||
        absl::Now() > give_up) {
      break;
    }
    if (attempt == 0) log::Warn("waiting for the database", {{"error", migrated.message()}});
    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // retry pause, not sync
  }
  if (!migrated.ok()) {
    log::Error("schema migration failed", {{"schema", schema}, {"error", migrated.message()}});
    return migrated;
  }
  if (absl::Status s = pool.CheckStatements(); !s.ok()) {
    log::Error("SQL statements do not match the schema", {{"error", s.message()}});
    return s;
  }
  return absl::OkStatus();
}

std::optional<int> ServiceRuntime::Init(int argc, char** argv) {
  BlockTerminationSignals();
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles (a global graph update
  // per lock); that is a debugging aid, too costly for hot paths in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (auto code = flags_.ParseCommandLine(argc, argv)) return code;
  log::Init(spec_.name, log::ParseLevel(flags_.Get("log-level")));
  log::Info("starting", {{"node_id", flags_.Get("node-id")}});
  if (absl::Status s = ConfigureGrpcTls(GrpcTlsFromFlags(flags_)); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  if (absl::Status s = ConfigureAdminAccess(flags_); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  auto pool_size = flags_.GetInt("db-pool-size");
  auto wait = flags_.GetInt("db-wait");
  if (!pool_size.ok() || !wait.ok()) {
    std::cerr << "error: " << (!pool_size.ok() ? pool_size.status() : wait.status()).message()
              << "\n";
    return 2;
  }
  pg::PoolOptions options;
  options.conninfo = flags_.Get("db");
  options.size = static_cast<int>(*pool_size);
  options.prepared = spec_.prepared;
  pool_ = std::make_unique<pg::Pool>(std::move(options));

  if (absl::Status s = PrepareSchema(*pool_, spec_.schema, *spec_.migrations,
                                     absl::Seconds(*wait));
      !s.ok()) {
    return 1;
  }
  auto version = pg::CurrentVersion(*pool_, spec_.schema);
  log::Info("schema ready",
            {{"schema", spec_.schema}, {"version", int64_t{version.ok() ? *version : -1}}});
  if (*flags_.GetBool("migrate")) return 0;
  return std::nullopt;
}

absl::Status ServiceRuntime::Ready() const {
  if (absl::Status s = pool_->Ping(); !s.ok()) return s;
  for (const auto& check : readiness_) {
    if (absl::Status s = check(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void ServiceRuntime::AddPoolMetrics() {
  pg::Pool& pool = *pool_;
  auto& in_use = metrics::BuildGauge()
                     .Name("p2pims_pg_pool_connections_in_use")
                     .Help("PostgreSQL connections lent to transactions right now.")
                     .Register(registry_)
                     .Add({});
  auto& size = metrics::BuildGauge()
                   .Name("p2pims_pg_pool_connections_max")
                   .Help("PostgreSQL connections the pool may open.")
                   .Register(registry_)
                   .Add({});
  auto& reconnects = metrics::BuildCounter()
                         .Name("p2pims_pg_pool_reconnects_total")
                         .Help("Broken PostgreSQL connections discarded and reopened.")
                         .Register(registry_)
                         .Add({});
  registry_.AddCollectHook([&pool, &in_use, &size, &reconnects] {
    in_use.Set(pool.in_use());
    size.Set(pool.size());
    reconnects.Increment(static_cast<double>(pool.reconnects()) - reconnects.Value());
  });
}

int ServiceRuntime::Serve(const std::vector<grpc::Service*>& services) {
  metrics::AddProcessMetrics(registry_);
  AddPoolMetrics();
  http::Server admin;
  http::AddAdminHandlers(admin, registry_, [this] { return Ready(); });
  if (absl::Status s = admin.Start(flags_.Get("admin-listen")); !s.ok()) {
    log::Error("cannot serve operator endpoints", {{"error", s.message()}});
    return 1;
  }
  GrpcServer server;
  if (absl::Status s = server.Start(flags_.Get("grpc-listen"), services, &registry_); !s.ok()) {
    log::Error("cannot serve gRPC", {{"error", s.message()}});
    return 1;
  }
  log::Info("serving", {{"grpc", flags_.Get("grpc-listen")},
                        {"grpc_port", int64_t{server.port()}},
                        {"admin", flags_.Get("admin-listen")},
                        {"admin_port", int64_t{admin.port()}}});
  // gRPC health follows /readyz, so Kubernetes' gRPC probes and HTTP probes agree.
  absl::Notification stopping;
  std::thread health([&] {
    do {
      server.SetServing(Ready().ok());
    } while (!stopping.WaitForNotificationWithTimeout(absl::Seconds(2)));
  });
  const int sig = WaitForTerminationSignal();
  log::Info("stopping", {{"signal", int64_t{sig}}});
  stopping.Notify();
  health.join();
  server.Shutdown(absl::Seconds(5));
  admin.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace p2pims
