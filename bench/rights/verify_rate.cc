// rights_verify_rate: single-threaded rates of raw libsodium Ed25519 signing and verification on
// a token-sized message against p2pims token::Signer::Sign and token::Verifier::Verify on real
// tokens, measured in the same process in alternating slices; prints one JSON line.
//
//   rights_verify_rate --seconds 2
//   {"raw_verify_per_s":...,"token_verify_per_s":...,"verify_ratio":0.97,...}
//
// The ratios (token / raw) say what the token layer (encoding, base64url, key lookup, claims
// decoding) costs on top of the signature itself: 1.0 means nothing.
#include <sodium.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/token/codec.h"
#include "lib/token/signer.h"

namespace {

using Clock = std::chrono::steady_clock;

// Operations counted over the slices of one measurement.
struct Meter {
  int64_t ops = 0;
  double seconds = 0;
  bool failed = false;
  double PerSecond() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

// Runs `op` (returning true on success) repeatedly for `seconds` and adds to `meter`.
template <typename Op>
void RunSlice(double seconds, Meter& meter, Op op) {
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  int64_t n = meter.ops;
  Clock::time_point now;
  do {
    for (int i = 0; i < 64; ++i, ++n) {
      if (!op(n)) meter.failed = true;
    }
    now = Clock::now();
  } while (now < until);
  meter.ops = n;
  meter.seconds += std::chrono::duration<double>(now - start).count();
}

// Claims as rights issues them for a subscriber session.
p2pims::token::Claims SessionClaims(int i, uint32_t now) {
  p2pims::token::Claims c;
  c.subject = absl::StrCat("sip:user", 10000 + i, "@ims.example.net");
  randombytes_buf(c.info_hash.data(), c.info_hash.size());
  c.session_id = absl::StrCat("icid-", 4000000000 + i, "-pcscf1.ims.example.net");
  c.locality = absl::StrCat("262-01/area-", i % 20, "/cell-", i % 500);
  c.issued_at = now;
  c.expires_at = now + 4 * 3600;
  randombytes_buf(c.token_id.data(), c.token_id.size());
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::strtod(argv[++i], nullptr);
    } else {
      std::cerr << "usage: rights_verify_rate [--seconds S]   (each of 4 measurements runs S "
                   "seconds in all)\n";
      return arg == "--help" ? 0 : 2;
    }
  }
  if (!(seconds > 0)) {
    std::cerr << "error: --seconds must be positive\n";
    return 2;
  }
  if (sodium_init() < 0) {
    std::cerr << "error: sodium_init failed\n";
    return 1;
  }
  namespace token = p2pims::token;
  const uint32_t now =
      static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());

  const token::KeyPair key = token::GenerateKey("k1");
  const token::Signer signer(key);
  token::Verifier verifier;
  verifier.SetKeys({{key.kid, key.public_key}, {"k0", token::GenerateKey("k0").public_key}});

  // Real tokens, and for the raw rates their encoded payloads with detached signatures.
  constexpr int kSet = 1024;
  std::vector<token::Claims> claims;
  std::vector<std::string> tokens, payloads;
  std::vector<std::array<uint8_t, crypto_sign_BYTES>> sigs(kSet);
  for (int i = 0; i < kSet; ++i) {
    claims.push_back(SessionClaims(i, now));
    claims.back().kid = key.kid;
    auto t = signer.Sign(claims.back());
    auto p = token::EncodeClaims(claims.back());
    if (!t.ok() || !p.ok()) {
      std::cerr << "error: cannot sign a token\n";
      return 1;
    }
    tokens.push_back(*t);
    payloads.push_back(*p);
    crypto_sign_detached(sigs[i].data(), nullptr,
                         reinterpret_cast<const uint8_t*>(payloads[i].data()), payloads[i].size(),
                         key.secret_key.data());
  }

  // The four measurements take turns in short slices, so that whatever else the machine does
  // weighs on raw and token rates alike and their ratios stay meaningful.
  constexpr int kSlices = 8;
  const double slice = seconds / kSlices;
  auto payload = [&](int64_t n) -> const std::string& { return payloads[n % kSet]; };
  Meter raw_sign, token_sign, raw_verify, token_verify;
  for (int round = 0; round < kSlices; ++round) {
    RunSlice(slice, raw_sign, [&](int64_t n) {
      std::array<uint8_t, crypto_sign_BYTES> sig;
      const std::string& p = payload(n);
      return crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const uint8_t*>(p.data()),
                                  p.size(), key.secret_key.data()) == 0;
    });
    RunSlice(slice, token_sign, [&](int64_t n) { return signer.Sign(claims[n % kSet]).ok(); });
    RunSlice(slice, raw_verify, [&](int64_t n) {
      const std::string& p = payload(n);
      return crypto_sign_verify_detached(sigs[n % kSet].data(),
                                         reinterpret_cast<const uint8_t*>(p.data()), p.size(),
                                         key.public_key.data()) == 0;
    });
    RunSlice(slice, token_verify,
             [&](int64_t n) { return verifier.Verify(tokens[n % kSet], now).ok(); });
  }
  if (raw_sign.failed || token_sign.failed || raw_verify.failed || token_verify.failed) {
    std::cerr << "error: a signature or verification failed during the measurement\n";
    return 1;
  }
  std::printf(
      "{\"raw_verify_per_s\":%.0f,\"token_verify_per_s\":%.0f,\"verify_ratio\":%.3f,"
      "\"raw_sign_per_s\":%.0f,\"token_sign_per_s\":%.0f,\"sign_ratio\":%.3f,"
      "\"payload_bytes\":%zu,\"token_bytes\":%zu}\n",
      raw_verify.PerSecond(), token_verify.PerSecond(),
      token_verify.PerSecond() / raw_verify.PerSecond(), raw_sign.PerSecond(),
      token_sign.PerSecond(), token_sign.PerSecond() / raw_sign.PerSecond(), payloads[0].size(),
      tokens[0].size());
  return 0;
}
