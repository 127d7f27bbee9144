// SIP digest authentication, pure logic (RFC 3261 §22, RFC 7616, RFC 8760), shared by sip-edge
// (the server) and p2pims-ue (the client): MD5 and SHA-256 with qop=auth, Authorization parsing,
// and nonces that need no server state (a time stamp and a keyed hash over it and the client's
// address: valid for their lifetime, stale after, forged otherwise).
//
//   std::string ha1 = DigestHa1(DigestAlgorithm::kSha256, "alice", "p2p.example.net", "secret");
//   NonceSource nonces(absl::Minutes(5));
//   std::string n = nonces.Make(now, "192.0.2.7");
//   std::optional<DigestAuthorization> a = ParseDigestAuthorization(header_value);
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace p2pims::sip {

enum class DigestAlgorithm { kMd5, kSha256 };

// "MD5" or "SHA-256" (case-insensitive; an absent algorithm means MD5); nullopt otherwise.
std::optional<DigestAlgorithm> ParseDigestAlgorithm(std::string_view name);
const char* DigestAlgorithmName(DigestAlgorithm a);

// Hex H(username:realm:password): what the credential store keeps instead of the password.
std::string DigestHa1(DigestAlgorithm a, std::string_view username, std::string_view realm,
                      std::string_view password);
// Hex H(HA1:nonce:nc:cnonce:qop:H(method:uri)) for qop=auth.
std::string DigestResponse(DigestAlgorithm a, std::string_view ha1, std::string_view nonce,
                           std::string_view nc, std::string_view cnonce, std::string_view qop,
                           std::string_view method, std::string_view uri);

// The parameters of an Authorization header value `Digest name=value, name="value", ...`.
struct DigestAuthorization {
  std::string username, realm, nonce, uri, response, algorithm, qop, nc, cnonce, opaque;
};
// nullopt when the scheme is not Digest or a parameter is malformed.
std::optional<DigestAuthorization> ParseDigestAuthorization(std::string_view value);

// Thread-safe after construction: a random key per process (nonces from before a restart are
// forged to it, and clients are challenged again).
class NonceSource {
 public:
  explicit NonceSource(absl::Duration lifetime);

  std::string Make(absl::Time now, std::string_view client) const;
  enum class Check { kValid, kStale, kForged };
  Check Verify(std::string_view nonce, absl::Time now, std::string_view client) const;

 private:
  std::string Tag(int64_t issued_ms, std::string_view client) const;

  const absl::Duration lifetime_;
  std::array<unsigned char, 32> key_{};
};

}  // namespace p2pims::sip
