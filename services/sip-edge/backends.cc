#include "services/sip-edge/backends.h"

#include <chrono>

#include "lib/grpc/client.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/histogram.h"

namespace p2pims::sip_edge {
namespace {

// Latency and failures of one backend method, created up front (no lock per call).
struct MethodMetrics {
  metrics::Histogram* seconds;
  metrics::Family<metrics::Counter>* errors;
  std::string backend, method;
  void Failed(const absl::Status& s) const {
    errors->Add({{"backend", backend}, {"method", method}, {"code", absl::StatusCodeToString(s.code())}})
        .Increment();
  }
};

class GrpcBackends final : public Backends {
 public:
  GrpcBackends(const BackendAddresses& a, metrics::Registry& registry)
      : rights_(rv1::Rights::NewStub(MakeChannel(a.rights))),
        charging_(cv1::Charging::NewStub(MakeChannel(a.charging))),
        tracker_(tv1::Tracker::NewStub(MakeChannel(a.tracker))),
        options_{.deadline = a.deadline, .idempotent = true, .max_attempts = 2},
        seconds_(metrics::BuildHistogram()
                     .Name("p2pims_sip_backend_call_seconds")
                     .Help("Backend calls by sip-edge, from the first attempt to the answer (a "
                           "retry included), by backend and method.")
                     .Register(registry)),
        errors_(metrics::BuildCounter()
                    .Name("p2pims_sip_backend_errors_total")
                    .Help("Backend calls that ended in an error, by backend, method and gRPC code.")
                    .Register(registry)),
        authorize_(Method("rights", "Authorize")),
        search_catalogue_(Method("rights", "SearchCatalogue")),
        credit_control_(Method("charging", "CreditControl")),
        accounting_(Method("charging", "Accounting")),
        accounting_batch_(Method("charging", "AccountingBatch")),
        open_session_(Method("tracker", "OpenSession")),
        close_session_(Method("tracker", "CloseSession")),
        register_presence_(Method("tracker", "RegisterPresence")),
        session_progress_(Method("tracker", "SessionProgress")) {}

  absl::StatusOr<rv1::AuthorizeResponse> Authorize(const rv1::AuthorizeRequest& req) override {
    return Unary<rv1::AuthorizeResponse>(authorize_,
        [&](grpc::ClientContext& c, auto* r) { return rights_->Authorize(&c, req, r); });
  }
  absl::StatusOr<rv1::SearchCatalogueResponse> SearchCatalogue(
      const rv1::SearchCatalogueRequest& req) override {
    return Unary<rv1::SearchCatalogueResponse>(search_catalogue_,
        [&](grpc::ClientContext& c, auto* r) { return rights_->SearchCatalogue(&c, req, r); });
  }
  absl::StatusOr<cv1::CreditControlAnswer> CreditControl(
      const cv1::CreditControlRequest& req) override {
    return Unary<cv1::CreditControlAnswer>(credit_control_,
        [&](grpc::ClientContext& c, auto* r) { return charging_->CreditControl(&c, req, r); });
  }
  absl::StatusOr<cv1::AccountingAnswer> Accounting(const cv1::AccountingRequest& req) override {
    return Unary<cv1::AccountingAnswer>(accounting_,
        [&](grpc::ClientContext& c, auto* r) { return charging_->Accounting(&c, req, r); });
  }
  absl::StatusOr<cv1::AccountingBatchResponse> AccountingBatch(
      const cv1::AccountingBatchRequest& req) override {
    return Unary<cv1::AccountingBatchResponse>(accounting_batch_,
        [&](grpc::ClientContext& c, auto* r) { return charging_->AccountingBatch(&c, req, r); });
  }
  absl::StatusOr<tv1::OpenSessionResponse> OpenSession(
      const tv1::OpenSessionRequest& req) override {
    return Unary<tv1::OpenSessionResponse>(open_session_,
        [&](grpc::ClientContext& c, auto* r) { return tracker_->OpenSession(&c, req, r); });
  }
  absl::StatusOr<tv1::CloseSessionResponse> CloseSession(
      const tv1::CloseSessionRequest& req) override {
    return Unary<tv1::CloseSessionResponse>(close_session_,
        [&](grpc::ClientContext& c, auto* r) { return tracker_->CloseSession(&c, req, r); });
  }
  absl::StatusOr<tv1::RegisterPresenceResponse> RegisterPresence(
      const tv1::RegisterPresenceRequest& req) override {
    return Unary<tv1::RegisterPresenceResponse>(register_presence_,
        [&](grpc::ClientContext& c, auto* r) { return tracker_->RegisterPresence(&c, req, r); });
  }
  absl::StatusOr<tv1::SessionProgressResponse> SessionProgress(
      const tv1::SessionProgressRequest& req) override {
    return Unary<tv1::SessionProgressResponse>(session_progress_,
        [&](grpc::ClientContext& c, auto* r) { return tracker_->SessionProgress(&c, req, r); });
  }

 private:
  MethodMetrics Method(const char* backend, const char* method) {
    return {&seconds_.Add({{"backend", backend}, {"method", method}}, metrics::LatencyBuckets()),
            &errors_, backend, method};
  }

  template <typename Resp, typename F>
  absl::StatusOr<Resp> Unary(const MethodMetrics& m, F&& rpc) {
    const auto start = std::chrono::steady_clock::now();
    Resp resp;
    absl::Status s = Call(options_, [&](grpc::ClientContext& ctx) {
      resp.Clear();
      return rpc(ctx, &resp);
    });
    m.seconds->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!s.ok()) {
      m.Failed(s);
      return s;
    }
    return resp;
  }

  std::unique_ptr<rv1::Rights::Stub> rights_;
  std::unique_ptr<cv1::Charging::Stub> charging_;
  std::unique_ptr<tv1::Tracker::Stub> tracker_;
  CallOptions options_;
  metrics::Family<metrics::Histogram>& seconds_;
  metrics::Family<metrics::Counter>& errors_;
  const MethodMetrics authorize_, search_catalogue_, credit_control_, accounting_, accounting_batch_,
      open_session_,
      close_session_, register_presence_, session_progress_;
};

}  // namespace

std::unique_ptr<Backends> MakeGrpcBackends(const BackendAddresses& addresses,
                                           metrics::Registry& registry) {
  return std::make_unique<GrpcBackends>(addresses, registry);
}

}  // namespace p2pims::sip_edge
