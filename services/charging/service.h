// Charging's gRPC handlers: Charging (Ro credit control, Rf accounting) and ChargingAdmin
// (accounts, CDR pull/ack).
#pragma once

#include "p2pims/charging/v1/charging.grpc.pb.h"
#include "services/charging/store.h"

namespace p2pims::charging {

// Thread-safe.
class ChargingService final : public v1::Charging::Service {
 public:
  explicit ChargingService(ChargingStore& store) : store_(store) {}
  grpc::Status CreditControl(grpc::ServerContext*, const v1::CreditControlRequest* req,
                             v1::CreditControlAnswer* resp) override;
  grpc::Status Accounting(grpc::ServerContext*, const v1::AccountingRequest* req,
                          v1::AccountingAnswer* resp) override;

 private:
  ChargingStore& store_;
};

// Thread-safe.
class ChargingAdminService final : public v1::ChargingAdmin::Service {
 public:
  explicit ChargingAdminService(ChargingStore& store) : store_(store) {}
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

 private:
  ChargingStore& store_;
};

}  // namespace p2pims::charging
