// Digest authentication of direct clients on plain requests: challenge, the client's answer
// computed as a client would (both algorithms), stale nonces, failures and blocking.
#include "services/sip-edge/authenticator.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "absl/strings/str_cat.h"

namespace p2pims::sip_edge {
namespace {

constexpr char kRealm[] = "p2p.example.net";

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest() : reply_(registry_, {}) {
    creds_["alice-impi"] = {"alice-impi", kRealm, "sip:alice@ims.example.net",
                            DigestHa1(DigestAlgorithm::kMd5, "alice-impi", kRealm, "s3cret"),
                            DigestHa1(DigestAlgorithm::kSha256, "alice-impi", kRealm, "s3cret")};
  }
  SipRequest Request() {
    SipRequest r;
    r.method = "REGISTER";
    r.request_uri = "sip:p2p.example.net";
    r.source_ip = "192.0.2.7";
    return r;
  }
  // The nonce of the challenge for `algorithm` in a 401.
  static std::string NonceIn(const SipResponse& r, const char* algorithm) {
    for (const auto& [name, value] : r.headers) {
      if (name == "WWW-Authenticate" && value.find(absl::StrCat("algorithm=", algorithm)) != std::string::npos) {
        const size_t start = value.find("nonce=\"") + 7;
        return value.substr(start, value.find('"', start) - start);
      }
    }
    return "";
  }
  // What a client answers a challenge with.
  static std::string Answer(DigestAlgorithm a, const std::string& nonce, const std::string& password,
                            const std::string& user = "alice-impi") {
    const std::string ha1 = DigestHa1(a, user, kRealm, password);
    const std::string response =
        DigestResponse(a, ha1, nonce, "00000001", "c0ffee", "auth", "REGISTER", "sip:p2p.example.net");
    return absl::StrCat("Digest username=\"", user, "\", realm=\"", kRealm, "\", nonce=\"", nonce,
                        "\", uri=\"sip:p2p.example.net\", response=\"", response,
                        "\", algorithm=", DigestAlgorithmName(a), ", qop=auth, nc=00000001, cnonce=\"c0ffee\"");
  }
  Authenticator Make(AuthConfig config = {.realm = kRealm}) {
    return Authenticator(
        [this](const std::string& user) -> absl::StatusOr<std::optional<SubscriberCredentials>> {
          ++lookups_;
          if (!store_up_) return absl::UnavailableError("down");
          auto it = creds_.find(user);
          if (it == creds_.end()) return std::nullopt;
          return it->second;
        },
        reply_, registry_, config);
  }

  metrics::Registry registry_;
  Responder reply_;
  std::map<std::string, SubscriberCredentials> creds_;
  bool store_up_ = true;
  int lookups_ = 0;
  const absl::Time t0_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(AuthenticatorTest, ChallengeThenBothAlgorithmsProveTheIdentity) {
  Authenticator auth = Make();
  auto first = auth.Authenticate(Request(), t0_);
  ASSERT_TRUE(std::holds_alternative<SipResponse>(first));
  const SipResponse& challenge = std::get<SipResponse>(first);
  EXPECT_EQ(challenge.status, 401);
  ASSERT_EQ(challenge.headers.size(), 2u);
  EXPECT_NE(challenge.headers[0].second.find("algorithm=SHA-256"), std::string::npos);  // first
  EXPECT_NE(challenge.headers[1].second.find("algorithm=MD5"), std::string::npos);
  EXPECT_NE(challenge.headers[0].second.find("qop=\"auth\""), std::string::npos);
  EXPECT_EQ(lookups_, 0);  // a challenge reads no credentials

  for (DigestAlgorithm a : {DigestAlgorithm::kSha256, DigestAlgorithm::kMd5}) {
    SipRequest req = Request();
    req.authorization = Answer(a, NonceIn(challenge, DigestAlgorithmName(a)), "s3cret");
    auto who = auth.Authenticate(req, t0_ + absl::Seconds(1));
    ASSERT_TRUE(std::holds_alternative<std::string>(who)) << DigestAlgorithmName(a);
    EXPECT_EQ(std::get<std::string>(who), "sip:alice@ims.example.net");
  }
}

TEST_F(AuthenticatorTest, WrongPasswordUnknownUserAndForgedNonceAreRefused) {
  Authenticator auth = Make();
  const std::string nonce =
      NonceIn(std::get<SipResponse>(auth.Authenticate(Request(), t0_)), "SHA-256");
  SipRequest req = Request();
  req.authorization = Answer(DigestAlgorithm::kSha256, nonce, "guess");
  auto r = auth.Authenticate(req, t0_);
  ASSERT_TRUE(std::holds_alternative<SipResponse>(r));
  EXPECT_EQ(std::get<SipResponse>(r).status, 403);
  req.authorization = Answer(DigestAlgorithm::kSha256, nonce, "s3cret", "mallory");
  EXPECT_EQ(std::get<SipResponse>(auth.Authenticate(req, t0_)).status, 403);
  req.authorization = Answer(DigestAlgorithm::kSha256, "1800000000000.forged", "s3cret");
  EXPECT_EQ(std::get<SipResponse>(auth.Authenticate(req, t0_)).status, 403);
  req.source_ip = "192.0.2.8";  // a nonce from another address
  req.authorization = Answer(DigestAlgorithm::kSha256, nonce, "s3cret");
  EXPECT_EQ(std::get<SipResponse>(auth.Authenticate(req, t0_)).status, 403);
}

TEST_F(AuthenticatorTest, AStaleNonceIsChallengedAgainWithStaleTrue) {
  Authenticator auth = Make();
  const std::string nonce =
      NonceIn(std::get<SipResponse>(auth.Authenticate(Request(), t0_)), "MD5");
  SipRequest req = Request();
  req.authorization = Answer(DigestAlgorithm::kMd5, nonce, "s3cret");
  auto r = auth.Authenticate(req, t0_ + absl::Minutes(6));
  ASSERT_TRUE(std::holds_alternative<SipResponse>(r));
  EXPECT_EQ(std::get<SipResponse>(r).status, 401);
  EXPECT_NE(std::get<SipResponse>(r).headers[0].second.find("stale=true"), std::string::npos);
}

TEST_F(AuthenticatorTest, MalformedOrUnsupportedAuthorizationIsBadRequest) {
  Authenticator auth = Make();
  SipRequest req = Request();
  req.authorization = "Digest username=\"alice-impi";
  EXPECT_EQ(std::get<SipResponse>(auth.Authenticate(req, t0_)).status, 400);
  const std::string nonce = NonceIn(std::get<SipResponse>(auth.Authenticate(Request(), t0_)), "MD5");
  req.authorization = Answer(DigestAlgorithm::kMd5, nonce, "s3cret");
  req.request_uri = "sip:elsewhere.example.net";  // the answer names another URI
  EXPECT_EQ(std::get<SipResponse>(auth.Authenticate(req, t0_)).status, 400);
}

TEST_F(AuthenticatorTest, ASourceFailingTooOftenIsBlockedForAWhile) {
  Authenticator auth = Make({.realm = kRealm, .max_failures = 3, .block = absl::Minutes(5)});
  const std::string nonce =
      NonceIn(std::get<SipResponse>(auth.Authenticate(Request(), t0_)), "SHA-256");
  SipRequest bad = Request();
  bad.authorization = Answer(DigestAlgorithm::kSha256, nonce, "guess");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(std::get<SipResponse>(auth.Authenticate(bad, t0_)).status, 403);
  const int lookups = lookups_;
  SipRequest good = Request();
  good.authorization = Answer(DigestAlgorithm::kSha256, nonce, "s3cret");
  auto blocked = auth.Authenticate(good, t0_ + absl::Minutes(1));
  ASSERT_TRUE(std::holds_alternative<SipResponse>(blocked));
  EXPECT_EQ(std::get<SipResponse>(blocked).status, 403);
  EXPECT_EQ(lookups_, lookups);  // refused without reading credentials
  // Another source is not affected; the blocked one may try again after the block.
  SipRequest other = Request();
  other.source_ip = "192.0.2.9";
  EXPECT_EQ(std::get<SipResponse>(auth.Authenticate(other, t0_)).status, 401);
  const std::string later =
      NonceIn(std::get<SipResponse>(auth.Authenticate(Request(), t0_ + absl::Minutes(6))), "SHA-256");
  good.authorization = Answer(DigestAlgorithm::kSha256, later, "s3cret");
  EXPECT_TRUE(std::holds_alternative<std::string>(auth.Authenticate(good, t0_ + absl::Minutes(6))));
}

TEST_F(AuthenticatorTest, OnlyOfferedAlgorithmsAreOfferedAndAccepted) {
  Authenticator md5_only = Make({.realm = kRealm, .algorithms = {DigestAlgorithm::kMd5}});
  const SipResponse challenge = std::get<SipResponse>(md5_only.Authenticate(Request(), t0_));
  ASSERT_EQ(challenge.headers.size(), 1u);
  EXPECT_NE(challenge.headers[0].second.find("algorithm=MD5"), std::string::npos);
  SipRequest req = Request();
  req.authorization = Answer(DigestAlgorithm::kSha256, NonceIn(challenge, "MD5"), "s3cret");
  EXPECT_EQ(std::get<SipResponse>(md5_only.Authenticate(req, t0_)).status, 400);
}

TEST_F(AuthenticatorTest, UnreadableCredentialsAreServiceUnavailable) {
  Authenticator auth = Make();
  const std::string nonce = NonceIn(std::get<SipResponse>(auth.Authenticate(Request(), t0_)), "MD5");
  store_up_ = false;
  SipRequest req = Request();
  req.authorization = Answer(DigestAlgorithm::kMd5, nonce, "s3cret");
  auto r = auth.Authenticate(req, t0_);
  ASSERT_TRUE(std::holds_alternative<SipResponse>(r));
  EXPECT_EQ(std::get<SipResponse>(r).status, 503);
}

}  // namespace
}  // namespace p2pims::sip_edge
