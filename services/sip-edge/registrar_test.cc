// The registrar's rules on plain requests (no SIP stack): bindings, refresh, removal, expiry,
// limits, third-party REGISTER, and the presence the tracker is told.
#include "services/sip-edge/registrar.h"

#include <gtest/gtest.h>

#include <string>

namespace p2pims::sip_edge {
namespace {

constexpr char kAlice[] = "sip:alice@ims.example.net";
constexpr char kScscf[] = "sip:scscf.ims.example.net";
constexpr char kPani[] = "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201ab12c34d56e; np";

class RegistrarTest : public ::testing::Test {
 protected:
  RegistrarTest() : reply_(registry_, {}) {
    EXPECT_TRUE(trusted_.Parse("10.0.0.0/8").ok());
  }
  // A third-party REGISTER from the S-CSCF for alice.
  SipRequest Register(int64_t expires, uint32_t cseq = 1) {
    SipRequest r;
    r.method = "REGISTER";
    r.source_ip = "10.1.1.1";
    r.to = kAlice;
    r.from = kScscf;
    r.call_id = "reg-1";
    r.cseq = cseq;
    r.expires = expires;
    r.contacts = {{.uri = "sip:scscf.ims.example.net:5060"}};
    r.p_access_network_info = kPani;
    r.p_charging_vector = "icid-value=REG-ICID; orig-ioi=home.net";
    return r;
  }
  static std::string Header(const SipResponse& r, const std::string& name) {
    std::string all;
    for (const auto& [n, v] : r.headers) {
      if (n == name) all += (all.empty() ? "" : " | ") + v;
    }
    return all;
  }

  metrics::Registry registry_;
  Responder reply_;
  TrustedNetworks trusted_;
  Registrar registrar_{reply_, trusted_, registry_, {}};
  const absl::Time t0_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(RegistrarTest, ThirdPartyRegisterBindsAndReportsVerifiedLocality) {
  RegisterResult r = registrar_.Register(Register(600), t0_);
  ASSERT_EQ(r.response.status, 200) << Header(r.response, "Warning");
  EXPECT_EQ(Header(r.response, "Contact"), "<sip:scscf.ims.example.net:5060>;expires=600");
  ASSERT_TRUE(r.presence.has_value());
  EXPECT_EQ(r.presence->subject, kAlice);
  EXPECT_EQ(r.presence->locality, "262-01/AB12/C34D56E");
  EXPECT_TRUE(r.presence->verified);
  EXPECT_EQ(r.presence->expires_seconds, 600);
  auto reg = registrar_.Find(kAlice, t0_ + absl::Seconds(10));
  ASSERT_TRUE(reg.has_value());
  EXPECT_TRUE(reg->third_party);
  EXPECT_EQ(reg->icid, "REG-ICID");
  EXPECT_EQ(reg->orig_ioi, "home.net");
  EXPECT_EQ(registrar_.registrations(), 1u);
}

TEST_F(RegistrarTest, LocalityWithoutNpIsUnverified) {
  SipRequest req = Register(600);
  req.p_access_network_info = "3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201ab12c34d56e";
  RegisterResult r = registrar_.Register(req, t0_);
  ASSERT_TRUE(r.presence.has_value());
  EXPECT_FALSE(r.presence->verified);
}

TEST_F(RegistrarTest, LocalityComesFromTheOriginalRegisterInTheBody) {
  SipRequest req = Register(600);
  req.p_access_network_info.clear();
  req.content_type = "message/sip";
  req.body = "REGISTER sip:ims.example.net SIP/2.0\r\nTo: <sip:alice@ims.example.net>\r\n"
             "p-access-network-info: 3GPP-NR-FDD; utran-cell-id-3gpp=26201000A0B000000F01; np\r\n\r\n";
  RegisterResult r = registrar_.Register(req, t0_);
  ASSERT_TRUE(r.presence.has_value());
  EXPECT_EQ(r.presence->locality, "262-01/000A0B/000000F01");
}

TEST_F(RegistrarTest, RefreshExtendsAndExpiresZeroRemoves) {
  ASSERT_EQ(registrar_.Register(Register(600, 1), t0_).response.status, 200);
  RegisterResult refresh = registrar_.Register(Register(1200, 2), t0_ + absl::Seconds(500));
  ASSERT_EQ(refresh.response.status, 200);
  EXPECT_EQ(Header(refresh.response, "Contact"), "<sip:scscf.ims.example.net:5060>;expires=1200");
  EXPECT_TRUE(registrar_.Find(kAlice, t0_ + absl::Seconds(1000)).has_value());

  RegisterResult gone = registrar_.Register(Register(0, 3), t0_ + absl::Seconds(600));
  ASSERT_EQ(gone.response.status, 200);
  EXPECT_EQ(Header(gone.response, "Contact"), "");
  ASSERT_TRUE(gone.presence.has_value());
  EXPECT_EQ(gone.presence->expires_seconds, 0);  // the tracker drops the presence
  EXPECT_FALSE(registrar_.Find(kAlice, t0_ + absl::Seconds(600)).has_value());
  EXPECT_EQ(registrar_.registrations(), 0u);
}

TEST_F(RegistrarTest, AnOlderRequestOfTheSameClientIsRefused) {
  ASSERT_EQ(registrar_.Register(Register(600, 5), t0_).response.status, 200);
  RegisterResult stale = registrar_.Register(Register(0, 4), t0_);
  EXPECT_EQ(stale.response.status, 400);
  EXPECT_FALSE(stale.presence.has_value());
  EXPECT_TRUE(registrar_.Find(kAlice, t0_).has_value());  // nothing changed
}

TEST_F(RegistrarTest, WildcardRemovesEveryContact) {
  SipRequest second = Register(600);
  second.contacts = {{.uri = "sip:other-scscf.ims.example.net"}};
  second.call_id = "reg-2";
  ASSERT_EQ(registrar_.Register(Register(600), t0_).response.status, 200);
  RegisterResult both = registrar_.Register(second, t0_);
  EXPECT_EQ(Header(both.response, "Contact"),
            "<sip:scscf.ims.example.net:5060>;expires=600 | "
            "<sip:other-scscf.ims.example.net>;expires=600");
  SipRequest star = Register(0, 2);
  star.contacts = {{.uri = "*"}};
  EXPECT_EQ(registrar_.Register(star, t0_).response.status, 200);
  EXPECT_FALSE(registrar_.Find(kAlice, t0_).has_value());
  star.expires = 60;
  EXPECT_EQ(registrar_.Register(star, t0_).response.status, 400);  // * needs Expires: 0
}

TEST_F(RegistrarTest, TooShortIsIntervalTooBriefAndTooLongIsShortened) {
  RegisterResult brief = registrar_.Register(Register(30), t0_);
  EXPECT_EQ(brief.response.status, 423);
  EXPECT_EQ(Header(brief.response, "Min-Expires"), "60");
  EXPECT_FALSE(registrar_.Find(kAlice, t0_).has_value());
  SipRequest long_one = Register(-1);
  long_one.contacts[0].expires = 86400;  // the contact's parameter wins over the header
  RegisterResult r = registrar_.Register(long_one, t0_);
  EXPECT_EQ(Header(r.response, "Contact"), "<sip:scscf.ims.example.net:5060>;expires=7200");
  SipRequest plain = Register(-1, 2);
  plain.contacts[0].expires = -1;  // neither: the default hour
  r = registrar_.Register(plain, t0_);
  EXPECT_EQ(Header(r.response, "Contact"), "<sip:scscf.ims.example.net:5060>;expires=3600");
}

TEST_F(RegistrarTest, ExpiryRemovesTheRegistrationAndReportsIt) {
  ASSERT_EQ(registrar_.Register(Register(600), t0_).response.status, 200);
  EXPECT_TRUE(registrar_.Expire(t0_ + absl::Seconds(599)).empty());
  auto gone = registrar_.Expire(t0_ + absl::Seconds(600));
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].subject, kAlice);
  EXPECT_EQ(gone[0].expires_seconds, 0);
  EXPECT_EQ(registrar_.registrations(), 0u);
}

TEST_F(RegistrarTest, UntrustedSourcesAndBadIdentitiesAreRefused) {
  SipRequest untrusted = Register(600);
  untrusted.source_ip = "192.0.2.7";
  RegisterResult r = registrar_.Register(untrusted, t0_);
  EXPECT_EQ(r.response.status, 403);
  EXPECT_NE(Header(r.response, "Warning").find("untrusted source"), std::string::npos);
  SipRequest bad = Register(600);
  bad.to = "mailto:alice@example.net";
  EXPECT_EQ(registrar_.Register(bad, t0_).response.status, 400);
  EXPECT_EQ(registrar_.registrations(), 0u);
}

TEST_F(RegistrarTest, LimitsHoldMemoryBounded) {
  Registrar small(reply_, trusted_, registry_, {.max_contacts = 2, .max_registrations = 1});
  SipRequest req = Register(600);
  req.contacts = {{.uri = "sip:a@x"}, {.uri = "sip:b@x"}, {.uri = "sip:c@x"}};
  EXPECT_EQ(small.Register(req, t0_).response.status, 403);
  EXPECT_EQ(small.registrations(), 0u);
  ASSERT_EQ(small.Register(Register(600), t0_).response.status, 200);
  SipRequest bob = Register(600);
  bob.to = "sip:bob@ims.example.net";
  RegisterResult full = small.Register(bob, t0_);
  EXPECT_EQ(full.response.status, 503);
  EXPECT_FALSE(Header(full.response, "Retry-After").empty());
}

TEST_F(RegistrarTest, AFetchWithoutContactsListsTheBindings) {
  ASSERT_EQ(registrar_.Register(Register(600), t0_).response.status, 200);
  SipRequest fetch = Register(-1, 2);
  fetch.contacts.clear();
  RegisterResult r = registrar_.Register(fetch, t0_ + absl::Seconds(100));
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(Header(r.response, "Contact"), "<sip:scscf.ims.example.net:5060>;expires=500");
}

}  // namespace
}  // namespace p2pims::sip_edge
