#include "tools/p2pimsctl/charging_client.h"


#include "lib/grpc/client.h"
#include "lib/grpc/status.h"
#include "tools/p2pimsctl/cli_error.h"

namespace p2pims::ctl {
namespace {

// A page of 10,000 CDRs (PullCdrs' cap) is several megabytes, more than gRPC's default 4 MiB.
constexpr int kMaxReceiveBytes = 64 << 20;

}  // namespace

ChargingClient::ChargingClient(std::string address, absl::Duration deadline)
    : address_(std::move(address)),
      deadline_(deadline),
      stub_(cv1::ChargingAdmin::NewStub(MakeChannel(address_, kMaxReceiveBytes))) {}

template <typename Request, typename Response>
absl::StatusOr<Response> ChargingClient::Invoke(Method<Request, Response> method,
                                                const Request& req) {
  Response resp;
  // One attempt, as RightsClient: AdjustBalance is only idempotent with a key, and a retry of a
  // read would turn "charging is down" into a slow DEADLINE_EXCEEDED.
  absl::Status s =
      Call({.deadline = deadline_, .idempotent = false},
           [&](grpc::ClientContext& ctx) { return (stub_.get()->*method)(&ctx, req, &resp); });
  if (!s.ok()) return RpcError(s, "charging", address_);
  return resp;
}

absl::StatusOr<cv1::Account> ChargingClient::CreateAccount(const cv1::CreateAccountRequest& req) {
  return Invoke(&cv1::ChargingAdmin::Stub::CreateAccount, req);
}
absl::StatusOr<cv1::Account> ChargingClient::GetAccount(const cv1::GetAccountRequest& req) {
  return Invoke(&cv1::ChargingAdmin::Stub::GetAccount, req);
}
absl::StatusOr<cv1::Account> ChargingClient::AdjustBalance(const cv1::AdjustBalanceRequest& req) {
  return Invoke(&cv1::ChargingAdmin::Stub::AdjustBalance, req);
}
absl::StatusOr<cv1::PullCdrsResponse> ChargingClient::PullCdrs(const cv1::PullCdrsRequest& req) {
  return Invoke(&cv1::ChargingAdmin::Stub::PullCdrs, req);
}
absl::StatusOr<cv1::AckCdrsResponse> ChargingClient::AckCdrs(const cv1::AckCdrsRequest& req) {
  return Invoke(&cv1::ChargingAdmin::Stub::AckCdrs, req);
}
absl::StatusOr<cv1::Tariff> ChargingClient::PutTariff(const cv1::PutTariffRequest& req) {
  return Invoke(&cv1::ChargingAdmin::Stub::PutTariff, req);
}
absl::StatusOr<cv1::ListTariffsResponse> ChargingClient::ListTariffs(
    const cv1::ListTariffsRequest& req) {
  return Invoke(&cv1::ChargingAdmin::Stub::ListTariffs, req);
}
absl::StatusOr<cv1::GetSettlementResponse> ChargingClient::GetSettlement(
    const cv1::GetSettlementRequest& req) {
  return Invoke(&cv1::ChargingAdmin::Stub::GetSettlement, req);
}

absl::Status ChargingClient::TailCdrs(
    const cv1::TailCdrsRequest& req,
    const std::function<absl::StatusOr<bool>(const cv1::Cdr&)>& on_cdr, Interrupts& interrupts) {
  // No deadline: a tail runs until it is stopped. wait_for_ready stays false, so charging being
  // down is UNAVAILABLE at once rather than a hang.
  grpc::ClientContext ctx;
  AttachCallerToken(ctx);
  interrupts.OnInterrupt([&ctx] { ctx.TryCancel(); });
  std::unique_ptr<grpc::ClientReader<cv1::Cdr>> reader = stub_->TailCdrs(&ctx, req);
  absl::Status callback_error;
  bool stopped = false;
  cv1::Cdr cdr;
  while (reader->Read(&cdr)) {
    absl::StatusOr<bool> more = on_cdr(cdr);
    if (!more.ok() || !*more) {
      if (!more.ok()) callback_error = more.status();
      stopped = true;
      ctx.TryCancel();
      break;
    }
  }
  interrupts.OnInterrupt(nullptr);  // ctx must outlive every cancel
  const grpc::Status finished = reader->Finish();
  if (!callback_error.ok()) return callback_error;
  if (stopped || interrupts.requested()) return absl::OkStatus();
  if (finished.ok()) return absl::OkStatus();
  return RpcError(FromGrpcStatus(finished), "charging", address_);
}

}  // namespace p2pims::ctl
