// Fuzz target for the access token (codec.h, signer.h): what a tracker reads from every announce.
// The input is tried as a whole token and as the encoded claims inside one.
// Invariants:
//   - Verify accepts only the exact token Sign writes for the claims it returns (no second
//     spelling of a valid token), and only before expiry;
//   - DecodeClaims accepts only the canonical encoding: EncodeClaims gives the input back;
//   - claims that decode, once signed, verify to themselves until they expire, and no token
//     with one character changed verifies.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/fuzzing/fuzz_check.h"
#include "lib/token/codec.h"
#include "lib/token/signer.h"

namespace p2pims::token {
namespace {

constexpr char kKid[] = "fuzz-key";
constexpr uint32_t kNow = 1'700'000'000;

const KeyPair& Key() {
  static const KeyPair key = [] {
    std::array<uint8_t, 32> seed;
    seed.fill(7);
    return KeyFromSeed(kKid, seed);
  }();
  return key;
}

const Verifier& TheVerifier() {
  static const Verifier* v = [] {
    auto* verifier = new Verifier;
    verifier->SetKeys({{kKid, Key().public_key}});
    return verifier;
  }();
  return *v;
}

bool SameClaims(const Claims& a, const Claims& b) {
  return a.kid == b.kid && a.subject == b.subject && a.info_hash == b.info_hash &&
         a.session_id == b.session_id && a.locality == b.locality && a.role == b.role &&
         a.caps == b.caps && a.rate_class == b.rate_class && a.issued_at == b.issued_at &&
         a.expires_at == b.expires_at && a.token_id == b.token_id;
}

void AsToken(std::string_view input) {
  absl::StatusOr<Claims> claims = TheVerifier().Verify(input, kNow);
  if (!claims.ok()) {
    FUZZ_CHECK(claims.status().code() == absl::StatusCode::kUnauthenticated);
    return;
  }
  FUZZ_CHECK(claims->kid == kKid && claims->expires_at > kNow);
  absl::StatusOr<std::string> again = Signer(Key()).Sign(*claims);
  FUZZ_CHECK(again.ok() && *again == input);
}

void AsClaims(std::string_view input) {
  absl::StatusOr<Claims> claims = DecodeClaims(input);
  if (!claims.ok()) {
    FUZZ_CHECK(claims.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(static_cast<uint8_t>(claims->role) <= static_cast<uint8_t>(Role::kOrigin));
  absl::StatusOr<std::string> encoded = EncodeClaims(*claims);
  FUZZ_CHECK(encoded.ok() && *encoded == input);

  absl::StatusOr<std::string> token = Signer(Key()).Sign(*claims);
  FUZZ_CHECK(token.ok());
  Claims signed_claims = *claims;
  signed_claims.kid = kKid;
  const Verifier& verifier = TheVerifier();
  if (claims->expires_at > 0) {
    absl::StatusOr<Claims> back = verifier.Verify(*token, claims->expires_at - 1);
    FUZZ_CHECK(back.ok() && SameClaims(*back, signed_claims));
  }
  FUZZ_CHECK(!verifier.Verify(*token, claims->expires_at).ok());
  // One character changed anywhere (the position and the new character come from the input).
  const size_t at = input.empty() ? 0 : static_cast<uint8_t>(input.back()) % token->size();
  static constexpr std::string_view kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
  for (const char c : {kChars[input.size() % kChars.size()], 'A', 'B'}) {
    std::string changed = *token;
    if (changed[at] == c) continue;
    changed[at] = c;
    FUZZ_CHECK(!verifier.Verify(changed, claims->expires_at > 0 ? claims->expires_at - 1 : 0).ok());
  }
}

}  // namespace
}  // namespace p2pims::token

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  p2pims::token::AsToken(input);
  p2pims::token::AsClaims(input);
  return 0;
}
