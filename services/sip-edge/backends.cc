#include "services/sip-edge/backends.h"

#include "lib/grpc/client.h"

namespace p2pims::sip_edge {
namespace {

class GrpcBackends final : public Backends {
 public:
  explicit GrpcBackends(const BackendAddresses& a)
      : rights_(rv1::Rights::NewStub(MakeChannel(a.rights))),
        charging_(cv1::Charging::NewStub(MakeChannel(a.charging))),
        tracker_(tv1::Tracker::NewStub(MakeChannel(a.tracker))),
        options_{.deadline = a.deadline, .idempotent = true, .max_attempts = 2} {}

  absl::StatusOr<rv1::AuthorizeResponse> Authorize(const rv1::AuthorizeRequest& req) override {
    return Unary<rv1::AuthorizeResponse>(
        [&](grpc::ClientContext& c, auto* r) { return rights_->Authorize(&c, req, r); });
  }
  absl::StatusOr<cv1::CreditControlAnswer> CreditControl(
      const cv1::CreditControlRequest& req) override {
    return Unary<cv1::CreditControlAnswer>(
        [&](grpc::ClientContext& c, auto* r) { return charging_->CreditControl(&c, req, r); });
  }
  absl::StatusOr<cv1::AccountingAnswer> Accounting(const cv1::AccountingRequest& req) override {
    return Unary<cv1::AccountingAnswer>(
        [&](grpc::ClientContext& c, auto* r) { return charging_->Accounting(&c, req, r); });
  }
  absl::StatusOr<tv1::OpenSessionResponse> OpenSession(
      const tv1::OpenSessionRequest& req) override {
    return Unary<tv1::OpenSessionResponse>(
        [&](grpc::ClientContext& c, auto* r) { return tracker_->OpenSession(&c, req, r); });
  }
  absl::StatusOr<tv1::CloseSessionResponse> CloseSession(
      const tv1::CloseSessionRequest& req) override {
    return Unary<tv1::CloseSessionResponse>(
        [&](grpc::ClientContext& c, auto* r) { return tracker_->CloseSession(&c, req, r); });
  }
  absl::StatusOr<tv1::RegisterPresenceResponse> RegisterPresence(
      const tv1::RegisterPresenceRequest& req) override {
    return Unary<tv1::RegisterPresenceResponse>(
        [&](grpc::ClientContext& c, auto* r) { return tracker_->RegisterPresence(&c, req, r); });
  }

 private:
  template <typename Resp, typename F>
  absl::StatusOr<Resp> Unary(F&& rpc) {
    Resp resp;
    absl::Status s = Call(options_, [&](grpc::ClientContext& ctx) {
      resp.Clear();
      return rpc(ctx, &resp);
    });
    if (!s.ok()) return s;
    return resp;
  }

  std::unique_ptr<rv1::Rights::Stub> rights_;
  std::unique_ptr<cv1::Charging::Stub> charging_;
  std::unique_ptr<tv1::Tracker::Stub> tracker_;
  CallOptions options_;
};

}  // namespace

std::unique_ptr<Backends> MakeGrpcBackends(const BackendAddresses& addresses) {
  return std::make_unique<GrpcBackends>(addresses);
}

}  // namespace p2pims::sip_edge
