#include "services/charging/service.h"

#include <algorithm>

#include "lib/grpc/status.h"
#include "lib/log/log.h"
#include "services/charging/validation.h"

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

grpc::ServerUnaryReactor* ChargingService::CreditControl(grpc::CallbackServerContext* ctx,
                                                         const v1::CreditControlRequest* req,
                                                         v1::CreditControlAnswer* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (absl::Status bad = CheckCreditControl(*req); !bad.ok()) {
    metrics_.Count(v1::RequestType_Name(req->request_type()), "INVALID_ARGUMENT");
    reactor->Finish(ToGrpcStatus(bad));
    return reactor;
  }
  store_.CreditControlAsync(req, resp, [this, reactor, req, resp](absl::Status s) {
    if (s.ok()) {
      metrics_.CreditControl(*req, *resp);
    } else {
      metrics_.Count(v1::RequestType_Name(req->request_type()),
                     absl::StatusCodeToString(s.code()));
    }
    reactor->Finish(ToGrpcStatus(s));
  });
  return reactor;
}

grpc::ServerUnaryReactor* ChargingService::Accounting(grpc::CallbackServerContext* ctx,
                                                      const v1::AccountingRequest* req,
                                                      v1::AccountingAnswer* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const std::string type = v1::RecordType_Name(req->record_type());
  if (absl::Status bad = CheckAccounting(*req); !bad.ok()) {
    metrics_.Count(type, "INVALID_ARGUMENT");
    reactor->Finish(ToGrpcStatus(bad));
    return reactor;
  }
  store_.AccountingAsync(req, resp, [this, reactor, resp, type](absl::Status s) {
    metrics_.Count(type, s.ok() ? "OK" : absl::StatusCodeToString(s.code()));
    if (s.ok() && resp->cdr_sequence() != 0) metrics_.CdrWritten();
    reactor->Finish(ToGrpcStatus(s));
  });
  return reactor;
}

grpc::Status ChargingAdminService::CreateAccount(grpc::ServerContext*,
                                                 const v1::CreateAccountRequest* req,
                                                 v1::Account* resp) {
  if (absl::Status bad = CheckNewAccount(req->account()); !bad.ok()) return ToGrpcStatus(bad);
  return Reply(store_.CreateAccount(req->account(), req->actor()), resp);
}

grpc::Status ChargingAdminService::GetAccount(grpc::ServerContext*,
                                              const v1::GetAccountRequest* req, v1::Account* resp) {
  return Reply(store_.GetAccount(req->subject()), resp);
}

grpc::Status ChargingAdminService::AdjustBalance(grpc::ServerContext*,
                                                 const v1::AdjustBalanceRequest* req,
                                                 v1::Account* resp) {
  if (absl::Status bad = CheckAdjustment(*req); !bad.ok()) return ToGrpcStatus(bad);
  return Reply(store_.AdjustBalance(*req), resp);
}

grpc::Status ChargingAdminService::PutTariff(grpc::ServerContext*, const v1::PutTariffRequest* req,
                                             v1::Tariff* resp) {
  if (absl::Status bad = CheckTariff(req->tariff()); !bad.ok()) return ToGrpcStatus(bad);
  return Reply(store_.PutTariff(req->tariff(), req->actor()), resp);
}

grpc::Status ChargingAdminService::ListTariffs(grpc::ServerContext*, const v1::ListTariffsRequest*,
                                               v1::ListTariffsResponse* resp) {
  auto tariffs = store_.ListTariffs();
  if (!tariffs.ok()) return ToGrpcStatus(tariffs.status());
  for (v1::Tariff& t : *tariffs) *resp->add_tariffs() = std::move(t);
  return grpc::Status::OK;
}

}  // namespace p2pims::charging
