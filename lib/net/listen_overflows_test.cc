#include "lib/net/listen_overflows.h"

#include <gtest/gtest.h>

namespace p2pims::net {
namespace {

TEST(ListenOverflowsTest, ReadsTheTcpExtCounterByName) {
  EXPECT_EQ(ListenOverflowsIn("TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"
                              "TcpExt: 4 17 19\n"
                              "IpExt: InNoRoutes\n"
                              "IpExt: 0\n"),
            17u);
}

TEST(ListenOverflowsTest, NoCounterIsNoValue) {
  EXPECT_EQ(ListenOverflowsIn("TcpExt: SyncookiesSent\nTcpExt: 4\n"), std::nullopt);
  EXPECT_EQ(ListenOverflowsIn("TcpExt: ListenOverflows\n"), std::nullopt);
  EXPECT_EQ(ListenOverflowsIn("TcpExt: ListenOverflows\nTcpExt: many\n"), std::nullopt);
  EXPECT_EQ(ListenOverflowsIn(""), std::nullopt);
}

TEST(ListenOverflowsTest, ThisMachineHasTheCounter) {
  EXPECT_TRUE(ListenOverflows().has_value());
}

}  // namespace
}  // namespace p2pims::net
