// Test scaffolding for rights against a real PostgreSQL: a whole replica (store, caches,
// revocations, audit writer, keys, gRPC handlers) built in-process, and request builders.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "lib/metrics/registry.h"
#include "lib/pg/testing/schema_test.h"
#include "lib/token/signer.h"
#include "services/rights/access_control.h"
#include "services/rights/service.h"
#include "services/rights/store.h"

namespace p2pims::rights {

// A 20-byte info-hash made of one repeated character, distinct per content in a test.
inline std::string Hash(char c) { return std::string(20, c); }

inline int64_t Now() { return absl::ToUnixSeconds(absl::Now()); }

inline v1::Content MakeContent(const std::string& id, v1::PriceModel model, int64_t price,
                               char hash, const std::string& owner = "studio") {
  v1::Content c;
  c.set_content_id(id);
  c.set_title("Title of " + id);
  c.set_owner(owner);
  c.set_info_hash_v1(Hash(hash));
  c.set_size_bytes(1 << 20);
  c.mutable_licence()->set_price_model(model);
  c.mutable_licence()->mutable_price()->set_minor(price);
  c.mutable_licence()->set_owner_share_bp(7000);
  if (model == v1::PRICE_MODEL_RENTAL) c.mutable_licence()->set_rental_seconds(48 * 3600);
  return c;
}

// The operator's seed identity the fixture's replica knows (AccessOptions::operator_seeds).
inline const std::string kOriginSeed = "sip:origin@ims.test";

inline v1::AuthorizeRequest Ask(const std::string& subject, const std::string& content_id) {
  v1::AuthorizeRequest r;
  r.set_subject(subject);
  r.set_content_id(content_id);
  r.set_session_id("icid-" + content_id);
  r.set_locality("262-01/area-7/cell-3");
  r.set_locality_verified(true);
  return r;
}

// One rights replica, as main.cc wires it, on its own pool. With `listen`, a change listener
// keeps its caches true (and Authorize serves from memory once it is live).
struct RightsReplica {
  RightsReplica(const std::string& conninfo, std::vector<token::KeyPair> keys, bool listen,
                AccessOptions options = {}, AuditWriterOptions audit_options = {})
      : RightsReplica(conninfo, std::make_unique<Keyring>(std::move(keys)), listen, options,
                      audit_options) {}

  RightsReplica(const std::string& conninfo, std::unique_ptr<Keyring> keys, bool listen,
                AccessOptions options = {}, AuditWriterOptions audit_options = {})
      : pool({.conninfo = conninfo, .size = 4, .prepared = RightsStore::Statements()}),
        metrics(registry),
        store(pool, options.token_ttl),
        revocations(store),
        audit(store, audit_options),
        keyring(std::move(keys)),
        access(store, *keyring, revocations, audit, metrics, options) {
    if (listen) {
      listener = std::make_unique<ChangeListener>(conninfo, access.Handlers());
      access.UseListener(listener.get());
      listener->Start();
    }
    rights = std::make_unique<RightsService>(store, access, *keyring, revocations, listener.get(),
                                             &slow_path);
    admin = std::make_unique<RightsAdminService>(store, access, revocations);
  }

  pg::Pool pool;
  metrics::Registry registry;
  RightsMetrics metrics;
  RightsStore store;
  RevocationSet revocations;
  AuditWriter audit;
  std::unique_ptr<Keyring> keyring;
  AccessControl access;
  std::unique_ptr<ChangeListener> listener;
  WorkerPool slow_path{4, 1000};
  std::unique_ptr<RightsService> rights;
  std::unique_ptr<RightsAdminService> admin;
};

class RightsTest : public pg::SchemaTest {
 protected:
  void SetUp() override {
    ResetSchema("rights", RightsMigrations(), RightsStore::Statements());
    if (HasFatalFailure()) return;
    keys_ = {token::GenerateKey("k1"), token::GenerateKey("k2")};
    replica_ = std::make_unique<RightsReplica>(server().conninfo(), keys_, false,
                                               AccessOptions{.operator_seeds = {kOriginSeed}});
    rights_ = replica_->rights.get();
    admin_ = replica_->admin.get();
  }

  grpc::Status Register(const v1::Content& content, v1::Content* out = nullptr) {
    v1::RegisterContentRequest req;
    *req.mutable_content() = content;
    req.set_actor("op:test");
    v1::Content ignored;
    return admin_->RegisterContent(nullptr, &req, out != nullptr ? out : &ignored);
  }

  grpc::Status Grant(const v1::Entitlement& e, v1::Entitlement* out = nullptr) {
    v1::GrantEntitlementRequest req;
    *req.mutable_entitlement() = e;
    req.set_actor("op:test");
    v1::Entitlement ignored;
    return admin_->GrantEntitlement(nullptr, &req, out != nullptr ? out : &ignored);
  }

  grpc::Status GrantPurchase(const std::string& subject, const std::string& content_id,
                             v1::Entitlement* out = nullptr) {
    v1::Entitlement e;
    e.set_subject(subject);
    e.set_kind(v1::ENTITLEMENT_KIND_PURCHASE);
    e.add_content_ids(content_id);
    return Grant(e, out);
  }

  // Authorize that must succeed as an RPC; the decision itself is in the response.
  v1::AuthorizeResponse Authorize(const v1::AuthorizeRequest& req,
                                  RightsService* rights = nullptr) {
    v1::AuthorizeResponse resp;
    const grpc::Status s = (rights ? rights : rights_)->Decide(req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    return resp;
  }

  grpc::StatusCode AuthorizeCode(const v1::AuthorizeRequest& req) {
    v1::AuthorizeResponse resp;
    return rights_->Decide(req, &resp).error_code();
  }

  // A verifier loaded with the keys GetSigningKeys publishes, as a tracker would.
  std::unique_ptr<token::Verifier> PublishedVerifier() {
    v1::GetSigningKeysRequest req;
    v1::GetSigningKeysResponse resp;
    EXPECT_TRUE(rights_->GetSigningKeys(nullptr, &req, &resp).ok());
    std::map<std::string, token::VerifyKey> keys;
    for (const v1::SigningKey& k : resp.keys()) {
      EXPECT_EQ(k.public_key().size(), 32u);
      token::VerifyKey& key = keys[k.kid()];
      std::copy_n(k.public_key().begin(), std::min<size_t>(32, k.public_key().size()),
                  key.public_key.begin());
      key.not_after = k.not_after();
    }
    auto v = std::make_unique<token::Verifier>();
    v->SetKeys(std::move(keys));
    return v;
  }

  std::vector<token::KeyPair> keys_;
  std::unique_ptr<RightsReplica> replica_;
  RightsService* rights_ = nullptr;
  RightsAdminService* admin_ = nullptr;
};

}  // namespace p2pims::rights
