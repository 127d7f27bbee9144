// The start-up and shutdown every gRPC service shares: common flags, JSON logs, the metrics
// registry and operator HTTP endpoints, the PostgreSQL pool with the service's migrations, the
// gRPC server with health, and an orderly stop on SIGTERM.
//
//   int main(int argc, char** argv) {
//     ServiceRuntime rt({.name = "rights", .summary = "...", .grpc_listen = "127.0.0.1:50051",
//                        .admin_listen = "127.0.0.1:9102", .schema = "rights",
//                        .migrations = &RightsMigrations(), .prepared =
//                        RightsStore::Statements()});
//     rt.flags().Add("signing-key-file", "", "...");   // service flags
//     if (auto code = rt.Init(argc, argv)) return *code;
//     RightsService service(rt.pool(), ...);
//     return rt.Serve({&service});
//   }
#pragma once

#include <grpcpp/impl/service_type.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/config/flags.h"
#include "lib/grpc/server.h"
#include "lib/http/server.h"
#include "lib/metrics/registry.h"
#include "lib/pg/migrate.h"
#include "lib/pg/pool.h"

namespace p2pims {

struct ServiceSpec {
  std::string name;
  std::string summary;
  std::string grpc_listen;   // default for --grpc-listen
  std::string admin_listen;  // default for --admin-listen (/metrics, /healthz, /readyz)
  std::string schema;        // the service's own PostgreSQL schema
  const std::vector<pg::Migration>* migrations = nullptr;
  std::vector<std::pair<std::string, std::string>> prepared;  // name -> SQL
};

// Applies `migrations` to `schema`, waiting up to `wait` for the database to answer, then checks
// the pool's prepared statements against it; logs and returns the error otherwise. ServiceRuntime
// uses it; so does a process with a database but not the gRPC service shape (sip-edge).
absl::Status PrepareSchema(pg::Pool& pool, const std::string& schema,
                           const std::vector<pg::Migration>& migrations, absl::Duration wait);

// One per process, used from main's thread.
class ServiceRuntime {
 public:
  explicit ServiceRuntime(ServiceSpec spec);

  // Add service-specific flags here before Init.
  Flags& flags() { return flags_; }

  // Parses flags and sets up logging, the pool and the schema (applied with --migrate, which then
  // exits, and at every start-up, waiting up to --db-wait for the database). Returns an exit code
  // when the process should stop now (--help, bad flags, migration failure, --migrate done).
  std::optional<int> Init(int argc, char** argv);

  metrics::Registry& registry() { return registry_; }
  pg::Pool& pool() { return *pool_; }
  const ServiceSpec& spec() const { return spec_; }

  // Adds a condition /readyz reports besides the database (e.g. "signing keys loaded").
  void AddReadinessCheck(std::function<absl::Status()> check) {
    readiness_.push_back(std::move(check));
  }

  // Serves the operator endpoints and `services` until SIGTERM/SIGINT; returns the exit code.
  int Serve(const std::vector<grpc::Service*>& services);

 private:
  // The database answers and every readiness check passes.
  absl::Status Ready() const;
  // p2pims_pg_pool_* metrics, refreshed at each scrape.
  void AddPoolMetrics();

  ServiceSpec spec_;
  Flags flags_;
  metrics::Registry registry_;
  std::unique_ptr<pg::Pool> pool_;
  std::vector<std::function<absl::Status()>> readiness_;
};

}  // namespace p2pims
