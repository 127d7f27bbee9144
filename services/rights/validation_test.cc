#include "services/rights/validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>


namespace p2pims::rights {
namespace {

v1::Licence Purchase() {
  v1::Licence l;
  l.set_price_model(v1::PRICE_MODEL_PURCHASE);
  l.mutable_price()->set_minor(299);
  l.mutable_price()->set_currency("EUR");
  l.set_owner_share_bp(7000);
  return l;
}

// The message of a licence check, "" when it passes.
std::string Problem(const v1::Licence& l) { return std::string(CheckLicence(l).message()); }

TEST(ValidationTest, ContentIds) {
  EXPECT_TRUE(CheckContentId("big-buck_bunny.2~1").ok());
  EXPECT_FALSE(CheckContentId("").ok());
  EXPECT_FALSE(CheckContentId("a b").ok());
  EXPECT_FALSE(CheckContentId("a/b").ok());
  EXPECT_FALSE(CheckContentId(std::string(129, 'a')).ok());
}

TEST(ValidationTest, SubjectsAreImsPublicIdentities) {
  for (const char* good : {"sip:alice@ims.example.net", "sips:bob@example.org", "tel:+491701234567"}) {
    EXPECT_TRUE(CheckSubject(good).ok()) << good;
  }
  for (const char* bad : {"", "alice", "sip:alice", "sip:@host", "sip:alice@", "mailto:a@b",
                          "tel:0170", "tel:+49 170", "sip:a@b@c", "sip:al ice@host",
                          "sip:alice@host;transport=tcp"}) {
    EXPECT_EQ(CheckSubject(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(CheckSubject("sip:" + std::string(300, 'a') + "@host").ok());
}

TEST(ValidationTest, AGoodLicenceOfEveryPriceModelPasses) {
  EXPECT_EQ(Problem(Purchase()), "");
  v1::Licence l = Purchase();
  l.set_price_model(v1::PRICE_MODEL_RENTAL);
  l.set_rental_seconds(48 * 3600);
  EXPECT_EQ(Problem(l), "");
  l = Purchase();
  l.set_price_model(v1::PRICE_MODEL_SUBSCRIPTION);
  EXPECT_EQ(Problem(l), "");
  l.set_price_model(v1::PRICE_MODEL_PER_BYTE);
  EXPECT_EQ(Problem(l), "");
  l.set_price_model(v1::PRICE_MODEL_FREE);
  l.mutable_price()->set_minor(0);
  EXPECT_EQ(Problem(l), "");
}

TEST(ValidationTest, BadLicencesSayWhatIsWrong) {
  struct Case {
    std::function<void(v1::Licence&)> change;
    std::string expected_part;
  };
  const std::vector<Case> cases = {
      {[](v1::Licence& l) { l.set_price_model(v1::PRICE_MODEL_UNSPECIFIED); }, "price_model"},
      {[](v1::Licence& l) { l.set_price_model(static_cast<v1::PriceModel>(42)); }, "price_model"},
      {[](v1::Licence& l) { l.mutable_price()->set_minor(-1); }, "price.minor"},
      {[](v1::Licence& l) { l.mutable_price()->set_minor(INT64_MAX); }, "price.minor"},
      {[](v1::Licence& l) { l.mutable_price()->set_currency("EURO"); }, "ISO 4217"},
      {[](v1::Licence& l) { l.mutable_price()->set_currency("eur"); }, "ISO 4217"},
      {[](v1::Licence& l) { l.mutable_price()->set_currency("XAU"); }, "ISO 4217"},
      {[](v1::Licence& l) { l.set_price_model(v1::PRICE_MODEL_FREE); }, "free content"},
      {[](v1::Licence& l) { l.set_price_model(v1::PRICE_MODEL_RENTAL); }, "rental_seconds"},
      {[](v1::Licence& l) { l.set_rental_seconds(60); }, "only for rentals"},
      {[](v1::Licence& l) { l.set_owner_share_bp(10001); }, "owner_share_bp"},
      {[](v1::Licence& l) { l.set_owner_share_bp(-1); }, "owner_share_bp"},
      {[](v1::Licence& l) { l.add_territories("XX"); }, "\"XX\""},
      {[](v1::Licence& l) { l.add_territories("de"); }, "\"de\""},
      {[](v1::Licence& l) { l.add_territories("262"); }, "\"262\""},
      {[](v1::Licence& l) { l.add_territories("262-01/"); }, "\"262-01/\""},
      {[](v1::Licence& l) { l.add_territories("262-0001"); }, "\"262-0001\""},
      {[](v1::Licence& l) { l.set_window_start(200); l.set_window_end(100); }, "window_end"},
      {[](v1::Licence& l) { l.set_window_start(200); l.set_window_end(200); }, "window_end"},
      {[](v1::Licence& l) { l.set_window_start(-5); }, "not negative"},
      {[](v1::Licence& l) { l.set_device_limit(-1); }, "device_limit"},
  };
  for (const Case& c : cases) {
    v1::Licence l = Purchase();
    c.change(l);
    const absl::Status s = CheckLicence(l);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.expected_part;
    EXPECT_NE(s.message().find(c.expected_part), absl::string_view::npos) << s.message();
  }
}

TEST(ValidationTest, TerritoriesMayBeCountriesOrLocalityPaths) {
  v1::Licence l = Purchase();
  for (const char* t : {"DE", "GB", "262-01", "262-01/area-7", "310-260/a/cell_3"}) {
    l.add_territories(t);
  }
  EXPECT_EQ(Problem(l), "");
}

}  // namespace
}  // namespace p2pims::rights
