#include "lib/grpc/server.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "lib/grpc/metrics_interceptor.h"
#include "lib/grpc/tls.h"

namespace p2pims {

absl::Status GrpcServer::Start(const std::string& address,
                               const std::vector<grpc::Service*>& services,
                               metrics::Registry* registry) {
  if (services.empty())
    return absl::InvalidArgumentError("a gRPC server needs at least one service");
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, GrpcServerCredentials(), &port_);
  for (grpc::Service* s : services) builder.RegisterService(s);
  if (registry != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
    factories.push_back(MakeMetricsInterceptorFactory(*registry));
    builder.experimental().SetInterceptorCreators(std::move(factories));
  }
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", address));
  }
  return absl::OkStatus();
}

void GrpcServer::SetServing(bool serving) {
  if (server_ != nullptr) server_->GetHealthCheckService()->SetServingStatus(serving);
}

void GrpcServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
  server_.reset();
}

}  // namespace p2pims
