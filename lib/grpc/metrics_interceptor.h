// Server interceptor recording, per full method name and status code:
//   p2pims_grpc_server_handled_total{method,code} and
//   p2pims_grpc_server_handling_seconds{method} (histogram).
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "lib/metrics/registry.h"

namespace p2pims {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(metrics::Registry& registry);

}  // namespace p2pims
