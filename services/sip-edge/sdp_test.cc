// SDP offers in content INVITEs: what is usable, the declining answer, the multipart body.
#include "services/sip-edge/sdp.h"

#include <gtest/gtest.h>

namespace p2pims::sip_edge {
namespace {

// An RFC 5547 file-transfer offer (MSRP) as a terminal would send it for content.
constexpr char kFileOffer[] =
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\n"
    "t=0 0\r\nm=message 7654 TCP/MSRP *\r\na=sendrecv\r\n"
    "a=file-selector:name:\"sintel.mkv\" type:video/x-matroska size:129241752\r\n"
    "m=audio 49170 RTP/AVP 0 8\r\n";

TEST(SdpTest, ParsesAFileTransferOffer) {
  std::string why;
  auto offer = ParseSdpOffer(kFileOffer, &why);
  ASSERT_TRUE(offer.has_value()) << why;
  EXPECT_EQ(offer->media, (std::vector<std::string>{"message 7654 TCP/MSRP *", "audio 49170 RTP/AVP 0 8"}));
  ASSERT_EQ(offer->file_selectors.size(), 1u);
  EXPECT_EQ(offer->file_selectors[0].substr(0, 17), "name:\"sintel.mkv\"");
}

TEST(SdpTest, DeclinesEveryStreamKeepingTheLines) {
  std::string why;
  auto offer = ParseSdpOffer(kFileOffer, &why);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(DeclineAll(*offer, "s1"),
            "v=0\r\no=p2pims 0 0 IN IP4 0.0.0.0\r\ns=s1\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
            "m=message 0 TCP/MSRP *\r\nm=audio 0 RTP/AVP 0 8\r\n");
}

TEST(SdpTest, RefusesUnusableOffers) {
  std::string why;
  EXPECT_FALSE(ParseSdpOffer("", &why).has_value());
  EXPECT_FALSE(ParseSdpOffer("v=0\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n", &why).has_value());  // no o=
  EXPECT_FALSE(ParseSdpOffer("v=0\r\no=a 1 1 IN IP4 x\r\ns=-\r\n", &why).has_value());
  EXPECT_EQ(why, "SDP offer without an m-line");
  EXPECT_FALSE(ParseSdpOffer("v=0\r\no=a 1 1 IN IP4 x\r\ns=-\r\nm=audio 1\r\n", &why).has_value());
  EXPECT_FALSE(ParseSdpOffer("hello world", &why).has_value());
  // Nothing of an m-line that the answer repeats may end or add a line (sdp_fuzz).
  const std::string head = "v=0\r\no=a 1 1 IN IP4 x\r\ns=-\r\n";
  EXPECT_FALSE(ParseSdpOffer(head + std::string("m=audio 1 RTP/AVP 0\0x\r\n", 23), &why).has_value());
  EXPECT_FALSE(ParseSdpOffer(head + "m=audio 1 RTP/AVP 0\ra=x\r\n", &why).has_value());
  EXPECT_FALSE(ParseSdpOffer(head + "m=audio 1 RTP/AVP 0\t8\r\n", &why).has_value());
  EXPECT_EQ(why, "m-line with a control character");
}

TEST(SdpTest, MultipartBodyHoldsEachPartOnce) {
  Multipart m = MultipartMixed({{"application/sdp", "v=0\r\n"}, {"text/plain", "hi"}});
  const std::string boundary = m.content_type.substr(m.content_type.find('=') + 1);
  ASSERT_EQ(m.content_type, "multipart/mixed;boundary=" + boundary);
  EXPECT_EQ(m.body, "--" + boundary + "\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--" +
                        boundary + "\r\nContent-Type: text/plain\r\n\r\nhi\r\n--" + boundary +
                        "--\r\n");
}

}  // namespace
}  // namespace p2pims::sip_edge
