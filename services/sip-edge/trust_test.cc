#include "services/sip-edge/trust.h"

#include <gtest/gtest.h>

namespace p2pims::sip_edge {
namespace {

TEST(TrustTest, MatchesIpv4AndIpv6Prefixes) {
  TrustedNetworks t;
  ASSERT_TRUE(t.Parse("127.0.0.1, 10.0.0.0/8, 192.168.4.0/22, fd00::/8").ok());
  EXPECT_TRUE(t.Contains("127.0.0.1"));
  EXPECT_FALSE(t.Contains("127.0.0.2"));
  EXPECT_TRUE(t.Contains("10.200.1.1"));
  EXPECT_TRUE(t.Contains("192.168.7.255"));
  EXPECT_FALSE(t.Contains("192.168.8.0"));
  EXPECT_TRUE(t.Contains("fd12::1"));
  EXPECT_FALSE(t.Contains("fe80::1"));
  EXPECT_FALSE(t.Contains("not-an-ip"));
}

TEST(TrustTest, RejectsBadEntries) {
  TrustedNetworks t;
  EXPECT_FALSE(t.Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(t.Parse("example.com").ok());
  EXPECT_FALSE(t.Parse("10.0.0.0/x").ok());
  EXPECT_TRUE(t.Parse("").ok());
  EXPECT_EQ(t.size(), 0u);
}

TEST(TrustTest, FirstAssertedIdentity) {
  EXPECT_EQ(*FirstAssertedIdentity("\"Alice\" <sip:alice@ims.example.net>, <tel:+4912345>"),
            "sip:alice@ims.example.net");
  EXPECT_EQ(*FirstAssertedIdentity("<tel:+4912345>"), "tel:+4912345");
  EXPECT_EQ(*FirstAssertedIdentity("sip:bob@x;foo=bar"), "sip:bob@x");
  EXPECT_FALSE(FirstAssertedIdentity("<http://x>").has_value());
  EXPECT_FALSE(FirstAssertedIdentity("").has_value());
}

TEST(TrustTest, AssertedIdentityIsAUriNotTheRestOfTheHeader) {
  EXPECT_FALSE(FirstAssertedIdentity(std::string("tel:+49151}\0\0>\xff", 15)).has_value());
  EXPECT_FALSE(FirstAssertedIdentity("<sip:alice@x y>").has_value());
  EXPECT_EQ(*FirstAssertedIdentity("<sip:al\xc3\xa9>, <tel:+4912345>"), "tel:+4912345");
}

}  // namespace
}  // namespace p2pims::sip_edge
