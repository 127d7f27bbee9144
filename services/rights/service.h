// Rights' gRPC handlers: the Rights service (Authorize, signing keys, the revocation stream) and
// the RightsAdmin service (catalogue, entitlements, revocations, audit). Handlers validate and
// translate; decisions live in AccessControl, persistence in RightsStore.
#pragma once

#include <string>

#include "lib/concurrency/worker_pool.h"
#include "p2pims/rights/v1/rights.grpc.pb.h"
#include "services/rights/access_control.h"
#include "services/rights/keyring.h"
#include "services/rights/revocation_set.h"
#include "services/rights/store.h"

namespace p2pims::rights {

// Thread-safe. Authorize uses gRPC's callback API: a decision the caches can answer runs inline
// on gRPC's own thread (no thread hand-off), one that needs PostgreSQL runs on `slow_path` so
// that no gRPC thread waits on the database.
class RightsService final
    : public v1::Rights::WithCallbackMethod_Authorize<v1::Rights::Service> {
 public:
  // `slow_path` may be null: every decision then runs inline.
  RightsService(RightsStore& store, AccessControl& access, Keyring& keys,
                RevocationSet& revocations, const ChangeListener* listener, WorkerPool* slow_path)
      : store_(store),
        access_(access),
        keys_(keys),
        revocations_(revocations),
        listener_(listener),
        slow_path_(slow_path) {}

  grpc::ServerUnaryReactor* Authorize(grpc::CallbackServerContext* ctx,
                                      const v1::AuthorizeRequest* req,
                                      v1::AuthorizeResponse* resp) override;
  // The whole decision, on the calling thread (the worker pool's, or a test's).
  grpc::Status Decide(const v1::AuthorizeRequest& req, v1::AuthorizeResponse* resp) {
    return *Decide(req, resp, AccessControl::Reach::kDatabase);
  }
  // nullopt when `reach` is kMemoryOnly and the decision needs the database.
  std::optional<grpc::Status> Decide(const v1::AuthorizeRequest& req,
                                     v1::AuthorizeResponse* resp, AccessControl::Reach reach);
  grpc::Status GetSigningKeys(grpc::ServerContext*, const v1::GetSigningKeysRequest*,
                              v1::GetSigningKeysResponse* resp) override;
  // Sends the revocations in force after req.after_sequence, then each new one as it is
  // recorded (by any replica), until the caller cancels or the server stops.
  grpc::Status WatchRevocations(grpc::ServerContext* ctx, const v1::WatchRevocationsRequest* req,
                                grpc::ServerWriter<v1::Revocation>* writer) override;
  grpc::Status SearchCatalogue(grpc::ServerContext*, const v1::SearchCatalogueRequest* req,
                               v1::SearchCatalogueResponse* resp) override;

 private:
  RightsStore& store_;
  AccessControl& access_;
  Keyring& keys_;
  RevocationSet& revocations_;
  const ChangeListener* listener_;  // may be null: the stream then polls the database
  WorkerPool* slow_path_;
};

// Operator administration. Thread-safe. Every change commits with its audit record, and this
// replica's caches drop what it changed at once (others follow their change listener).
class RightsAdminService final : public v1::RightsAdmin::Service {
 public:
  RightsAdminService(RightsStore& store, AccessControl& access, RevocationSet& revocations)
      : store_(store), access_(access), revocations_(revocations) {}

  grpc::Status RegisterContent(grpc::ServerContext*, const v1::RegisterContentRequest* req,
                               v1::Content* resp) override;
  grpc::Status UpdateLicence(grpc::ServerContext*, const v1::UpdateLicenceRequest* req,
                             v1::Content* resp) override;
  grpc::Status WithdrawContent(grpc::ServerContext*, const v1::WithdrawContentRequest* req,
                               v1::Content* resp) override;
  grpc::Status GetContent(grpc::ServerContext*, const v1::GetContentRequest* req,
                          v1::Content* resp) override;
  grpc::Status ListContent(grpc::ServerContext*, const v1::ListContentRequest* req,
                           v1::ListContentResponse* resp) override;
  grpc::Status GrantEntitlement(grpc::ServerContext*, const v1::GrantEntitlementRequest* req,
                                v1::Entitlement* resp) override;
  grpc::Status RevokeEntitlement(grpc::ServerContext*, const v1::RevokeEntitlementRequest* req,
                                 v1::Entitlement* resp) override;
  grpc::Status ListEntitlements(grpc::ServerContext*, const v1::ListEntitlementsRequest* req,
                                v1::ListEntitlementsResponse* resp) override;
  grpc::Status Revoke(grpc::ServerContext*, const v1::RevokeRequest* req,
                      v1::Revocation* resp) override;
  grpc::Status QueryAudit(grpc::ServerContext*, const v1::QueryAuditRequest* req,
                          v1::QueryAuditResponse* resp) override;

 private:
  grpc::Status Reply(const std::string& content_id, v1::Content* resp);

  RightsStore& store_;
  AccessControl& access_;
  RevocationSet& revocations_;
};

}  // namespace p2pims::rights
