// Digest authentication's arithmetic against RFC 7616 §3.9.1's worked example, Authorization
// parsing, and stateless nonces.
#include "lib/sip/digest.h"

#include <gtest/gtest.h>

namespace p2pims::sip {
namespace {

constexpr char kNonce[] = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr char kCnonce[] = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

std::string Rfc7616Response(DigestAlgorithm a) {
  const std::string ha1 = DigestHa1(a, "Mufasa", "http-auth@example.org", "Circle of Life");
  return DigestResponse(a, ha1, kNonce, "00000001", kCnonce, "auth", "GET", "/dir/index.html");
}

TEST(DigestTest, MatchesRfc7616Example) {
  EXPECT_EQ(Rfc7616Response(DigestAlgorithm::kMd5), "8ca523f5e9506fed4657c9700eebdbec");
  EXPECT_EQ(Rfc7616Response(DigestAlgorithm::kSha256),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestTest, AlgorithmNames) {
  EXPECT_EQ(ParseDigestAlgorithm(""), DigestAlgorithm::kMd5);
  EXPECT_EQ(ParseDigestAlgorithm("md5"), DigestAlgorithm::kMd5);
  EXPECT_EQ(ParseDigestAlgorithm("SHA-256"), DigestAlgorithm::kSha256);
  EXPECT_FALSE(ParseDigestAlgorithm("SHA-512-256").has_value());
  EXPECT_FALSE(ParseDigestAlgorithm("MD5-sess").has_value());
}

TEST(DigestTest, ParsesAuthorization) {
  auto a = ParseDigestAuthorization(
      "Digest username=\"alice\", realm=\"p2p.example.net\",nonce=\"1.x-y\", "
      "uri=\"sip:p2p.example.net\", response=\"ABCDEF\", algorithm=SHA-256, qop=auth, "
      "nc=00000001, cnonce=\"c\\\"n\", opaque=\"\"");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->username, "alice");
  EXPECT_EQ(a->realm, "p2p.example.net");
  EXPECT_EQ(a->nonce, "1.x-y");
  EXPECT_EQ(a->uri, "sip:p2p.example.net");
  EXPECT_EQ(a->response, "abcdef");
  EXPECT_EQ(a->algorithm, "SHA-256");
  EXPECT_EQ(a->qop, "auth");
  EXPECT_EQ(a->nc, "00000001");
  EXPECT_EQ(a->cnonce, "c\"n");
}

TEST(DigestTest, RefusesMalformedAuthorization) {
  EXPECT_FALSE(ParseDigestAuthorization("Basic YWxpY2U6c2VjcmV0").has_value());
  EXPECT_FALSE(ParseDigestAuthorization("Digest username=\"alice").has_value());
  EXPECT_FALSE(ParseDigestAuthorization("Digest username=\"alice\" nonce=\"n\"").has_value());
  EXPECT_FALSE(ParseDigestAuthorization("Digest realm=\"r\"").has_value());  // no username
  EXPECT_FALSE(ParseDigestAuthorization("Digestusername=\"a\"").has_value());
  EXPECT_FALSE(ParseDigestAuthorization("").has_value());
}

TEST(DigestTest, NoncesAreValidThenStaleAndBoundToTheClient) {
  NonceSource nonces(absl::Minutes(5));
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const std::string n = nonces.Make(t0, "192.0.2.7");
  EXPECT_EQ(nonces.Verify(n, t0 + absl::Minutes(4), "192.0.2.7"), NonceSource::Check::kValid);
  EXPECT_EQ(nonces.Verify(n, t0 + absl::Minutes(6), "192.0.2.7"), NonceSource::Check::kStale);
  EXPECT_EQ(nonces.Verify(n, t0, "192.0.2.8"), NonceSource::Check::kForged);
  std::string altered = n;
  altered[0] = altered[0] == '1' ? '2' : '1';  // another time stamp under the same tag
  EXPECT_EQ(nonces.Verify(altered, t0, "192.0.2.7"), NonceSource::Check::kForged);
  EXPECT_EQ(nonces.Verify("garbage", t0, "192.0.2.7"), NonceSource::Check::kForged);
  NonceSource other(absl::Minutes(5));  // another process (or after a restart)
  EXPECT_EQ(other.Verify(n, t0, "192.0.2.7"), NonceSource::Check::kForged);
}

TEST(DigestTest, ANonceHasOneSpelling) {
  NonceSource nonces(absl::Minutes(5));
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  const std::string n = nonces.Make(t0, "192.0.2.7");
  // The same time stamp written otherwise under the genuine tag (digest_fuzz found "000...").
  for (const std::string prefix : {"0", "00000000000", "+", " "}) {
    EXPECT_EQ(nonces.Verify(prefix + n, t0, "192.0.2.7"), NonceSource::Check::kForged) << prefix;
  }
}

}  // namespace
}  // namespace p2pims::sip
