// The three services sip-edge drives, behind one interface so the session logic can be tested
// alone. GrpcBackends is the real one: every call has a deadline and, since each of these RPCs is
// idempotent by contract, is retried once on UNAVAILABLE.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/metrics/registry.h"
#include "p2pims/charging/v1/charging.grpc.pb.h"
#include "p2pims/rights/v1/rights.grpc.pb.h"
#include "p2pims/tracker/v1/tracker.grpc.pb.h"

namespace p2pims::sip_edge {

namespace rv1 = ::p2pims::rights::v1;
namespace cv1 = ::p2pims::charging::v1;
namespace tv1 = ::p2pims::tracker::v1;

// Implementations must be thread-safe.
class Backends {
 public:
  virtual ~Backends() = default;
  virtual absl::StatusOr<rv1::AuthorizeResponse> Authorize(const rv1::AuthorizeRequest& req) = 0;
  virtual absl::StatusOr<cv1::CreditControlAnswer> CreditControl(
      const cv1::CreditControlRequest& req) = 0;
  virtual absl::StatusOr<cv1::AccountingAnswer> Accounting(const cv1::AccountingRequest& req) = 0;
  virtual absl::StatusOr<cv1::AccountingBatchResponse> AccountingBatch(
      const cv1::AccountingBatchRequest& req) = 0;
  virtual absl::StatusOr<tv1::OpenSessionResponse> OpenSession(
      const tv1::OpenSessionRequest& req) = 0;
  virtual absl::StatusOr<tv1::CloseSessionResponse> CloseSession(
      const tv1::CloseSessionRequest& req) = 0;
  virtual absl::StatusOr<rv1::SearchCatalogueResponse> SearchCatalogue(
      const rv1::SearchCatalogueRequest& req) = 0;
  virtual absl::StatusOr<tv1::RegisterPresenceResponse> RegisterPresence(
      const tv1::RegisterPresenceRequest& req) = 0;
  virtual absl::StatusOr<tv1::SessionProgressResponse> SessionProgress(
      const tv1::SessionProgressRequest& req) = 0;
};

struct BackendAddresses {
  std::string rights = "127.0.0.1:50051";
  std::string charging = "127.0.0.1:50052";
  std::string tracker = "127.0.0.1:50053";
  absl::Duration deadline = absl::Milliseconds(800);
};

// Each call is timed and its errors counted in `registry` (p2pims_sip_backend_call_seconds,
// p2pims_sip_backend_errors_total).
std::unique_ptr<Backends> MakeGrpcBackends(const BackendAddresses& addresses,
                                           metrics::Registry& registry);

}  // namespace p2pims::sip_edge
