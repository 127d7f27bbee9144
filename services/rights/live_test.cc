// Rights as several replicas see it, against a real PostgreSQL: decisions served from memory,
// changes made on one replica reaching the others within the documented bound (2 s), concurrent
// grants and revocations leaving no stale cache entry, the revocation stream, key rotation and
// the audit backlog's back-pressure.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "lib/grpc/server.h"
#include "lib/status/status_testing.h"
#include "services/rights/rights_test_fixture.h"

namespace p2pims::rights {
namespace {

// The staleness bound docs/rights.md promises for changes made on another replica.
constexpr absl::Duration kBound = absl::Seconds(2);

// Polls `condition` until it holds or `bound` passes; true when it held.
bool Within(absl::Duration bound, const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + bound;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));  // polling interval, not synchronisation
  }
}

class RightsLiveTest : public RightsTest {
 protected:
  std::unique_ptr<RightsReplica> Replica(bool listen = true, AuditWriterOptions audit = {}) {
    auto r = std::make_unique<RightsReplica>(server().conninfo(), keys_, listen, AccessOptions{},
                                             audit);
    if (listen) {
      EXPECT_TRUE(r->listener->AwaitLive(absl::Seconds(5)));
    }
    return r;
  }

  static v1::AuthorizeResponse Decide(RightsReplica& r, const v1::AuthorizeRequest& req) {
    v1::AuthorizeResponse resp;
    const grpc::Status s = r.rights->Decide(req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  static grpc::Status GrantOn(RightsReplica& r, const std::string& subject,
                              const std::string& content_id, v1::Entitlement* out) {
    v1::GrantEntitlementRequest req;
    req.mutable_entitlement()->set_subject(subject);
    req.mutable_entitlement()->set_kind(v1::ENTITLEMENT_KIND_PURCHASE);
    req.mutable_entitlement()->add_content_ids(content_id);
    return r.admin->GrantEntitlement(nullptr, &req, out);
  }

  static grpc::Status RevokeOn(RightsReplica& r, const std::string& entitlement_id) {
    v1::RevokeEntitlementRequest req;
    req.set_entitlement_id(entitlement_id);
    v1::Entitlement out;
    return r.admin->RevokeEntitlement(nullptr, &req, &out);
  }
};

TEST_F(RightsLiveTest, RepeatedDecisionsAreServedFromMemory) {
  auto a = Replica();
  ASSERT_TRUE(Register(MakeContent("film", v1::PRICE_MODEL_PURCHASE, 499, 'f')).ok());
  ASSERT_TRUE(GrantPurchase("sip:alice@ims.test", "film").ok());
  ASSERT_TRUE(Decide(*a, Ask("sip:alice@ims.test", "film")).allowed());
  const double content_hits = a->metrics.content_hit.Value();
  const double subject_hits = a->metrics.subject_hit.Value();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Decide(*a, Ask("sip:alice@ims.test", "film")).allowed());
  EXPECT_EQ(a->metrics.content_hit.Value(), content_hits + 10);
  EXPECT_EQ(a->metrics.subject_hit.Value(), subject_hits + 10);
  EXPECT_EQ(a->metrics.cache_bypass.Value(), 0);

  // Without a listener nothing is cached: every decision reads the database.
  auto plain = Replica(/*listen=*/false);
  ASSERT_TRUE(Decide(*plain, Ask("sip:alice@ims.test", "film")).allowed());
  EXPECT_EQ(plain->metrics.cache_bypass.Value(), 1);
  EXPECT_EQ(plain->metrics.content_hit.Value(), 0);
}

TEST_F(RightsLiveTest, ChangesOnOneReplicaReachAnotherWithinTheBound) {
  auto a = Replica();
  auto b = Replica();
  ASSERT_TRUE(Register(MakeContent("film", v1::PRICE_MODEL_PURCHASE, 499, 'f')).ok());
  const auto ask = Ask("sip:alice@ims.test", "film");
  EXPECT_EQ(Decide(*b, ask).reason(), v1::DENY_REASON_NOT_ENTITLED);  // cached on b

  v1::Entitlement granted;
  ASSERT_TRUE(GrantOn(*a, "sip:alice@ims.test", "film", &granted).ok());
  EXPECT_TRUE(Within(kBound, [&] { return Decide(*b, ask).allowed(); })) << "grant not seen";

  ASSERT_TRUE(RevokeOn(*a, granted.entitlement_id()).ok());
  EXPECT_TRUE(Within(kBound, [&] {
    return Decide(*b, ask).reason() == v1::DENY_REASON_REVOKED;
  })) << "revocation not seen";

  // Licence changes travel the same way.
  ASSERT_TRUE(GrantOn(*a, "sip:alice@ims.test", "film", &granted).ok());
  ASSERT_TRUE(Within(kBound, [&] { return Decide(*b, ask).allowed(); }));
  v1::WithdrawContentRequest withdraw;
  withdraw.set_content_id("film");
  v1::Content content;
  ASSERT_TRUE(a->admin->WithdrawContent(nullptr, &withdraw, &content).ok());
  EXPECT_TRUE(Within(kBound, [&] {
    return Decide(*b, ask).reason() == v1::DENY_REASON_WITHDRAWN;
  })) << "withdrawal not seen";
}

TEST_F(RightsLiveTest, ALostListenerConnectionMissesNoChange) {
  auto a = Replica();
  auto b = Replica();
  ASSERT_TRUE(Register(MakeContent("film", v1::PRICE_MODEL_PURCHASE, 499, 'f')).ok());
  v1::Entitlement granted;
  ASSERT_TRUE(GrantOn(*b, "sip:alice@ims.test", "film", &granted).ok());
  const auto ask = Ask("sip:alice@ims.test", "film");
  ASSERT_TRUE(Within(kBound, [&] { return Decide(*a, ask).allowed(); }));

  // Cut every listener's connection, then revoke while they reconnect.
  Rows("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'");
  ASSERT_TRUE(RevokeOn(*b, granted.entitlement_id()).ok());
  EXPECT_TRUE(Within(kBound, [&] {
    return Decide(*a, ask).reason() == v1::DENY_REASON_REVOKED;
  }));
  EXPECT_TRUE(Within(absl::Seconds(5), [&] { return a->listener->live(); }));
  EXPECT_GE(a->listener->reconnects(), 1);
}

// Two replicas grant and revoke for the same subscribers at the same time, while both keep
// deciding (and caching whatever they see mid-way). Afterwards both must agree with the
// database for every subscriber: no cache entry may outlive the change that made it stale.
TEST_F(RightsLiveTest, ConcurrentGrantsAndRevokesOnTwoReplicasLeaveNoStaleDecision) {
  auto a = Replica();
  auto b = Replica();
  ASSERT_TRUE(Register(MakeContent("film", v1::PRICE_MODEL_PURCHASE, 499, 'f')).ok());
  constexpr int kSubjects = 40;
  auto subject = [](int i) { return "sip:user" + std::to_string(i) + "@ims.test"; };
  std::atomic<bool> churning{true};

  // a grants every subscriber a purchase; b grants one too and revokes its own, and revokes
  // a's for even subscribers. Both decide all the while.
  std::thread on_a([&] {
    for (int i = 0; i < kSubjects; ++i) {
      v1::Entitlement e;
      EXPECT_TRUE(GrantOn(*a, subject(i), "film", &e).ok());
      Decide(*a, Ask(subject(i), "film"));
    }
  });
  std::thread on_b([&] {
    for (int i = 0; i < kSubjects; ++i) {
      v1::Entitlement own;
      EXPECT_TRUE(GrantOn(*b, subject(i), "film", &own).ok());
      Decide(*b, Ask(subject(i), "film"));
      EXPECT_TRUE(RevokeOn(*b, own.entitlement_id()).ok());
    }
  });
  std::thread deciders([&] {
    while (churning) {
      for (int i = 0; i < kSubjects; ++i) {
        Decide(*a, Ask(subject(i), "film"));
        Decide(*b, Ask(subject(i), "film"));
      }
    }
  });
  on_a.join();
  // Revoke a's grants of even subscribers from b, racing the deciders.
  for (int i = 0; i < kSubjects; i += 2) {
    v1::ListEntitlementsRequest list;
    list.set_subject(subject(i));
    v1::ListEntitlementsResponse found;
    ASSERT_TRUE(b->admin->ListEntitlements(nullptr, &list, &found).ok());
    for (const auto& e : found.entitlements()) ASSERT_TRUE(RevokeOn(*b, e.entitlement_id()).ok());
  }
  on_b.join();
  churning = false;
  deciders.join();

  for (int i = 0; i < kSubjects; ++i) {
    const bool active = Rows("SELECT count(*) FROM rights.entitlement WHERE subject = '" +
                             subject(i) + "' AND revoked_at IS NULL") !=
                        std::vector<std::string>{"0"};
    EXPECT_EQ(active, i % 2 == 1) << subject(i);
    for (RightsReplica* r : {a.get(), b.get()}) {
      EXPECT_TRUE(Within(kBound, [&] { return Decide(*r, Ask(subject(i), "film")).allowed() == active; }))
          << subject(i) << " on replica " << (r == a.get() ? "a" : "b");
    }
  }
}

TEST_F(RightsLiveTest, AuthorizeOverGrpcTakesTheWorkerPoolOnlyWhenItNeedsTheDatabase) {
  auto a = Replica();
  ASSERT_TRUE(Register(MakeContent("film", v1::PRICE_MODEL_PURCHASE, 499, 'f')).ok());
  ASSERT_TRUE(GrantPurchase("sip:alice@ims.test", "film").ok());
  GrpcServer server;
  ASSERT_OK(server.Start("127.0.0.1:0", {a->rights.get()}, nullptr));
  auto stub = v1::Rights::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                          grpc::InsecureChannelCredentials()));
  auto call = [&](const v1::AuthorizeRequest& req) {
    grpc::ClientContext ctx;
    v1::AuthorizeResponse resp;
    const grpc::Status s = stub->Authorize(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  const auto ask = Ask("sip:alice@ims.test", "film");
  auto memory_only = [&] {
    v1::AuthorizeResponse resp;
    return a->rights->Decide(ask, &resp, AccessControl::Reach::kMemoryOnly).has_value();
  };
  EXPECT_FALSE(memory_only()) << "alice's entitlements are not cached yet";
  EXPECT_EQ(a->metrics.decision(true, {}).Value(), 0) << "nothing was decided";
  EXPECT_TRUE(call(ask).allowed());  // read from PostgreSQL on the worker pool
  EXPECT_TRUE(memory_only());
  const double hits = a->metrics.subject_hit.Value();
  EXPECT_TRUE(call(ask).allowed());  // answered inline from memory
  EXPECT_EQ(a->metrics.subject_hit.Value(), hits + 1);

  v1::AuthorizeRequest bad = ask;
  bad.set_subject("alice");
  grpc::ClientContext ctx;
  v1::AuthorizeResponse resp;
  EXPECT_EQ(stub->Authorize(&ctx, bad, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  server.Shutdown(absl::Seconds(1));
}

TEST_F(RightsLiveTest, RevocationStreamReachesAWatcherWithinASecond) {
  auto a = Replica();
  auto b = Replica();
  ASSERT_TRUE(Register(MakeContent("film", v1::PRICE_MODEL_FREE, 0, 'f')).ok());
  v1::Revocation earlier;
  earlier.set_content_id("film");
  v1::RevokeRequest req;
  *req.mutable_revocation() = earlier;
  v1::Revocation stored;
  ASSERT_TRUE(b->admin->Revoke(nullptr, &req, &stored).ok());

  GrpcServer server;
  ASSERT_OK(server.Start("127.0.0.1:0", {a->rights.get()}, nullptr));
  auto stub = v1::Rights::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  auto stream = stub->WatchRevocations(&ctx, v1::WatchRevocationsRequest());
  v1::Revocation got;
  ASSERT_TRUE(stream->Read(&got));  // what was in force before the watch began
  EXPECT_EQ(got.content_id(), "film");
  EXPECT_EQ(got.sequence(), stored.sequence());

  // A revocation recorded on another replica arrives within a second.
  v1::Revocation token;
  token.set_token_id(std::string(32, 'a'));
  token.set_reason("leaked");
  *req.mutable_revocation() = token;
  const absl::Time sent = absl::Now();
  ASSERT_TRUE(b->admin->Revoke(nullptr, &req, &stored).ok());
  ASSERT_TRUE(stream->Read(&got));
  EXPECT_LT(absl::Now() - sent, absl::Seconds(1));
  EXPECT_EQ(got.token_id(), std::string(32, 'a'));
  EXPECT_EQ(got.reason(), "leaked");
  EXPECT_EQ(got.sequence(), stored.sequence());

  ctx.TryCancel();
  while (stream->Read(&got)) {
  }
  server.Shutdown(absl::Seconds(1));
}

TEST_F(RightsLiveTest, RotatedKeysKeepOldTokensValidUntilTheirKeyRetires) {
  const std::string path = ::testing::TempDir() + "/rights-rotation.keys";
  token::KeyPair old_key = token::GenerateKey("k-old");
  token::KeyPair new_key = token::GenerateKey("k-new");
  std::ofstream(path) << token::FormatKeyLine(old_key) << "\n";
  auto ring = Keyring::FromFile(path, Now());
  ASSERT_OK(ring.status());
  RightsReplica r(server().conninfo(), std::move(*ring), /*listen=*/false);
  rights_ = r.rights.get();
  ASSERT_TRUE(Register(MakeContent("open", v1::PRICE_MODEL_FREE, 0, 'o')).ok());
  const v1::AuthorizeResponse before = Authorize(Ask("sip:alice@ims.test", "open"));
  ASSERT_TRUE(before.allowed());

  // Rotate: the new key signs, the old one retires in an hour.
  old_key.retire_at = Now() + 3600;
  std::ofstream(path) << token::FormatKeyLine(new_key) << "\n"
                      << token::FormatKeyLine(old_key) << "\n";
  auto changed = r.keyring->Reload(Now());
  ASSERT_OK(changed.status());
  EXPECT_TRUE(*changed);
  EXPECT_FALSE(*r.keyring->Reload(Now())) << "an unchanged file is not reloaded";

  const v1::AuthorizeResponse after = Authorize(Ask("sip:alice@ims.test", "open"));
  const uint32_t now = static_cast<uint32_t>(Now());
  auto published = PublishedVerifier();
  auto old_claims = published->Verify(before.token(), now);
  ASSERT_OK(old_claims.status());
  EXPECT_EQ(old_claims->kid, "k-old");
  auto new_claims = published->Verify(after.token(), now);
  ASSERT_OK(new_claims.status());
  EXPECT_EQ(new_claims->kid, "k-new");
  // Once the old key retires its tokens are refused, though not yet expired.
  EXPECT_EQ(published->Verify(before.token(), old_key.retire_at).status().message(),
            "signing key retired");
  EXPECT_TRUE(published->Verify(after.token(), old_key.retire_at).ok());

  // A file whose signing key has retired, or that is garbage, is refused; the keys stay.
  token::KeyPair retired = new_key;
  retired.retire_at = Now() - 1;
  std::ofstream(path) << token::FormatKeyLine(retired) << "\n";
  EXPECT_EQ(r.keyring->Reload(Now()).status().code(), absl::StatusCode::kFailedPrecondition);
  std::ofstream(path) << "k-new not-a-seed\n";
  EXPECT_EQ(r.keyring->Reload(Now()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.keyring->current()->signer->kid(), "k-new");
  EXPECT_TRUE(Authorize(Ask("sip:alice@ims.test", "open")).allowed());
  std::remove(path.c_str());
}

TEST_F(RightsLiveTest, AFullAuditBacklogRefusesDecisionsInsteadOfDroppingRecords) {
  // The writer never runs here, so the backlog only grows.
  auto r = Replica(/*listen=*/false, {.max_backlog = 2});
  ASSERT_TRUE(Register(MakeContent("open", v1::PRICE_MODEL_FREE, 0, 'o')).ok());
  v1::AuthorizeResponse resp;
  const auto ask = Ask("sip:alice@ims.test", "open");
  EXPECT_TRUE(r->rights->Decide(ask, &resp).ok());
  EXPECT_TRUE(r->rights->Decide(ask, &resp).ok());
  const grpc::Status refused = r->rights->Decide(ask, &resp);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(refused.error_message().find("audit backlog full"), std::string::npos);
  EXPECT_EQ(r->metrics.audit_refusals.Value(), 1);
  ASSERT_OK(r->audit.Flush());
  EXPECT_EQ(Rows("SELECT count(*) FROM rights.audit WHERE action = 'authorize'"),
            (std::vector<std::string>{"2"}));
  EXPECT_TRUE(r->rights->Decide(ask, &resp).ok()) << "room again after the flush";
}

}  // namespace
}  // namespace p2pims::rights
