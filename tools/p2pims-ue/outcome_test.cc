#include "tools/p2pims-ue/outcome.h"

#include <gtest/gtest.h>

namespace p2pims::ue {
namespace {

SipAnswer Answer(int status, std::string phrase, std::string warning = "") {
  return {.status = status, .phrase = std::move(phrase), .warning = std::move(warning)};
}

TEST(OutcomeTest, EachRefusalHasItsExitCodeAndTheNetworksWords) {
  Outcome credit = FromSip(Answer(402, "Payment Required", "out of credit: 0.50 available"), "x");
  EXPECT_EQ(credit.code, kOutOfCredit);
  EXPECT_EQ(credit.message, "x: out of credit: 0.50 available (402)");
  EXPECT_EQ(FromSip(Answer(403, "Forbidden", "no entitlement"), "x").code, kRefused);
  EXPECT_EQ(FromSip(Answer(404, "Not Found"), "x").message, "x: Not Found (404)");
  EXPECT_EQ(FromSip(Answer(404, "Not Found"), "x").code, kNotFound);
  EXPECT_EQ(FromSip(Answer(503, "Service Unavailable"), "x").code, kUnavailable);
  EXPECT_EQ(FromSip(Answer(401, "Unauthorized"), "x").code, kAuthentication);
  EXPECT_EQ(FromSip(Answer(403, "Forbidden", "digest authentication failed"), "x").code,
            kAuthentication);
  EXPECT_EQ(FromSip(Answer(0, ""), "x").code, kUnavailable);
  EXPECT_EQ(FromSip(Answer(488, "Not Acceptable Here"), "x").code, kRefused);
}

TEST(OutcomeTest, ANetworkByeMidFetchSaysWhyAndThatTheBytesAreKept) {
  Outcome credit = FromNetworkBye("the network ended the session: out of credit (402)", 402);
  EXPECT_EQ(credit.code, kOutOfCredit);
  EXPECT_EQ(credit.message,
            "the network ended the session: out of credit (402); what was fetched is kept: fetch "
            "again to resume");
  EXPECT_EQ(FromNetworkBye("the network ended the session: session time limit reached (408)", 408)
                .code,
            kUnavailable);
  EXPECT_EQ(FromNetworkBye("the network ended the session (BYE)", 0).code, kUnavailable);
}

TEST(OutcomeTest, OnlySipEdgesTooLargeForUdpAnswerAsksForTcp) {
  SipAnswer too_large{.status = 500,
                      .phrase = "Server Internal Error",
                      .warning = "the session descriptor (70000 bytes) is too large for UDP: send "
                                 "the INVITE over TCP"};
  EXPECT_TRUE(WantsTcp(too_large));
  SipAnswer other = too_large;
  other.warning = "the tracker refused the token";
  EXPECT_FALSE(WantsTcp(other));
  other = too_large;
  other.status = 503;
  EXPECT_FALSE(WantsTcp(other));
  EXPECT_FALSE(WantsTcp(SipAnswer{.status = 500}));  // Sofia-SIP's own 500: no Warning
}

}  // namespace
}  // namespace p2pims::ue
