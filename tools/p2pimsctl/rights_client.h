// The RightsAdmin calls p2pimsctl makes: one attempt each with a deadline, no retries (the
// operator sees the failure and can run the command again), errors marked as RPC errors that
// name the address when rights cannot be reached (see cli_error.h).
//
//   RightsClient rights("127.0.0.1:50051", absl::Seconds(5));
//   v1::GetContentRequest req;
//   req.set_content_id("sintel");
//   absl::StatusOr<v1::Content> c = rights.GetContent(req);
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "p2pims/rights/v1/rights.grpc.pb.h"

namespace p2pims::ctl {

namespace v1 = ::p2pims::rights::v1;

class RightsClient {
 public:
  // Connects lazily: nothing happens on the network until the first call.
  RightsClient(std::string address, absl::Duration deadline);

  absl::StatusOr<v1::Content> RegisterContent(const v1::RegisterContentRequest& req);
  absl::StatusOr<v1::Content> UpdateLicence(const v1::UpdateLicenceRequest& req);
  absl::StatusOr<v1::Content> WithdrawContent(const v1::WithdrawContentRequest& req);
  absl::StatusOr<v1::Content> GetContent(const v1::GetContentRequest& req);
  absl::StatusOr<v1::ListContentResponse> ListContent(const v1::ListContentRequest& req);
  absl::StatusOr<v1::Entitlement> GrantEntitlement(const v1::GrantEntitlementRequest& req);
  absl::StatusOr<v1::Entitlement> RevokeEntitlement(const v1::RevokeEntitlementRequest& req);
  absl::StatusOr<v1::ListEntitlementsResponse> ListEntitlements(
      const v1::ListEntitlementsRequest& req);
  absl::StatusOr<v1::Revocation> Revoke(const v1::RevokeRequest& req);
  absl::StatusOr<v1::QueryAuditResponse> QueryAudit(const v1::QueryAuditRequest& req);

 private:
  template <typename Request, typename Response>
  using Method = grpc::Status (v1::RightsAdmin::Stub::*)(grpc::ClientContext*, const Request&,
                                                         Response*);
  template <typename Request, typename Response>
  absl::StatusOr<Response> Invoke(Method<Request, Response> method, const Request& req);

  std::string address_;
  absl::Duration deadline_;
  std::unique_ptr<v1::RightsAdmin::Stub> stub_;
};

}  // namespace p2pims::ctl
