#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "lib/encoding/encoding.h"
#include "lib/token/codec.h"
#include "lib/token/signer.h"

namespace p2pims::token {
namespace {

Claims Sample() {
  Claims c;
  c.subject = "sip:alice@ims.example.net";
  c.info_hash.fill(0xab);
  c.session_id = "icid-0001";
  c.locality = "262-01/a7/c42";
  c.role = Role::kSeed;
  c.caps = kCapUpload | kCapMetered;
  c.rate_class = 3;
  c.issued_at = 1000;
  c.expires_at = 2000;
  c.token_id.fill(0x11);
  return c;
}

TEST(TokenTest, ClaimsRoundTrip) {
  auto bytes = EncodeClaims(Sample());
  ASSERT_TRUE(bytes.ok());
  auto back = DecodeClaims(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->subject, "sip:alice@ims.example.net");
  EXPECT_EQ(back->locality, "262-01/a7/c42");
  EXPECT_EQ(back->role, Role::kSeed);
  EXPECT_EQ(back->caps, kCapUpload | kCapMetered);
  EXPECT_EQ(back->expires_at, 2000u);
  EXPECT_EQ(back->info_hash, Sample().info_hash);
}

TEST(TokenTest, TruncatedOrPaddedClaimsAreRejected) {
  std::string bytes = *EncodeClaims(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeClaims(bytes.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeClaims(bytes + "x").ok());
}

TEST(TokenTest, SignedTokenVerifiesAndFitsAUrl) {
  KeyPair key = GenerateKey("k1");
  Signer signer(key);
  Verifier verifier;
  verifier.SetKeys({{"k1", key.public_key}});
  auto token = signer.Sign(Sample());
  ASSERT_TRUE(token.ok());
  EXPECT_LT(token->size(), 320u);
  EXPECT_EQ(
      token->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
      std::string::npos);
  auto claims = verifier.Verify(*token, 1500);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->kid, "k1");
}

TEST(TokenTest, TamperedExpiredAndUnknownKeyAreUnauthenticated) {
  KeyPair key = GenerateKey("k1");
  Signer signer(key);
  Verifier verifier;
  verifier.SetKeys({{"k1", key.public_key}});
  std::string token = *signer.Sign(Sample());

  std::string tampered = token;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verifier.Verify(tampered, 1500).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(verifier.Verify(token, 2000).status().message(), "token expired");
  EXPECT_EQ(verifier.Verify("garbage", 1500).status().code(), absl::StatusCode::kUnauthenticated);

  Verifier other;
  other.SetKeys({{"k2", GenerateKey("k2").public_key}});
  EXPECT_EQ(other.Verify(token, 1500).status().message(), "unknown signing key");
}

TEST(TokenTest, ATokenHasOneSpelling) {
  KeyPair key = GenerateKey("k1");
  Verifier verifier;
  verifier.SetKeys({{"k1", key.public_key}});
  std::string token = *Signer(key).Sign(Sample());
  // A '_' written as a byte above 0x7f decoded to the same bytes (token_fuzz found it).
  Claims claims = Sample();
  while (token.find('_') == std::string::npos) {
    claims.token_id[0]++;
    token = *Signer(key).Sign(claims);
  }
  ASSERT_TRUE(verifier.Verify(token, 1500).ok());
  std::string respelled = token;
  respelled[token.find('_')] = '\xc4';
  EXPECT_EQ(verifier.Verify(respelled, 1500).status().message(), "malformed token");
}

TEST(TokenTest, KeyFileRoundTripAndErrors) {
  KeyPair a = GenerateKey("a"), b = GenerateKey("b");
  std::string path = ::testing::TempDir() + "/keys";
  std::ofstream(path) << "# signing keys\n"
                      << FormatKeyLine(a) << "\n\n"
                      << FormatKeyLine(b) << "\n";
  auto keys = LoadKeyFile(path);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "a");
  EXPECT_EQ((*keys)[0].public_key, a.public_key);

  std::ofstream(path) << FormatKeyLine(a) << "\n" << FormatKeyLine(a) << "\n";
  EXPECT_NE(LoadKeyFile(path).status().message().find("repeats"), std::string::npos);
  std::ofstream(path) << FormatKeyLine(GenerateKey(std::string(65, 'k'))) << "\n";
  EXPECT_EQ(LoadKeyFile(path).status().code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(path) << "a not-base64!\n";
  EXPECT_EQ(LoadKeyFile(path).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadKeyFile(path + ".missing").status().code(), absl::StatusCode::kNotFound);
  std::remove(path.c_str());
}

TEST(TokenTest, KeyAttributesRoundTripAndUnknownOnesAreRefused) {
  KeyPair a = GenerateKey("a");
  EXPECT_GT(a.created_at, 0);
  a.retire_at = 2'000'000'000;
  std::string path = ::testing::TempDir() + "/keys-attr";
  std::ofstream(path) << FormatKeyLine(a) << "\n";
  auto keys = LoadKeyFile(path);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ((*keys)[0].created_at, a.created_at);
  EXPECT_EQ((*keys)[0].retire_at, 2'000'000'000);

  for (const char* bad : {" expires=5", " retire=soon", " retire=-1", " retire"}) {
    std::ofstream(path) << FormatKeyLine(GenerateKey("b")) << bad << "\n";
    auto status = LoadKeyFile(path).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("unknown key attribute"), std::string::npos) << status;
  }
  std::remove(path.c_str());
}

TEST(TokenTest, TokensOfARetiredKeyAreRefusedFromItsRetirement) {
  KeyPair key = GenerateKey("old");
  Verifier verifier;
  verifier.SetKeys(std::map<std::string, VerifyKey>{{"old", {key.public_key, 1600}}});
  std::string token = *Signer(key).Sign(Sample());  // expires at 2000
  EXPECT_TRUE(verifier.Verify(token, 1599).ok());
  EXPECT_EQ(verifier.Verify(token, 1600).status().message(), "signing key retired");
}

}  // namespace
}  // namespace p2pims::token
