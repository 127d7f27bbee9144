#include "tools/p2pimsctl/licence_flags.h"

#include <gtest/gtest.h>

#include "tools/p2pimsctl/cli_error.h"

namespace p2pims::ctl {
namespace {

namespace v1 = ::p2pims::rights::v1;

// Parses `args` as "content update ID <args>" and applies them to `licence`.
absl::Status Apply(std::vector<std::string> args, v1::Licence& licence) {
  CommandLine cl("content update", "");
  cl.Arg("ID", "");
  AddLicenceFlags(cl, LicenceFlagsFor::kUpdate);
  args.insert(args.begin(), "x");
  if (absl::Status s = cl.Parse(args); !s.ok()) return s;
  return ApplyLicenceFlags(cl, licence);
}

TEST(LicenceFlagsTest, SetsEveryField) {
  v1::Licence l;
  ASSERT_TRUE(Apply({"--price-model",    "rental",
                     "--price",          "299",
                     "--currency",       "EUR",
                     "--rental-seconds", "172800",
                     "--owner-share-bp", "7000",
                     "--territory",      "262-01",
                     "--territory",      "262-02/area-7",
                     "--window-start",   "1767225600",
                     "--window-end",     "2027-01-01T00:00:00Z",
                     "--device-limit",   "3"},
                    l)
                  .ok());
  EXPECT_EQ(l.price_model(), v1::PRICE_MODEL_RENTAL);
  EXPECT_EQ(l.price().minor(), 299);
  EXPECT_EQ(l.price().currency(), "EUR");
  EXPECT_EQ(l.rental_seconds(), 172800);
  EXPECT_EQ(l.owner_share_bp(), 7000);
  ASSERT_EQ(l.territories_size(), 2);
  EXPECT_EQ(l.territories(1), "262-02/area-7");
  EXPECT_EQ(l.window_start(), 1767225600);
  EXPECT_EQ(l.window_end(), 1798761600);
  EXPECT_EQ(l.device_limit(), 3);
}

TEST(LicenceFlagsTest, UpdateKeepsWhatIsNotGiven) {
  v1::Licence l;
  l.set_price_model(v1::PRICE_MODEL_PURCHASE);
  l.mutable_price()->set_minor(500);
  l.mutable_price()->set_currency("EUR");
  l.add_territories("262-01");
  l.set_window_end(2000000000);
  ASSERT_TRUE(Apply({"--price", "450"}, l).ok());
  EXPECT_EQ(l.price_model(), v1::PRICE_MODEL_PURCHASE);
  EXPECT_EQ(l.price().minor(), 450);
  EXPECT_EQ(l.price().currency(), "EUR");
  EXPECT_EQ(l.territories_size(), 1);
  EXPECT_EQ(l.window_end(), 2000000000);

  ASSERT_TRUE(Apply({"--clear-territories", "--window-end", "0"}, l).ok());
  EXPECT_EQ(l.territories_size(), 0);
  EXPECT_EQ(l.window_end(), 0);
}

TEST(LicenceFlagsTest, NoPriceFlagsLeaveThePriceUnset) {
  v1::Licence l;
  ASSERT_TRUE(Apply({"--price-model", "free"}, l).ok());
  EXPECT_FALSE(l.has_price());
}

TEST(LicenceFlagsTest, BadValuesAreUsageErrorsAndChangeNothing) {
  const std::vector<std::vector<std::string>> bad = {
      {"--price-model", "gratis"},
      {"--price-model", "PRICE_MODEL_FREE"},
      {"--price", "-1"},
      {"--price", "2.99"},
      {"--currency", "eur"},
      {"--currency", "EURO"},
      {"--rental-seconds", "-5"},
      {"--owner-share-bp", "10001"},
      {"--device-limit", "-1"},
      {"--device-limit", "4294967296"},
      {"--territory", ""},
      {"--territory", "262-01", "--clear-territories"},
      {"--window-start", "tomorrow"},
      {"--window-start", "2027-01-01T00:00:00Z", "--window-end", "2026-01-01T00:00:00Z"},
      {"--window-start", "2000000001"},  // after the window_end already in force
  };
  for (const auto& args : bad) {
    v1::Licence l;
    l.set_window_end(2000000000);
    const v1::Licence before = l;
    absl::Status s = Apply(args, l);
    EXPECT_TRUE(IsUsageError(s)) << testing::PrintToString(args) << " -> " << s;
    EXPECT_EQ(l.SerializeAsString(), before.SerializeAsString()) << testing::PrintToString(args);
  }
}

TEST(LicenceFlagsTest, HasLicenceFlags) {
  CommandLine cl("content update", "");
  cl.Arg("ID", "");
  AddLicenceFlags(cl, LicenceFlagsFor::kUpdate);
  ASSERT_TRUE(cl.Parse({"x"}).ok());
  EXPECT_FALSE(HasLicenceFlags(cl));
  CommandLine with("content update", "");
  with.Arg("ID", "");
  AddLicenceFlags(with, LicenceFlagsFor::kUpdate);
  ASSERT_TRUE(with.Parse({"x", "--clear-territories"}).ok());
  EXPECT_TRUE(HasLicenceFlags(with));
}

}  // namespace
}  // namespace p2pims::ctl
