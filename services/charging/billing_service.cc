// ChargingAdmin's billing side: CDR pull, acknowledgement, live tail and settlement.
#include <algorithm>

#include "lib/grpc/status.h"
#include "services/charging/service.h"

namespace p2pims::charging {
namespace {

// Copies a value or its error into a gRPC reply.
template <typename T, typename R>
grpc::Status Reply(absl::StatusOr<T> result, R* resp) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ChargingAdminService::PullCdrs(grpc::ServerContext*, const v1::PullCdrsRequest* req,
                                            v1::PullCdrsResponse* resp) {
  if (req->consumer().empty()) return InvalidArgument("consumer is required");
  const int limit = req->page_size() <= 0 ? 100 : std::min(req->page_size(), 1000);
  return Reply(cdrs_.PullCdrs(req->consumer(), limit), resp);
}

grpc::Status ChargingAdminService::AckCdrs(grpc::ServerContext*, const v1::AckCdrsRequest* req,
                                           v1::AckCdrsResponse* resp) {
  if (req->consumer().empty()) return InvalidArgument("consumer is required");
  auto cursor = cdrs_.AckCdrs(req->consumer(), req->up_to_sequence());
  if (!cursor.ok()) return ToGrpcStatus(cursor.status());
  resp->set_acked_sequence(*cursor);
  return grpc::Status::OK;
}

grpc::Status ChargingAdminService::TailCdrs(grpc::ServerContext*, const v1::TailCdrsRequest*,
                                            grpc::ServerWriter<v1::Cdr>*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "CDR tail: not yet");
}

grpc::Status ChargingAdminService::GetSettlement(grpc::ServerContext*,
                                                 const v1::GetSettlementRequest*,
                                                 v1::GetSettlementResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "settlement: not yet");
}

}  // namespace p2pims::charging
