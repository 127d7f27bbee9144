// gRPC server bootstrap: listen address (port 0 picks one), the standard health service, the
// metrics interceptor, and a graceful shutdown with a grace period.
//
//   GrpcServer server;
//   P2PIMS_RETURN_IF_ERROR(server.Start("127.0.0.1:50051", {&rights_service}, &registry));
//   ...
//   server.Shutdown(absl::Seconds(5));
#pragma once

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/metrics/registry.h"

namespace p2pims {

// Owns one grpc::Server. Start, then Shutdown once; both from the owning thread.
class GrpcServer {
 public:
  // Serves `services` (not owned; they must outlive the server) plus grpc.health.v1.Health.
  // `registry` receives p2pims_grpc_server_* metrics when not null.
  absl::Status Start(const std::string& address, const std::vector<grpc::Service*>& services,
                     metrics::Registry* registry);
  // The bound port (useful when started on port 0).
  int port() const { return port_; }
  // Marks the health service NOT_SERVING or SERVING (e.g. while the database is down).
  void SetServing(bool serving);
  // Stops accepting calls, lets running calls finish within `grace`, then cancels the rest.
  void Shutdown(absl::Duration grace);

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace p2pims
