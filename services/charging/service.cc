#include "services/charging/service.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/grpc/admin_access.h"
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

grpc::ServerUnaryReactor* ChargingService::AccountingBatch(grpc::CallbackServerContext* ctx,
                                                           const v1::AccountingBatchRequest* req,
                                                           v1::AccountingBatchResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const int n = req->records_size();
  if (n > kMaxBatch) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 absl::StrCat(n, " records; at most ", kMaxBatch, " per batch")));
    return reactor;
  }
  std::vector<const v1::AccountingRequest*> valid;
  std::vector<v1::AccountingAnswer*> answers;
  std::vector<v1::AccountingOutcome*> outcomes;
  for (int i = 0; i < n; ++i) {
    const v1::AccountingRequest& r = req->records(i);
    v1::AccountingOutcome* o = resp->add_outcomes();
    if (absl::Status bad = CheckAccounting(r); !bad.ok()) {
      metrics_.Count(v1::RecordType_Name(r.record_type()), "INVALID_ARGUMENT");
      o->set_code(static_cast<int>(bad.code()));
      o->set_error(std::string(bad.message()));
      continue;
    }
    valid.push_back(&r);
    answers.push_back(o->mutable_answer());
    outcomes.push_back(o);
  }
  if (valid.empty()) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  auto left = std::make_shared<std::atomic<size_t>>(valid.size());
  store_.AccountingManyAsync(
      valid, answers,
      [this, reactor, valid, outcomes, left](size_t i, absl::Status s) {
        metrics_.Count(v1::RecordType_Name(valid[i]->record_type()),
                       s.ok() ? "OK" : absl::StatusCodeToString(s.code()));
        if (!s.ok()) {
          outcomes[i]->clear_answer();
          outcomes[i]->set_code(static_cast<int>(s.code()));
          outcomes[i]->set_error(std::string(s.message()));
        } else if (outcomes[i]->answer().cdr_sequence() != 0) {
          metrics_.CdrWritten();
        }
        if (left->fetch_sub(1) == 1) reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::Status ChargingAdminService::CreateAccount(grpc::ServerContext* ctx,
                                                 const v1::CreateAccountRequest* req,
                                                 v1::Account* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kOperator); !denied.ok()) return denied;
  if (absl::Status bad = CheckNewAccount(req->account()); !bad.ok()) return ToGrpcStatus(bad);
  return Reply(store_.CreateAccount(req->account(), req->actor()), resp);
}

grpc::Status ChargingAdminService::GetAccount(grpc::ServerContext* ctx,
                                              const v1::GetAccountRequest* req, v1::Account* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kBilling); !denied.ok()) return denied;
  return Reply(store_.GetAccount(req->subject()), resp);
}

grpc::Status ChargingAdminService::AdjustBalance(grpc::ServerContext* ctx,
                                                 const v1::AdjustBalanceRequest* req,
                                                 v1::Account* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kOperator); !denied.ok()) return denied;
  if (absl::Status bad = CheckAdjustment(*req); !bad.ok()) return ToGrpcStatus(bad);
  return Reply(store_.AdjustBalance(*req), resp);
}

grpc::Status ChargingAdminService::PutTariff(grpc::ServerContext* ctx, const v1::PutTariffRequest* req,
                                             v1::Tariff* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kOperator); !denied.ok()) return denied;
  if (absl::Status bad = CheckTariff(req->tariff()); !bad.ok()) return ToGrpcStatus(bad);
  return Reply(store_.PutTariff(req->tariff(), req->actor()), resp);
}

grpc::Status ChargingAdminService::ListTariffs(grpc::ServerContext* ctx, const v1::ListTariffsRequest*,
                                               v1::ListTariffsResponse* resp) {
  if (grpc::Status denied = CheckAdmin(ctx, AdminRole::kBilling); !denied.ok()) return denied;
  auto tariffs = store_.ListTariffs();
  if (!tariffs.ok()) return ToGrpcStatus(tariffs.status());
  for (v1::Tariff& t : *tariffs) *resp->add_tariffs() = std::move(t);
  return grpc::Status::OK;
}

}  // namespace p2pims::charging
