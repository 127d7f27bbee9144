#include "lib/encoding/encoding.h"

#include <gtest/gtest.h>

namespace p2pims {
namespace {

TEST(EncodingTest, Base64UrlRoundTripAndRejectsPaddingAndForeignCharacters) {
  EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode("hello")), "hello");
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
  EXPECT_FALSE(Base64UrlDecode("aGVsbG8=").has_value());
  EXPECT_FALSE(Base64UrlDecode("a+b/").has_value());
}

TEST(EncodingTest, Base64UrlRefusesBytesAboveAscii) {
  // libsodium alone decodes "AAA\x80" like "AAA_".
  EXPECT_EQ(*Base64UrlDecode("AAA_"), std::string("\0\0\x3f", 3));
  for (int b = 0x80; b <= 0xff; ++b) {
    EXPECT_FALSE(Base64UrlDecode(std::string("AAA") + static_cast<char>(b)).has_value()) << b;
  }
  EXPECT_FALSE(Base64UrlDecode(std::string("ab\xe2\x82")).has_value());
}

TEST(EncodingTest, HexRoundTrip) {
  EXPECT_EQ(Hex(std::string("\x01\xff\x00", 3)), "01ff00");
  EXPECT_EQ(*Unhex("01FF00"), std::string("\x01\xff\x00", 3));
  EXPECT_FALSE(Unhex("abc").has_value());
  EXPECT_FALSE(Unhex("zz").has_value());
  EXPECT_EQ(*Unhex(""), "");
}

}  // namespace
}  // namespace p2pims
