// The rights gRPC handlers against a real PostgreSQL: catalogue validation and round trips,
// access decisions with their signed tokens, and the audit row every decision leaves behind.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "lib/status/status_testing.h"
#include "services/rights/rights_test_fixture.h"

namespace p2pims::rights {
namespace {

using RightsServiceTest = RightsTest;

// ---- RegisterContent / GetContent / ListContent ----

TEST_F(RightsServiceTest, RegisterContentRefusesMalformedContent) {
  const v1::Content good = MakeContent("movie-1", v1::PRICE_MODEL_PURCHASE, 299, 'a');
  struct Case {
    std::string name;
    std::function<void(v1::Content&)> spoil;
  };
  const std::vector<Case> cases = {
      {"empty id", [](v1::Content& c) { c.set_content_id(""); }},
      {"space in id", [](v1::Content& c) { c.set_content_id("movie 1"); }},
      {"slash in id", [](v1::Content& c) { c.set_content_id("movies/1"); }},
      {"at in id", [](v1::Content& c) { c.set_content_id("movie@x"); }},
      {"129-character id", [](v1::Content& c) { c.set_content_id(std::string(129, 'm')); }},
      {"no title", [](v1::Content& c) { c.clear_title(); }},
      {"no owner", [](v1::Content& c) { c.clear_owner(); }},
      {"19-byte hash", [](v1::Content& c) { c.set_info_hash_v1(std::string(19, 'a')); }},
      {"21-byte hash", [](v1::Content& c) { c.set_info_hash_v1(std::string(21, 'a')); }},
      {"no hash", [](v1::Content& c) { c.clear_info_hash_v1(); }},
      {"31-byte v2 hash", [](v1::Content& c) { c.set_info_hash_v2(std::string(31, 'b')); }},
      {"unspecified price model",
       [](v1::Content& c) { c.mutable_licence()->set_price_model(v1::PRICE_MODEL_UNSPECIFIED); }},
      {"no licence", [](v1::Content& c) { c.clear_licence(); }},
      {"unknown price model",
       [](v1::Content& c) {
         c.mutable_licence()->set_price_model(static_cast<v1::PriceModel>(42));
       }},
      {"negative price",
       [](v1::Content& c) { c.mutable_licence()->mutable_price()->set_minor(-1); }},
      {"owner share -1", [](v1::Content& c) { c.mutable_licence()->set_owner_share_bp(-1); }},
      {"owner share 10001", [](v1::Content& c) { c.mutable_licence()->set_owner_share_bp(10001); }},
      {"lower-case currency",
       [](v1::Content& c) { c.mutable_licence()->mutable_price()->set_currency("eur"); }},
      {"negative size", [](v1::Content& c) { c.set_size_bytes(-1); }},
  };
  for (const Case& c : cases) {
    v1::Content bad = good;
    c.spoil(bad);
    EXPECT_EQ(Register(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
  }
  EXPECT_TRUE(Rows("SELECT content_id FROM rights.content").empty());

  // The edges of the ranges are fine.
  v1::Content edge = good;
  edge.set_content_id(std::string(128, 'm'));
  edge.mutable_licence()->set_owner_share_bp(10000);
  EXPECT_TRUE(Register(edge).ok());
  edge = good;
  edge.set_content_id("A-z_0.9~x");
  edge.set_info_hash_v1(Hash('z'));
  edge.mutable_licence()->set_owner_share_bp(0);
  EXPECT_TRUE(Register(edge).ok());
}

TEST_F(RightsServiceTest, DuplicateContentIdOrInfoHashIsAlreadyExists) {
  ASSERT_TRUE(Register(MakeContent("movie", v1::PRICE_MODEL_PURCHASE, 299, 'a')).ok());
  EXPECT_EQ(Register(MakeContent("movie", v1::PRICE_MODEL_FREE, 0, 'b')).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Register(MakeContent("other", v1::PRICE_MODEL_FREE, 0, 'a')).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_TRUE(Register(MakeContent("other", v1::PRICE_MODEL_FREE, 0, 'b')).ok());
  EXPECT_EQ(Rows("SELECT content_id FROM rights.content ORDER BY content_id"),
            (std::vector<std::string>{"movie", "other"}));
  // Only successful registrations are audited.
  EXPECT_EQ(Rows("SELECT content_id FROM rights.audit WHERE action = 'register_content'"
                 " ORDER BY id"),
            (std::vector<std::string>{"movie", "other"}));
}

TEST_F(RightsServiceTest, GetContentRoundTripsEveryLicenceField) {
  const int64_t now = Now();
  v1::Content in = MakeContent("film.2024", v1::PRICE_MODEL_RENTAL, 349, 'r');
  in.set_info_hash_v2(std::string(32, '\x7f'));
  in.set_size_bytes(int64_t{5} << 32);  // beyond 32 bits
  v1::Licence* l = in.mutable_licence();
  l->set_rental_seconds(48 * 3600);
  l->set_owner_share_bp(6500);
  l->add_territories("262-01");
  l->add_territories("262-02/area-7");
  l->set_window_start(now - 3600);
  l->set_window_end(now + 30 * 86400);
  l->set_device_limit(3);
  // The caller's created_at and withdrawn are ignored.
  in.set_created_at(12345);
  in.set_withdrawn(true);

  v1::Content registered;
  const grpc::Status s = Register(in, &registered);
  ASSERT_TRUE(s.ok()) << s.error_message();

  v1::Content expected = in;
  expected.mutable_licence()->mutable_price()->set_currency("EUR");  // the default
  expected.set_withdrawn(false);
  expected.set_created_at(registered.created_at());
  EXPECT_NEAR(registered.created_at(), now, 5);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(registered, expected))
      << "registered:\n"
      << registered.DebugString() << "expected:\n"
      << expected.DebugString();

  v1::GetContentRequest get;
  get.set_content_id("film.2024");
  v1::Content got;
  ASSERT_TRUE(admin_->GetContent(nullptr, &get, &got).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got, expected))
      << "got:\n"
      << got.DebugString() << "expected:\n"
      << expected.DebugString();

  // An explicit currency is kept; a licence without territories or windows reads back empty.
  v1::Content usd = MakeContent("usd", v1::PRICE_MODEL_PER_BYTE, 2, 'u');
  usd.mutable_licence()->mutable_price()->set_currency("USD");
  ASSERT_TRUE(Register(usd).ok());
  get.set_content_id("usd");
  got.Clear();  // a handler fills a fresh response, as gRPC hands it one
  ASSERT_TRUE(admin_->GetContent(nullptr, &get, &got).ok());
  EXPECT_EQ(got.licence().price().currency(), "USD");
  EXPECT_EQ(got.licence().price_model(), v1::PRICE_MODEL_PER_BYTE);
  EXPECT_EQ(got.licence().territories_size(), 0);
  EXPECT_EQ(got.licence().window_start(), 0);
  EXPECT_EQ(got.licence().window_end(), 0);
  EXPECT_TRUE(got.info_hash_v2().empty());

  get.set_content_id("nope");
  EXPECT_EQ(admin_->GetContent(nullptr, &get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A licence window ending after January 2038 (here: 2100-01-01) is a normal thing to register.
// Regression: comparing an untyped `$13 = 0` made PostgreSQL type the parameter as a 32-bit
// integer, so any Unix time after 2038-01-19 was "integer out of range".
TEST_F(RightsServiceTest, WindowEndAfter2038IsStored) {
  v1::Content c = MakeContent("long-licence", v1::PRICE_MODEL_FREE, 0, 'w');
  c.mutable_licence()->set_window_end(4102444800);
  v1::Content out;
  const grpc::Status s = Register(c, &out);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_EQ(out.licence().window_end(), 4102444800);
}

// Same bug in the entitlement insert (`$5 = 0`): a subscription valid until 2040 is refused.
TEST_F(RightsServiceTest, EntitlementExpiringAfter2038IsGranted) {
  v1::Entitlement e;
  e.set_subject("sip:alice@ims.test");
  e.set_kind(v1::ENTITLEMENT_KIND_SUBSCRIPTION);
  e.set_owner("studio");
  e.set_expires_at(2208988800);  // 2040-01-01
  const grpc::Status s = Grant(e);
  EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
}

TEST_F(RightsServiceTest, ListContentPagesInContentIdOrder) {
  char hash = 'a';
  for (const char* id : {"delta", "alpha", "echo", "charlie", "bravo"}) {
    ASSERT_TRUE(Register(MakeContent(id, v1::PRICE_MODEL_FREE, 0, hash++)).ok()) << id;
  }
  ASSERT_TRUE(Register(MakeContent("foxtrot", v1::PRICE_MODEL_FREE, 0, hash++, "indie")).ok());

  std::vector<std::string> seen;
  std::vector<std::string> tokens;
  v1::ListContentRequest req;
  req.set_page_size(2);
  for (int page = 0; page < 10; ++page) {
    v1::ListContentResponse resp;
    ASSERT_TRUE(admin_->ListContent(nullptr, &req, &resp).ok());
    EXPECT_LE(resp.content_size(), 2);
    for (const v1::Content& c : resp.content()) seen.push_back(c.content_id());
    tokens.push_back(resp.next_page_token());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}));
  // Three full pages; the third's token leads to an empty last page.
  EXPECT_EQ(tokens, (std::vector<std::string>{"bravo", "delta", "foxtrot", ""}));

  // Owner filter, default page size.
  v1::ListContentRequest by_owner;
  by_owner.set_owner("indie");
  v1::ListContentResponse resp;
  ASSERT_TRUE(admin_->ListContent(nullptr, &by_owner, &resp).ok());
  ASSERT_EQ(resp.content_size(), 1);
  EXPECT_EQ(resp.content(0).content_id(), "foxtrot");
  EXPECT_EQ(resp.content(0).title(), "Title of foxtrot");
  EXPECT_TRUE(resp.next_page_token().empty());
}

// ---- Authorize ----

TEST_F(RightsServiceTest, UnknownContentIsADenyNotAnError) {
  const v1::AuthorizeResponse r = Authorize(Ask("sip:alice@ims.test", "nothing-here"));
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.reason(), v1::DENY_REASON_UNKNOWN_CONTENT);
  EXPECT_TRUE(r.token().empty());
  EXPECT_TRUE(r.token_id().empty());
}

TEST_F(RightsServiceTest, PurchaseNeedsAnEntitlementAndThenYieldsAVerifiableToken) {
  ASSERT_TRUE(Register(MakeContent("movie", v1::PRICE_MODEL_PURCHASE, 299, 'm')).ok());
  v1::AuthorizeRequest req = Ask("sip:alice@ims.test", "movie");
  req.set_session_id("icid-42");

  const v1::AuthorizeResponse denied = Authorize(req);
  EXPECT_FALSE(denied.allowed());
  EXPECT_EQ(denied.reason(), v1::DENY_REASON_NOT_ENTITLED);
  EXPECT_TRUE(denied.token().empty());

  ASSERT_TRUE(GrantPurchase("sip:alice@ims.test", "movie").ok());
  const int64_t before = Now();
  const v1::AuthorizeResponse r = Authorize(req);
  ASSERT_TRUE(r.allowed()) << r.message();
  EXPECT_EQ(r.reason(), v1::DENY_REASON_UNSPECIFIED);
  EXPECT_EQ(r.info_hash(), Hash('m'));
  EXPECT_EQ(r.owner(), "studio");
  EXPECT_EQ(r.price_model(), v1::PRICE_MODEL_PURCHASE);
  EXPECT_EQ(r.price().minor(), 0);  // paid when the entitlement was granted
  EXPECT_EQ(r.price().currency(), "EUR");

  auto claims = PublishedVerifier()->Verify(r.token(), static_cast<uint32_t>(Now()));
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->kid, "k1");
  EXPECT_EQ(claims->subject, "sip:alice@ims.test");
  EXPECT_EQ(std::string(claims->info_hash.begin(), claims->info_hash.end()), Hash('m'));
  EXPECT_EQ(claims->session_id, "icid-42");
  EXPECT_EQ(claims->locality, "262-01/area-7/cell-3");
  EXPECT_EQ(claims->role, token::Role::kLeech);  // the default
  EXPECT_GE(static_cast<int64_t>(claims->issued_at), before);
  EXPECT_EQ(claims->expires_at, claims->issued_at + 4 * 3600);  // RightsOptions' default TTL
  EXPECT_EQ(r.expires_at(), claims->expires_at);
  EXPECT_EQ(r.token_id().size(), 32u);

  // Another subscriber is still not entitled; a second token for alice has a fresh id.
  EXPECT_EQ(Authorize(Ask("sip:bob@ims.test", "movie")).reason(), v1::DENY_REASON_NOT_ENTITLED);
  EXPECT_NE(Authorize(req).token_id(), r.token_id());
}

TEST_F(RightsServiceTest, OnlyTheOperatorsSeedsGetSeedAndOriginRolesAndNeedNoEntitlement) {
  // Purchase content, not yet released, for one territory: nothing a subscriber could reach.
  v1::Content c = MakeContent("premiere", v1::PRICE_MODEL_PURCHASE, 999, 'p');
  c.mutable_licence()->add_territories("262-01");
  c.mutable_licence()->set_window_start(Now() + 86400);
  ASSERT_TRUE(Register(c).ok());

  v1::AuthorizeRequest alice = Ask("sip:alice@ims.test", "premiere");
  alice.set_role("origin");
  EXPECT_EQ(AuthorizeCode(alice), grpc::StatusCode::PERMISSION_DENIED) << "a subscriber";
  alice.set_role("seed");
  EXPECT_EQ(AuthorizeCode(alice), grpc::StatusCode::PERMISSION_DENIED) << "a subscriber";

  for (const char* role : {"origin", "seed"}) {
    v1::AuthorizeRequest seed = Ask(kOriginSeed, "premiere");
    seed.set_role(role);
    seed.set_locality("001-01");
    seed.set_locality_verified(false);
    const v1::AuthorizeResponse r = Authorize(seed);
    ASSERT_TRUE(r.allowed()) << role << ": " << r.message();
    auto claims = PublishedVerifier()->Verify(r.token(), static_cast<uint32_t>(Now()));
    ASSERT_TRUE(claims.ok()) << claims.status();
    EXPECT_EQ(token::RoleName(claims->role), std::string(role));
    EXPECT_EQ(claims->subject, kOriginSeed);
  }
  // The seed identity asking as a leech is a subscriber like any other.
  EXPECT_EQ(Authorize(Ask(kOriginSeed, "premiere")).reason(), v1::DENY_REASON_OUTSIDE_WINDOW);

  v1::AuthorizeRequest unknown = Ask(kOriginSeed, "nothing-here");
  unknown.set_role("origin");
  EXPECT_EQ(Authorize(unknown).reason(), v1::DENY_REASON_UNKNOWN_CONTENT);
}

TEST_F(RightsServiceTest, SessionPriceFollowsThePriceModel) {
  ASSERT_TRUE(Register(MakeContent("metered", v1::PRICE_MODEL_PER_BYTE, 7, 'p')).ok());
  ASSERT_TRUE(Register(MakeContent("gratis", v1::PRICE_MODEL_FREE, 0, 'f')).ok());

  const v1::AuthorizeResponse metered = Authorize(Ask("sip:carol@ims.test", "metered"));
  ASSERT_TRUE(metered.allowed()) << metered.message();  // no entitlement needed
  EXPECT_EQ(metered.price_model(), v1::PRICE_MODEL_PER_BYTE);
  EXPECT_EQ(metered.price().minor(), 7);  // per MiB
  EXPECT_EQ(metered.price().currency(), "EUR");
  EXPECT_FALSE(metered.token().empty());

  const v1::AuthorizeResponse gratis = Authorize(Ask("sip:carol@ims.test", "gratis"));
  ASSERT_TRUE(gratis.allowed()) << gratis.message();
  EXPECT_EQ(gratis.price_model(), v1::PRICE_MODEL_FREE);
  EXPECT_EQ(gratis.price().minor(), 0);
  EXPECT_TRUE(PublishedVerifier()->Verify(gratis.token(), static_cast<uint32_t>(Now())).ok());
}

TEST_F(RightsServiceTest, TerritoryNeedsAVerifiedLocalityInside) {
  v1::Content c = MakeContent("regional", v1::PRICE_MODEL_FREE, 0, 't');
  c.mutable_licence()->add_territories("262-01");
  ASSERT_TRUE(Register(c).ok());

  v1::AuthorizeRequest req = Ask("sip:dave@ims.test", "regional");
  req.set_locality("262-01/area-7");
  req.set_locality_verified(false);
  v1::AuthorizeResponse r = Authorize(req);
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.reason(), v1::DENY_REASON_TERRITORY);

  req.set_locality_verified(true);
  r = Authorize(req);
  EXPECT_TRUE(r.allowed()) << r.message();

  req.set_locality("262-01");  // exactly the territory
  EXPECT_TRUE(Authorize(req).allowed());

  for (const char* outside : {"262-02/area-7", "262-012/area-1", "", "262"}) {
    req.set_locality(outside);
    r = Authorize(req);
    EXPECT_FALSE(r.allowed()) << outside;
    EXPECT_EQ(r.reason(), v1::DENY_REASON_TERRITORY) << outside;
  }
}

TEST_F(RightsServiceTest, AvailabilityWindowIsEnforced) {
  const int64_t now = Now();
  v1::Content later = MakeContent("premiere", v1::PRICE_MODEL_FREE, 0, 'l');
  later.mutable_licence()->set_window_start(now + 3600);
  ASSERT_TRUE(Register(later).ok());
  v1::Content gone = MakeContent("expired", v1::PRICE_MODEL_FREE, 0, 'g');
  gone.mutable_licence()->set_window_end(now - 60);
  ASSERT_TRUE(Register(gone).ok());
  v1::Content open = MakeContent("running", v1::PRICE_MODEL_FREE, 0, 'n');
  open.mutable_licence()->set_window_start(now - 60);
  open.mutable_licence()->set_window_end(now + 3600);
  ASSERT_TRUE(Register(open).ok());

  EXPECT_EQ(Authorize(Ask("sip:erin@ims.test", "premiere")).reason(),
            v1::DENY_REASON_OUTSIDE_WINDOW);
  EXPECT_EQ(Authorize(Ask("sip:erin@ims.test", "expired")).reason(),
            v1::DENY_REASON_OUTSIDE_WINDOW);
  EXPECT_TRUE(Authorize(Ask("sip:erin@ims.test", "running")).allowed());
}

TEST_F(RightsServiceTest, MalformedAuthorizeRequestsAreInvalidArgument) {
  ASSERT_TRUE(Register(MakeContent("open", v1::PRICE_MODEL_FREE, 0, 'o')).ok());
  const v1::AuthorizeRequest good = Ask("sip:alice@ims.test", "open");

  v1::AuthorizeRequest req = good;
  req.set_time(Now() + 600);
  EXPECT_EQ(AuthorizeCode(req), grpc::StatusCode::INVALID_ARGUMENT) << "10 minutes ahead";
  req.set_time(Now() - 600);
  EXPECT_EQ(AuthorizeCode(req), grpc::StatusCode::INVALID_ARGUMENT) << "10 minutes behind";
  req = good;
  req.clear_subject();
  EXPECT_EQ(AuthorizeCode(req), grpc::StatusCode::INVALID_ARGUMENT) << "no subject";
  req = good;
  req.clear_content_id();
  EXPECT_EQ(AuthorizeCode(req), grpc::StatusCode::INVALID_ARGUMENT) << "no content id";
  req = good;
  req.set_role("admin");
  EXPECT_EQ(AuthorizeCode(req), grpc::StatusCode::INVALID_ARGUMENT) << "role admin";
  req = good;
  req.set_subject("sip:" + std::string(300, 'a') + "@ims.test");  // too long for a token claim
  EXPECT_EQ(AuthorizeCode(req), grpc::StatusCode::INVALID_ARGUMENT) << "300-byte subject";
  ASSERT_OK(replica_->audit.Flush());
  EXPECT_TRUE(Rows("SELECT id FROM rights.audit WHERE action = 'authorize'").empty())
      << "a refused request is not a decision";

  // Small clock skew is tolerated.
  req = good;
  req.set_time(Now() - 60);
  EXPECT_TRUE(Authorize(req).allowed());
  req.set_time(Now() + 60);
  EXPECT_TRUE(Authorize(req).allowed());
}

TEST_F(RightsServiceTest, ARentalLastsItsLicencesRentalTimeAndCapsTheToken) {
  ASSERT_TRUE(Register(MakeContent("rent-me", v1::PRICE_MODEL_RENTAL, 399, 'x')).ok());
  v1::Entitlement rental;
  rental.set_subject("sip:frank@ims.test");
  rental.set_kind(v1::ENTITLEMENT_KIND_RENTAL);
  rental.add_content_ids("rent-me");
  rental.set_expires_at(Now() - 60);
  EXPECT_EQ(Grant(rental).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "an entitlement that already ended";

  // Without expires_at the licence's 48 hours apply.
  rental.clear_expires_at();
  v1::Entitlement granted;
  ASSERT_TRUE(Grant(rental, &granted).ok());
  EXPECT_NEAR(granted.expires_at(), Now() + 48 * 3600, 5);
  v1::AuthorizeResponse r = Authorize(Ask("sip:frank@ims.test", "rent-me"));
  ASSERT_TRUE(r.allowed()) << r.message();
  EXPECT_NEAR(r.expires_at(), Now() + 4 * 3600, 5);  // the token TTL comes first

  // A rental ending within the token TTL caps the token.
  rental.set_expires_at(Now() + 600);
  Rows("DELETE FROM rights.entitlement");
  ASSERT_TRUE(Grant(rental).ok());
  r = Authorize(Ask("sip:frank@ims.test", "rent-me"));
  ASSERT_TRUE(r.allowed()) << r.message();
  EXPECT_EQ(r.expires_at(), rental.expires_at());

  // Once it has run out (here: moved into the past), it no longer entitles.
  Rows("UPDATE rights.entitlement SET expires_at = now() - interval '1 minute'");
  r = Authorize(Ask("sip:frank@ims.test", "rent-me"));
  EXPECT_FALSE(r.allowed());
  EXPECT_EQ(r.reason(), v1::DENY_REASON_NOT_ENTITLED);
  EXPECT_EQ(r.message(), "entitlement expired");
}

TEST_F(RightsServiceTest, SubscriptionToAnOwnerCoversThatOwnersCatalogue) {
  ASSERT_TRUE(Register(MakeContent("s-1", v1::PRICE_MODEL_SUBSCRIPTION, 0, '1', "studio")).ok());
  ASSERT_TRUE(Register(MakeContent("s-2", v1::PRICE_MODEL_PURCHASE, 99, '2', "studio")).ok());
  ASSERT_TRUE(Register(MakeContent("i-1", v1::PRICE_MODEL_SUBSCRIPTION, 0, '3', "indie")).ok());

  v1::Entitlement sub;
  sub.set_subject("sip:gina@ims.test");
  sub.set_kind(v1::ENTITLEMENT_KIND_SUBSCRIPTION);
  sub.set_owner("studio");
  ASSERT_TRUE(Grant(sub).ok());

  EXPECT_TRUE(Authorize(Ask("sip:gina@ims.test", "s-1")).allowed());
  EXPECT_TRUE(Authorize(Ask("sip:gina@ims.test", "s-2")).allowed());
  EXPECT_EQ(Authorize(Ask("sip:gina@ims.test", "i-1")).reason(), v1::DENY_REASON_NOT_ENTITLED);
  EXPECT_EQ(Authorize(Ask("sip:hank@ims.test", "s-1")).reason(), v1::DENY_REASON_NOT_ENTITLED);
}

TEST_F(RightsServiceTest, GrantEntitlementValidates) {
  ASSERT_TRUE(Register(MakeContent("movie", v1::PRICE_MODEL_PURCHASE, 299, 'm')).ok());
  v1::Entitlement e;
  e.set_subject("sip:alice@ims.test");
  e.set_kind(v1::ENTITLEMENT_KIND_PURCHASE);
  e.add_content_ids("movie");

  v1::Entitlement bad = e;
  bad.clear_subject();
  EXPECT_EQ(Grant(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "no subject";
  bad = e;
  bad.set_kind(v1::ENTITLEMENT_KIND_UNSPECIFIED);
  EXPECT_EQ(Grant(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "no kind";
  bad = e;
  bad.clear_content_ids();
  EXPECT_EQ(Grant(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "covers nothing";
  bad = e;
  bad.set_subject("alice");
  EXPECT_EQ(Grant(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "not a SIP URI";
  bad = e;
  bad.add_content_ids("movie-2");
  EXPECT_EQ(Grant(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "purchase of two";
  bad = e;
  bad.set_owner("studio");
  EXPECT_EQ(Grant(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "purchase of owner";
  bad = e;
  bad.set_kind(v1::ENTITLEMENT_KIND_SUBSCRIPTION);
  bad.set_owner("studio");
  EXPECT_EQ(Grant(bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "bundle and owner";
  bad = e;
  bad.set_content_ids(0, "no-such-movie");
  EXPECT_EQ(Grant(bad).error_code(), grpc::StatusCode::NOT_FOUND) << "unknown content";
  EXPECT_TRUE(Rows("SELECT entitlement_id FROM rights.entitlement").empty());

  v1::GrantEntitlementRequest req;
  *req.mutable_entitlement() = e;
  req.set_actor("op:test");
  v1::Entitlement out;
  ASSERT_TRUE(admin_->GrantEntitlement(nullptr, &req, &out).ok());
  EXPECT_FALSE(out.entitlement_id().empty());
  EXPECT_EQ(out.subject(), "sip:alice@ims.test");
  EXPECT_NEAR(out.granted_at(), Now(), 5);
  EXPECT_EQ(Rows("SELECT subject, kind, array_to_string(content_ids, ','), owner, expires_at"
                 " FROM rights.entitlement"),
            (std::vector<std::string>{"sip:alice@ims.test|purchase|movie|NULL|NULL"}));
}

TEST_F(RightsServiceTest, EveryDecisionWritesOneAuditRow) {
  ASSERT_TRUE(Register(MakeContent("movie", v1::PRICE_MODEL_PURCHASE, 299, 'm')).ok());
  ASSERT_TRUE(Register(MakeContent("open", v1::PRICE_MODEL_FREE, 0, 'o')).ok());

  Authorize(Ask("sip:alice@ims.test", "unknown"));
  Authorize(Ask("sip:alice@ims.test", "movie"));
  Authorize(Ask("sip:alice@ims.test", "open"));
  ASSERT_TRUE(GrantPurchase("sip:alice@ims.test", "movie").ok());
  const std::string token_id = Authorize(Ask("sip:alice@ims.test", "movie")).token_id();
  ASSERT_OK(replica_->audit.Flush());

  EXPECT_EQ(Rows("SELECT actor, subject, content_id, result,"
                 " regexp_replace(reason, 'token [0-9a-f]{32}', 'token <id>') FROM rights.audit"
                 " WHERE action = 'authorize' ORDER BY at, id"),
            (std::vector<std::string>{
                "sip:alice@ims.test|sip:alice@ims.test|unknown|deny|DENY_REASON_UNKNOWN_CONTENT",
                "sip:alice@ims.test|sip:alice@ims.test|movie|deny|DENY_REASON_NOT_ENTITLED",
                "sip:alice@ims.test|sip:alice@ims.test|open|allow|free content token <id>",
                "sip:alice@ims.test|sip:alice@ims.test|movie|allow|entitled by purchase token <id>",
            }));
  // The record names the token, so an investigation can follow it to the tracker.
  EXPECT_EQ(Rows("SELECT count(*) FROM rights.audit WHERE reason LIKE '%" + token_id + "'"),
            (std::vector<std::string>{"1"}));
}

// ---- SearchCatalogue ----

TEST_F(RightsServiceTest, SearchCatalogueFindsTitlesAndIdsButNotWithdrawnContent) {
  char hash = 'a';
  for (const char* id : {"sintel", "sintel-extras", "big-buck-bunny", "gone"}) {
    ASSERT_TRUE(Register(MakeContent(id, v1::PRICE_MODEL_PURCHASE, 299, hash++)).ok()) << id;
  }
  v1::Content odd = MakeContent("odd", v1::PRICE_MODEL_FREE, 0, hash++);
  odd.set_title("100%_true");
  ASSERT_TRUE(Register(odd).ok());
  v1::WithdrawContentRequest withdraw;
  withdraw.set_content_id("gone");
  withdraw.set_reason("licence ended");
  withdraw.set_actor("op:test");
  v1::Content withdrawn;
  ASSERT_TRUE(admin_->WithdrawContent(nullptr, &withdraw, &withdrawn).ok());
  auto search = [&](const std::string& query, int limit = 0) {
    v1::SearchCatalogueRequest req;
    req.set_query(query);
    req.set_limit(limit);
    v1::SearchCatalogueResponse resp;
    grpc::Status s = rights_->SearchCatalogue(nullptr, &req, &resp);
    std::vector<std::string> ids;
    if (!s.ok()) ids.push_back("error " + std::to_string(s.error_code()));
    for (const auto& e : resp.entries()) ids.push_back(e.content_id());
    return ids;
  };
  EXPECT_EQ(search("SINTEL"), (std::vector<std::string>{"sintel", "sintel-extras"}));
  EXPECT_EQ(search("title of big"), (std::vector<std::string>{"big-buck-bunny"}));
  EXPECT_EQ(search("sintel", 1), (std::vector<std::string>{"sintel"}));
  // LIKE's wildcards in a query are plain characters.
  EXPECT_EQ(search("%_"), (std::vector<std::string>{"odd"}));
  EXPECT_EQ(search("_"), (std::vector<std::string>{"odd"}));
  EXPECT_TRUE(search("gone").empty());
  EXPECT_EQ(search(""), (std::vector<std::string>{"error 3"}));
  EXPECT_EQ(search(std::string(101, 'x')), (std::vector<std::string>{"error 3"}));
  EXPECT_EQ(search("x", 51), (std::vector<std::string>{"error 3"}));

  v1::SearchCatalogueRequest req;
  req.set_query("sintel-extras");
  v1::SearchCatalogueResponse resp;
  ASSERT_TRUE(rights_->SearchCatalogue(nullptr, &req, &resp).ok());
  ASSERT_EQ(resp.entries_size(), 1);
  EXPECT_EQ(resp.entries(0).title(), "Title of sintel-extras");
  EXPECT_EQ(resp.entries(0).price_model(), v1::PRICE_MODEL_PURCHASE);
  EXPECT_EQ(resp.entries(0).price().minor(), 299);
  EXPECT_EQ(resp.entries(0).size_bytes(), 1 << 20);
}

// ---- GetSigningKeys ----

TEST_F(RightsServiceTest, GetSigningKeysListsTheWholeSetAndOnlyTheFirstSigns) {
  v1::GetSigningKeysRequest req;
  v1::GetSigningKeysResponse keys;
  ASSERT_TRUE(rights_->GetSigningKeys(nullptr, &req, &keys).ok());
  EXPECT_EQ(keys.current_kid(), "k1");
  ASSERT_EQ(keys.keys_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(keys.keys(i).kid(), keys_[i].kid);
    EXPECT_EQ(keys.keys(i).public_key(),
              std::string(keys_[i].public_key.begin(), keys_[i].public_key.end()));
  }

  ASSERT_TRUE(Register(MakeContent("open", v1::PRICE_MODEL_FREE, 0, 'o')).ok());
  const v1::AuthorizeResponse r = Authorize(Ask("sip:alice@ims.test", "open"));
  ASSERT_TRUE(r.allowed());
  const uint32_t now = static_cast<uint32_t>(Now());

  token::Verifier first;
  first.SetKeys({{"k1", keys_[0].public_key}});
  EXPECT_TRUE(first.Verify(r.token(), now).ok());

  token::Verifier second_only;
  second_only.SetKeys({{"k2", keys_[1].public_key}});
  auto refused = second_only.Verify(r.token(), now);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(refused.status().message(), "unknown signing key");

  // The second key under the first key's kid does not verify the signature either.
  token::Verifier impostor;
  impostor.SetKeys({{"k1", keys_[1].public_key}});
  EXPECT_EQ(impostor.Verify(r.token(), now).status().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace p2pims::rights
