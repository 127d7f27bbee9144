// Charging's gRPC handlers: Charging (Ro credit control, Rf accounting) and ChargingAdmin
// (accounts, CDR pull/ack).
#pragma once

#include "p2pims/charging/v1/charging.grpc.pb.h"
#include "services/charging/cdr_store.h"
#include "services/charging/charging_metrics.h"
#include "services/charging/store.h"

namespace p2pims::charging {

// Thread-safe. Callback API: a request waits for its engine batch without holding a thread.
class ChargingService final : public v1::Charging::CallbackService {
 public:
  ChargingService(ChargingStore& store, ChargingMetrics& metrics)
      : store_(store), metrics_(metrics) {}
  grpc::ServerUnaryReactor* CreditControl(grpc::CallbackServerContext* ctx,
                                          const v1::CreditControlRequest* req,
                                          v1::CreditControlAnswer* resp) override;
  grpc::ServerUnaryReactor* Accounting(grpc::CallbackServerContext* ctx,
                                       const v1::AccountingRequest* req,
                                       v1::AccountingAnswer* resp) override;
  grpc::ServerUnaryReactor* AccountingBatch(grpc::CallbackServerContext* ctx,
                                            const v1::AccountingBatchRequest* req,
                                            v1::AccountingBatchResponse* resp) override;

  static constexpr int kMaxBatch = 10'000;

 private:
  ChargingStore& store_;
  ChargingMetrics& metrics_;
};

// Thread-safe. Accounts and tariffs are in service.cc; CDR pull, ack, tail and settlement
// (the billing side) in billing_service.cc.
class ChargingAdminService final : public v1::ChargingAdmin::Service {
 public:
  ChargingAdminService(ChargingStore& store, CdrStore& cdrs) : store_(store), cdrs_(cdrs) {}
  grpc::Status CreateAccount(grpc::ServerContext*, const v1::CreateAccountRequest* req,
                             v1::Account* resp) override;
  grpc::Status GetAccount(grpc::ServerContext*, const v1::GetAccountRequest* req,
                          v1::Account* resp) override;
  grpc::Status AdjustBalance(grpc::ServerContext*, const v1::AdjustBalanceRequest* req,
                             v1::Account* resp) override;
  grpc::Status PullCdrs(grpc::ServerContext*, const v1::PullCdrsRequest* req,
                        v1::PullCdrsResponse* resp) override;
  grpc::Status AckCdrs(grpc::ServerContext*, const v1::AckCdrsRequest* req,
                       v1::AckCdrsResponse* resp) override;
  grpc::Status TailCdrs(grpc::ServerContext* ctx, const v1::TailCdrsRequest* req,
                        grpc::ServerWriter<v1::Cdr>* writer) override;
  grpc::Status GetSettlement(grpc::ServerContext*, const v1::GetSettlementRequest* req,
                             v1::GetSettlementResponse* resp) override;
  grpc::Status PutTariff(grpc::ServerContext*, const v1::PutTariffRequest* req,
                         v1::Tariff* resp) override;
  grpc::Status ListTariffs(grpc::ServerContext*, const v1::ListTariffsRequest* req,
                           v1::ListTariffsResponse* resp) override;

 private:
  ChargingStore& store_;
  CdrStore& cdrs_;
};

}  // namespace p2pims::charging
