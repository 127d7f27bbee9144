#include "services/charging/service.h"

#include <algorithm>

#include "lib/grpc/status.h"
#include "lib/log/log.h"

namespace p2pims::charging {
namespace {

bool ValidCurrency(const std::string& c) {
  return c.size() == 3 &&
         std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

// Copies a value or its error into a gRPC reply.
template <typename T, typename R>
grpc::Status Reply(absl::StatusOr<T> result, R* resp) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ChargingService::CreditControl(grpc::ServerContext*,
                                            const v1::CreditControlRequest* req,
                                            v1::CreditControlAnswer* resp) {
  if (req->session_id().empty() || req->subject().empty()) {
    return InvalidArgument("session_id and subject are required");
  }
  if (req->request_number() < 0) return InvalidArgument("request_number must not be negative");
  if (req->used().bytes_down() < 0 || req->used().bytes_up() < 0) {
    return InvalidArgument("used units must not be negative");
  }
  if (req->request_type() == v1::REQUEST_TYPE_EVENT) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "EVENT charging is not offered yet");
  }
  grpc::Status s = Reply(store_.CreditControl(*req), resp);
  log::Info("credit control",
            {{"session_id", req->session_id()},
             {"request_number", req->request_number()},
             {"type", v1::RequestType_Name(req->request_type())},
             {"result", s.ok() ? v1::ResultCode_Name(resp->result_code()) : s.error_message()}});
  return s;
}

grpc::Status ChargingService::Accounting(grpc::ServerContext*, const v1::AccountingRequest* req,
                                         v1::AccountingAnswer* resp) {
  if (req->session_id().empty() || req->subject().empty()) {
    return InvalidArgument("session_id and subject are required");
  }
  if (req->used().bytes_down() < 0 || req->used().bytes_up() < 0) {
    return InvalidArgument("used units must not be negative");
  }
  if (req->record_type() == v1::RECORD_TYPE_EVENT) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "EVENT records are not offered yet");
  }
  grpc::Status s = Reply(store_.Accounting(*req), resp);
  if (s.ok() && resp->cdr_sequence() != 0) {
    log::Info("cdr written",
              {{"session_id", req->session_id()}, {"sequence", resp->cdr_sequence()}});
  }
  return s;
}

grpc::Status ChargingAdminService::CreateAccount(grpc::ServerContext*,
                                                 const v1::CreateAccountRequest* req,
                                                 v1::Account* resp) {
  const v1::Account& a = req->account();
  if (a.subject().empty()) return InvalidArgument("account.subject is required");
  if (a.kind() == v1::ACCOUNT_KIND_UNSPECIFIED) return InvalidArgument("account.kind is required");
  if (!ValidCurrency(a.balance().currency())) {
    return InvalidArgument("account.balance.currency must be an ISO 4217 code such as EUR");
  }
  if (a.credit_limit().minor() < 0) return InvalidArgument("credit_limit must not be negative");
  return Reply(store_.CreateAccount(a, req->actor()), resp);
}

grpc::Status ChargingAdminService::GetAccount(grpc::ServerContext*,
                                              const v1::GetAccountRequest* req, v1::Account* resp) {
  return Reply(store_.GetAccount(req->subject()), resp);
}

grpc::Status ChargingAdminService::AdjustBalance(grpc::ServerContext*,
                                                 const v1::AdjustBalanceRequest* req,
                                                 v1::Account* resp) {
  if (req->subject().empty() || req->reason().empty()) {
    return InvalidArgument("subject and reason are required");
  }
  return Reply(store_.AdjustBalance(*req), resp);
}

grpc::Status ChargingAdminService::PutTariff(grpc::ServerContext*, const v1::PutTariffRequest*,
                                             v1::Tariff*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "tariffs: not yet");
}

grpc::Status ChargingAdminService::ListTariffs(grpc::ServerContext*, const v1::ListTariffsRequest*,
                                               v1::ListTariffsResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "tariffs: not yet");
}

}  // namespace p2pims::charging
