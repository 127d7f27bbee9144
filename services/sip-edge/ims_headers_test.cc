#include "services/sip-edge/ims_headers.h"

#include <gtest/gtest.h>

namespace p2pims::sip_edge {
namespace {

TEST(ImsHeadersTest, ChargingVector) {
  ChargingVector v = ParseChargingVector(
      "icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=\";icid-generated-at=192.0.6.8;orig-ioi=home1.net");
  EXPECT_EQ(v.icid, "AyretyU0dm+6O2IrT5tAFrbHLso=");
  EXPECT_EQ(v.orig_ioi, "home1.net");
  EXPECT_TRUE(ParseChargingVector("").icid.empty());
}

TEST(ImsHeadersTest, NewIcidsAreUniqueAndNamed) {
  std::string a = NewIcid("edge-0"), b = NewIcid("edge-0");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("edge-0-", 0), 0u);
  EXPECT_EQ(a.size(), std::string("edge-0-").size() + 16);
}

TEST(ImsHeadersTest, EutranCellWithTwoDigitMnc) {
  AccessNetwork a =
      ParseAccessNetworkInfo("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201ab12c34d56e; np");
  EXPECT_EQ(a.access_type, "3GPP-E-UTRAN-FDD");
  EXPECT_EQ(a.locality, "262-01/AB12/C34D56E");
  EXPECT_TRUE(a.network_provided);
}

TEST(ImsHeadersTest, UtranCellWithThreeDigitMncWithoutNp) {
  AccessNetwork a = ParseAccessNetworkInfo("3GPP-UTRAN-FDD;utran-cell-id-3gpp=310410000A0000001");
  EXPECT_EQ(a.locality, "310-410/000A/0000001");
  EXPECT_FALSE(a.network_provided);
}

TEST(ImsHeadersTest, NrCellAndWlanAndGarbage) {
  EXPECT_EQ(ParseAccessNetworkInfo("3GPP-NR-FDD; utran-cell-id-3gpp=00101000001000000001").locality,
            "001-01/000001/000000001");
  EXPECT_EQ(ParseAccessNetworkInfo("IEEE-802.11; i-wlan-node-id=00AABBCCDDEE").locality,
            "wlan/00aabbccddee");
  EXPECT_EQ(ParseAccessNetworkInfo("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201XYZ").locality, "");
  EXPECT_EQ(ParseAccessNetworkInfo("").locality, "");
}

}  // namespace
}  // namespace p2pims::sip_edge
