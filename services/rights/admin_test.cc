// RightsAdmin beyond registration, against a real PostgreSQL: licence updates, withdrawal,
// entitlement revocation and listing, token revocations and bans, device limits, the audit
// query. Each change must show in the next decision and leave nothing half-written on refusal.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/status/status_testing.h"
#include "services/rights/rights_test_fixture.h"

namespace p2pims::rights {
namespace {

class RightsAdminTest : public RightsTest {
 protected:
  grpc::Status Update(const std::string& id, const v1::Licence& licence, v1::Content* out) {
    v1::UpdateLicenceRequest req;
    req.set_content_id(id);
    *req.mutable_licence() = licence;
    req.set_actor("op:test");
    return admin_->UpdateLicence(nullptr, &req, out);
  }

  grpc::Status Withdraw(const std::string& id, v1::Content* out) {
    v1::WithdrawContentRequest req;
    req.set_content_id(id);
    req.set_reason("licence ended");
    req.set_actor("op:test");
    return admin_->WithdrawContent(nullptr, &req, out);
  }

  grpc::Status RevokeEntitlement(const std::string& id, v1::Entitlement* out) {
    v1::RevokeEntitlementRequest req;
    req.set_entitlement_id(id);
    req.set_reason("chargeback");
    req.set_actor("op:test");
    return admin_->RevokeEntitlement(nullptr, &req, out);
  }

  grpc::Status Revoke(const v1::Revocation& r, v1::Revocation* out) {
    v1::RevokeRequest req;
    *req.mutable_revocation() = r;
    req.set_actor("op:test");
    return admin_->Revoke(nullptr, &req, out);
  }

  std::vector<std::string> Holders(const std::string& subject, const std::string& content_id,
                                   bool include_inactive = false) {
    v1::ListEntitlementsRequest req;
    req.set_subject(subject);
    req.set_content_id(content_id);
    req.set_include_inactive(include_inactive);
    v1::ListEntitlementsResponse resp;
    const grpc::Status s = admin_->ListEntitlements(nullptr, &req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> out;
    for (const auto& e : resp.entitlements()) {
      out.push_back(e.subject() + (e.revoked() ? " (revoked)" : ""));
    }
    return out;
  }
};

TEST_F(RightsAdminTest, UpdateLicenceChangesTheNextDecisionAndRefusesBadLicences) {
  ASSERT_TRUE(Register(MakeContent("news", v1::PRICE_MODEL_FREE, 0, 'n')).ok());
  EXPECT_TRUE(Authorize(Ask("sip:alice@ims.test", "news")).allowed());

  v1::Licence regional;
  regional.set_price_model(v1::PRICE_MODEL_FREE);
  regional.add_territories("FR");
  v1::Content out;
  ASSERT_TRUE(Update("news", regional, &out).ok());
  EXPECT_EQ(out.licence().territories_size(), 1);
  EXPECT_EQ(out.title(), "Title of news");  // only the licence changed
  EXPECT_EQ(Authorize(Ask("sip:alice@ims.test", "news")).reason(), v1::DENY_REASON_TERRITORY);
  v1::AuthorizeRequest in_france = Ask("sip:alice@ims.test", "news");
  in_france.set_locality("208-01/area-1/cell-9");
  EXPECT_TRUE(Authorize(in_france).allowed());

  v1::Licence bad = regional;
  bad.add_territories("XX");
  EXPECT_EQ(Update("news", bad, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad = regional;
  bad.mutable_price()->set_currency("EURO");
  EXPECT_EQ(Update("news", bad, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Update("no-such", regional, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Rows("SELECT array_to_string(territories, ',') FROM rights.content"),
            (std::vector<std::string>{"FR"}));
  EXPECT_EQ(Rows("SELECT count(*) FROM rights.audit WHERE action = 'update_licence'"),
            (std::vector<std::string>{"1"}));
}

TEST_F(RightsAdminTest, WithdrawalDeniesNewAccessAndRevokesLiveTokens) {
  ASSERT_TRUE(Register(MakeContent("film", v1::PRICE_MODEL_PURCHASE, 499, 'f')).ok());
  ASSERT_TRUE(GrantPurchase("sip:alice@ims.test", "film").ok());
  ASSERT_TRUE(Authorize(Ask("sip:alice@ims.test", "film")).allowed());

  v1::Content out;
  ASSERT_TRUE(Withdraw("film", &out).ok());
  EXPECT_TRUE(out.withdrawn());
  const v1::AuthorizeResponse r = Authorize(Ask("sip:alice@ims.test", "film"));
  EXPECT_EQ(r.reason(), v1::DENY_REASON_WITHDRAWN);
  v1::AuthorizeRequest origin = Ask(kOriginSeed, "film");
  origin.set_role("origin");
  EXPECT_EQ(Authorize(origin).reason(), v1::DENY_REASON_WITHDRAWN) << "the origin stops seeding";
  // One revocation for every token of the content, issued up to now, kept a token lifetime.
  EXPECT_EQ(Rows("SELECT content_id, subject, token_id, issued_before <= now(),"
                 " expires_at - issued_before FROM rights.revocation"),
            (std::vector<std::string>{"film|NULL|NULL|t|04:00:00"}));
  // Withdrawing again changes nothing; unknown content is NOT_FOUND.
  ASSERT_TRUE(Withdraw("film", &out).ok());
  EXPECT_EQ(Rows("SELECT count(*) FROM rights.revocation"), (std::vector<std::string>{"1"}));
  EXPECT_EQ(Withdraw("no-such", &out).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RightsAdminTest, RevokedEntitlementDeniesWithRevokedAndRevokesOnlyUncoveredContent) {
  ASSERT_TRUE(Register(MakeContent("a", v1::PRICE_MODEL_SUBSCRIPTION, 0, 'a')).ok());
  ASSERT_TRUE(Register(MakeContent("b", v1::PRICE_MODEL_SUBSCRIPTION, 0, 'b')).ok());
  v1::Entitlement bundle;
  bundle.set_subject("sip:alice@ims.test");
  bundle.set_kind(v1::ENTITLEMENT_KIND_SUBSCRIPTION);
  bundle.add_content_ids("a");
  bundle.add_content_ids("b");
  v1::Entitlement granted;
  ASSERT_TRUE(Grant(bundle, &granted).ok());
  ASSERT_TRUE(GrantPurchase("sip:alice@ims.test", "b").ok());  // b is also bought outright

  v1::Entitlement revoked;
  ASSERT_TRUE(RevokeEntitlement(granted.entitlement_id(), &revoked).ok());
  EXPECT_TRUE(revoked.revoked());
  EXPECT_EQ(Authorize(Ask("sip:alice@ims.test", "a")).reason(), v1::DENY_REASON_REVOKED);
  EXPECT_TRUE(Authorize(Ask("sip:alice@ims.test", "b")).allowed());
  // Live tokens for a die; those for b stay, the purchase still covers them.
  EXPECT_EQ(Rows("SELECT subject, content_id FROM rights.revocation"),
            (std::vector<std::string>{"sip:alice@ims.test|a"}));

  // Revoking twice changes nothing; unknown and malformed ids are refused.
  ASSERT_TRUE(RevokeEntitlement(granted.entitlement_id(), &revoked).ok());
  EXPECT_EQ(Rows("SELECT count(*) FROM rights.revocation"), (std::vector<std::string>{"1"}));
  EXPECT_EQ(RevokeEntitlement("999999", &revoked).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(RevokeEntitlement("x1", &revoked).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RightsAdminTest, ListEntitlementsBySubscriberAndByContentIncludingOwnerSubscriptions) {
  ASSERT_TRUE(Register(MakeContent("s-1", v1::PRICE_MODEL_SUBSCRIPTION, 0, '1')).ok());
  ASSERT_TRUE(Register(MakeContent("i-1", v1::PRICE_MODEL_PURCHASE, 99, '2', "indie")).ok());
  v1::Entitlement whole;
  whole.set_subject("sip:bob@ims.test");
  whole.set_kind(v1::ENTITLEMENT_KIND_SUBSCRIPTION);
  whole.set_owner("studio");
  ASSERT_TRUE(Grant(whole).ok());
  v1::Entitlement bought;
  ASSERT_TRUE(GrantPurchase("sip:alice@ims.test", "s-1", &bought).ok());
  ASSERT_TRUE(GrantPurchase("sip:alice@ims.test", "i-1").ok());

  EXPECT_EQ(Holders("", "s-1"),
            (std::vector<std::string>{"sip:bob@ims.test", "sip:alice@ims.test"}));
  EXPECT_EQ(Holders("", "i-1"), (std::vector<std::string>{"sip:alice@ims.test"}));
  EXPECT_EQ(Holders("sip:alice@ims.test", "").size(), 2u);

  v1::Entitlement ignored;
  ASSERT_TRUE(RevokeEntitlement(bought.entitlement_id(), &ignored).ok());
  EXPECT_EQ(Holders("", "s-1"), (std::vector<std::string>{"sip:bob@ims.test"}));
  EXPECT_EQ(Holders("", "s-1", true),
            (std::vector<std::string>{"sip:bob@ims.test", "sip:alice@ims.test (revoked)"}));

  v1::ListEntitlementsRequest both;
  both.set_subject("sip:alice@ims.test");
  both.set_content_id("s-1");
  v1::ListEntitlementsResponse resp;
  EXPECT_EQ(admin_->ListEntitlements(nullptr, &both, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListEntitlementsRequest neither;
  EXPECT_EQ(admin_->ListEntitlements(nullptr, &neither, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RightsAdminTest, ARevocationReachingIntoTheFutureIsABan) {
  ASSERT_TRUE(Register(MakeContent("open", v1::PRICE_MODEL_FREE, 0, 'o')).ok());
  v1::Revocation ban;
  ban.set_subject("sip:mallory@ims.test");
  ban.set_issued_before(Now() + 3600);
  ban.set_reason("fraud");
  v1::Revocation stored;
  ASSERT_TRUE(Revoke(ban, &stored).ok());
  EXPECT_GT(stored.sequence(), 0);
  EXPECT_EQ(stored.expires_at(), ban.issued_before() + 4 * 3600);

  const v1::AuthorizeResponse r = Authorize(Ask("sip:mallory@ims.test", "open"));
  EXPECT_EQ(r.reason(), v1::DENY_REASON_REVOKED);
  EXPECT_TRUE(Authorize(Ask("sip:alice@ims.test", "open")).allowed());

  // A plain revocation (issued_before now, rounded up to the next second as tokens count whole
  // seconds) kills live tokens; new ones are refused only until that second has passed.
  v1::Revocation plain;
  plain.set_subject("sip:alice@ims.test");
  ASSERT_TRUE(Revoke(plain, &stored).ok());
  EXPECT_GE(stored.issued_before(), stored.created_at());
  EXPECT_LE(stored.issued_before(), stored.created_at() + 1);
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  bool allowed = false;
  while (!allowed && absl::Now() < deadline) {
    allowed = Authorize(Ask("sip:alice@ims.test", "open")).allowed();
    if (!allowed) absl::SleepFor(absl::Milliseconds(50));  // polling, not synchronisation
  }
  EXPECT_TRUE(allowed);
  EXPECT_GE(Now(), stored.issued_before());
}

TEST_F(RightsAdminTest, MalformedRevocationsAreRefusedAndNothingIsRecorded) {
  v1::Revocation out;
  EXPECT_EQ(Revoke(v1::Revocation(), &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::Revocation r;
  r.set_token_id("not-hex");
  EXPECT_EQ(Revoke(r, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  r.set_token_id(std::string(32, 'A'));  // upper case is not what rights issues
  EXPECT_EQ(Revoke(r, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  r = v1::Revocation();
  r.set_subject("mallory");
  EXPECT_EQ(Revoke(r, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  r = v1::Revocation();
  r.set_content_id("bad id");
  EXPECT_EQ(Revoke(r, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  r.set_content_id("ok");
  r.set_issued_before(-1);
  EXPECT_EQ(Revoke(r, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Rows("SELECT sequence FROM rights.revocation").empty());
}

TEST_F(RightsAdminTest, DeviceLimitCountsDevicesHoldingLiveTokens) {
  v1::Content c = MakeContent("match", v1::PRICE_MODEL_FREE, 0, 'm');
  c.mutable_licence()->set_device_limit(1);
  ASSERT_TRUE(Register(c).ok());
  v1::AuthorizeRequest phone = Ask("sip:alice@ims.test", "match");
  phone.set_device("urn:gsma:imei:35209900-176148-1");
  v1::AuthorizeRequest tablet = phone;
  tablet.set_device("urn:gsma:imei:35209900-176148-2");

  const v1::AuthorizeResponse first = Authorize(phone);
  ASSERT_TRUE(first.allowed()) << first.message();
  const v1::AuthorizeResponse refused = Authorize(tablet);
  EXPECT_EQ(refused.reason(), v1::DENY_REASON_DEVICE_LIMIT);
  EXPECT_TRUE(refused.token().empty());
  EXPECT_TRUE(Authorize(phone).allowed()) << "the same device again";
  EXPECT_TRUE(Authorize(Ask("sip:bob@ims.test", "match")).allowed()) << "another subscriber";

  // Revoking the phone's token frees its slot.
  v1::Revocation r;
  r.set_token_id(Authorize(phone).token_id());
  v1::Revocation out;
  ASSERT_TRUE(Revoke(r, &out).ok());
  EXPECT_TRUE(Authorize(tablet).allowed());
}

TEST_F(RightsAdminTest, AuditIsQueryableBySubjectContentAndTime) {
  ASSERT_TRUE(Register(MakeContent("open", v1::PRICE_MODEL_FREE, 0, 'o')).ok());
  ASSERT_TRUE(Register(MakeContent("film", v1::PRICE_MODEL_PURCHASE, 499, 'f')).ok());
  Authorize(Ask("sip:alice@ims.test", "open"));
  Authorize(Ask("sip:alice@ims.test", "film"));
  Authorize(Ask("sip:bob@ims.test", "open"));
  ASSERT_TRUE(GrantPurchase("sip:bob@ims.test", "film").ok());
  ASSERT_OK(replica_->audit.Flush());

  auto query = [&](const std::string& subject, const std::string& content, int64_t from,
                   int64_t to) {
    v1::QueryAuditRequest req;
    req.set_subject(subject);
    req.set_content_id(content);
    req.set_from_time(from);
    req.set_to_time(to);
    v1::QueryAuditResponse resp;
    const grpc::Status s = admin_->QueryAudit(nullptr, &req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> out;
    for (const auto& a : resp.records()) {
      out.push_back(a.action() + " " + a.subject() + " " + a.content_id() + " " + a.result());
    }
    return out;
  };
  // Newest first.
  EXPECT_EQ(query("sip:alice@ims.test", "", 0, 0),
            (std::vector<std::string>{"authorize sip:alice@ims.test film deny",
                                      "authorize sip:alice@ims.test open allow"}));
  EXPECT_EQ(query("", "film", 0, 0),
            (std::vector<std::string>{"grant_entitlement sip:bob@ims.test film ok",
                                      "authorize sip:alice@ims.test film deny",
                                      "register_content  film ok"}));
  EXPECT_TRUE(query("", "", Now() + 60, 0).empty());
  EXPECT_TRUE(query("", "", 0, Now() - 3600).empty());
  EXPECT_EQ(query("", "", Now() - 60, Now() + 60).size(), 6u);

  v1::QueryAuditRequest backwards;
  backwards.set_from_time(200);
  backwards.set_to_time(100);
  v1::QueryAuditResponse resp;
  EXPECT_EQ(admin_->QueryAudit(nullptr, &backwards, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RightsAdminTest, AuditRetentionDeletesOnlyOldRecords) {
  ASSERT_TRUE(Register(MakeContent("open", v1::PRICE_MODEL_FREE, 0, 'o')).ok());
  Rows("UPDATE rights.audit SET at = now() - interval '100 days'");
  Authorize(Ask("sip:alice@ims.test", "open"));
  ASSERT_OK(replica_->audit.Flush());
  auto pruned = replica_->store.Prune(absl::Hours(24 * 90));
  ASSERT_OK(pruned.status());
  EXPECT_EQ(*pruned, 1);
  EXPECT_EQ(Rows("SELECT action FROM rights.audit"), (std::vector<std::string>{"authorize"}));
}

}  // namespace
}  // namespace p2pims::rights
