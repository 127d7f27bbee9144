// The ChargingAdmin calls p2pimsctl makes, like RightsClient: one attempt each with a deadline,
// no retries, errors marked as RPC errors naming charging's address when it cannot be reached
// (see cli_error.h). TailCdrs is the exception: a stream without deadline that runs until the
// consumer of the CDRs or an interrupt stops it.
//
//   ChargingClient charging("127.0.0.1:50052", absl::Seconds(10));
//   v1::GetAccountRequest req;
//   req.set_subject("sip:alice@ims.example.net");
//   absl::StatusOr<v1::Account> a = charging.GetAccount(req);
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "p2pims/charging/v1/charging.grpc.pb.h"
#include "tools/p2pimsctl/interrupts.h"

namespace p2pims::ctl {

namespace cv1 = ::p2pims::charging::v1;

class ChargingClient {
 public:
  // Connects lazily: nothing happens on the network until the first call.
  ChargingClient(std::string address, absl::Duration deadline);

  const std::string& address() const { return address_; }

  absl::StatusOr<cv1::Account> CreateAccount(const cv1::CreateAccountRequest& req);
  absl::StatusOr<cv1::Account> GetAccount(const cv1::GetAccountRequest& req);
  absl::StatusOr<cv1::Account> AdjustBalance(const cv1::AdjustBalanceRequest& req);
  absl::StatusOr<cv1::PullCdrsResponse> PullCdrs(const cv1::PullCdrsRequest& req);
  absl::StatusOr<cv1::AckCdrsResponse> AckCdrs(const cv1::AckCdrsRequest& req);
  absl::StatusOr<cv1::Tariff> PutTariff(const cv1::PutTariffRequest& req);
  absl::StatusOr<cv1::ListTariffsResponse> ListTariffs(const cv1::ListTariffsRequest& req);
  absl::StatusOr<cv1::GetSettlementResponse> GetSettlement(const cv1::GetSettlementRequest& req);

  // Streams CDRs to `on_cdr` until it returns false, charging ends the stream or `interrupts`
  // fires (SIGINT, SIGTERM); all three are success. Errors: the stream's status as an RPC error,
  // or the first error `on_cdr` returns (which cancels the stream).
  absl::Status TailCdrs(const cv1::TailCdrsRequest& req,
                        const std::function<absl::StatusOr<bool>(const cv1::Cdr&)>& on_cdr,
                        Interrupts& interrupts);

 private:
  template <typename Request, typename Response>
  using Method = grpc::Status (cv1::ChargingAdmin::Stub::*)(grpc::ClientContext*, const Request&,
                                                            Response*);
  template <typename Request, typename Response>
  absl::StatusOr<Response> Invoke(Method<Request, Response> method, const Request& req);

  std::string address_;
  absl::Duration deadline_;
  std::unique_ptr<cv1::ChargingAdmin::Stub> stub_;
};

}  // namespace p2pims::ctl
