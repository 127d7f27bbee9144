#include "tools/p2pimsctl/rights_client.h"

#include "lib/grpc/client.h"
#include "tools/p2pimsctl/cli_error.h"

namespace p2pims::ctl {

RightsClient::RightsClient(std::string address, absl::Duration deadline)
    : address_(std::move(address)),
      deadline_(deadline),
      stub_(v1::RightsAdmin::NewStub(MakeChannel(address_))) {}

template <typename Request, typename Response>
absl::StatusOr<Response> RightsClient::Invoke(Method<Request, Response> method,
                                              const Request& req) {
  Response resp;
  // Not idempotent on purpose, even for reads: a retry would wait for a channel that is down and
  // turn "rights is down" (UNAVAILABLE) into a slow DEADLINE_EXCEEDED.
  absl::Status s =
      Call({.deadline = deadline_, .idempotent = false},
           [&](grpc::ClientContext& ctx) { return (stub_.get()->*method)(&ctx, req, &resp); });
  if (!s.ok()) return RpcError(s, address_);
  return resp;
}

absl::StatusOr<v1::Content> RightsClient::RegisterContent(const v1::RegisterContentRequest& req) {
  return Invoke(&v1::RightsAdmin::Stub::RegisterContent, req);
}
absl::StatusOr<v1::Content> RightsClient::UpdateLicence(const v1::UpdateLicenceRequest& req) {
  return Invoke(&v1::RightsAdmin::Stub::UpdateLicence, req);
}
absl::StatusOr<v1::Content> RightsClient::WithdrawContent(const v1::WithdrawContentRequest& req) {
  return Invoke(&v1::RightsAdmin::Stub::WithdrawContent, req);
}
absl::StatusOr<v1::Content> RightsClient::GetContent(const v1::GetContentRequest& req) {
  return Invoke(&v1::RightsAdmin::Stub::GetContent, req);
}
absl::StatusOr<v1::ListContentResponse> RightsClient::ListContent(
    const v1::ListContentRequest& req) {
  return Invoke(&v1::RightsAdmin::Stub::ListContent, req);
}
absl::StatusOr<v1::Entitlement> RightsClient::GrantEntitlement(
    const v1::GrantEntitlementRequest& req) {
  return Invoke(&v1::RightsAdmin::Stub::GrantEntitlement, req);
}
absl::StatusOr<v1::Entitlement> RightsClient::RevokeEntitlement(
    const v1::RevokeEntitlementRequest& req) {
  return Invoke(&v1::RightsAdmin::Stub::RevokeEntitlement, req);
}
absl::StatusOr<v1::ListEntitlementsResponse> RightsClient::ListEntitlements(
    const v1::ListEntitlementsRequest& req) {
  return Invoke(&v1::RightsAdmin::Stub::ListEntitlements, req);
}
absl::StatusOr<v1::Revocation> RightsClient::Revoke(const v1::RevokeRequest& req) {
  return Invoke(&v1::RightsAdmin::Stub::Revoke, req);
}
absl::StatusOr<v1::QueryAuditResponse> RightsClient::QueryAudit(const v1::QueryAuditRequest& req) {
  return Invoke(&v1::RightsAdmin::Stub::QueryAudit, req);
}

}  // namespace p2pims::ctl
