// Rights' gRPC handlers: the Rights service (Authorize, signing keys, revocations) and the
// RightsAdmin service (catalogue and entitlements).
#pragma once

#include <string>

#include "absl/time/time.h"
#include "lib/token/signer.h"
#include "p2pims/rights/v1/rights.grpc.pb.h"
#include "services/rights/store.h"

namespace p2pims::rights {

struct RightsOptions {
  absl::Duration token_ttl = absl::Hours(4);
  std::string node_id = "rights-0";
};

// Thread-safe: handlers share only the store and immutable keys.
class RightsService final : public v1::Rights::Service {
 public:
  RightsService(RightsStore& store, std::vector<token::KeyPair> keys, RightsOptions options);

  grpc::Status Authorize(grpc::ServerContext*, const v1::AuthorizeRequest* req,
                         v1::AuthorizeResponse* resp) override;
  grpc::Status GetSigningKeys(grpc::ServerContext*, const v1::GetSigningKeysRequest*,
                              v1::GetSigningKeysResponse* resp) override;

 private:
  RightsStore& store_;
  std::vector<token::KeyPair> keys_;  // keys_[0] signs
  token::Signer signer_;
  RightsOptions options_;
};

// Operator administration. Thread-safe.
class RightsAdminService final : public v1::RightsAdmin::Service {
 public:
  explicit RightsAdminService(RightsStore& store) : store_(store) {}

  grpc::Status RegisterContent(grpc::ServerContext*, const v1::RegisterContentRequest* req,
                               v1::Content* resp) override;
  grpc::Status GetContent(grpc::ServerContext*, const v1::GetContentRequest* req,
                          v1::Content* resp) override;
  grpc::Status ListContent(grpc::ServerContext*, const v1::ListContentRequest* req,
                           v1::ListContentResponse* resp) override;
  grpc::Status GrantEntitlement(grpc::ServerContext*, const v1::GrantEntitlementRequest* req,
                                v1::Entitlement* resp) override;

 private:
  RightsStore& store_;
};

}  // namespace p2pims::rights
