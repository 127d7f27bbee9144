#include "lib/iso/iso_codes.h"

#include <gtest/gtest.h>

#include <string>

namespace p2pims {
namespace {

TEST(IsoCodesTest, TablesAnswer) {
  EXPECT_TRUE(IsCurrencyCode("EUR"));
  EXPECT_TRUE(IsCurrencyCode("JPY"));
  EXPECT_FALSE(IsCurrencyCode("ABC"));
  EXPECT_TRUE(IsCountryCode("DE"));
  EXPECT_TRUE(IsCountryCode("ZW"));
  EXPECT_FALSE(IsCountryCode("UK"));  // the ISO code is GB
  EXPECT_EQ(CountryOfMcc("262"), "DE");
  EXPECT_EQ(CountryOfMcc("202"), "GR");
  EXPECT_EQ(CountryOfMcc("750"), "FK");
  EXPECT_EQ(CountryOfMcc("999"), "");
  // Every MCC maps to a country the country table knows.
  for (int mcc = 200; mcc < 800; ++mcc) {
    const std::string_view country = CountryOfMcc(std::to_string(mcc));
    if (!country.empty()) {
      EXPECT_TRUE(IsCountryCode(country)) << mcc;
    }
  }
}

}  // namespace
}  // namespace p2pims
