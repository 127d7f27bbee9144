#include "lib/token/signer.h"

#include <sodium.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "lib/token/codec.h"

namespace p2pims::token {
namespace {

// libsodium must be initialised once before use; sodium_init is itself idempotent.
void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
}

}  // namespace

bool ValidKid(const std::string& kid) {
  if (kid.empty() || kid.size() > 64) return false;
  for (char c : kid) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

KeyPair KeyFromSeed(std::string kid, const std::array<uint8_t, 32>& seed) {
  EnsureSodium();
  KeyPair k;
  k.kid = std::move(kid);
  k.seed = seed;
  crypto_sign_seed_keypair(k.public_key.data(), k.secret_key.data(), seed.data());
  return k;
}

KeyPair GenerateKey(std::string kid) {
  EnsureSodium();
  std::array<uint8_t, 32> seed;
  randombytes_buf(seed.data(), seed.size());
  return KeyFromSeed(std::move(kid), seed);
}

std::string FormatKeyLine(const KeyPair& key) {
  return absl::StrCat(key.kid, " ",
                      Base64UrlEncode({reinterpret_cast<const char*>(key.seed.data()), 32}));
}

absl::StatusOr<std::vector<KeyPair>> LoadKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read signing key file ", path));
  std::vector<KeyPair> keys;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string kid, seed_text, extra;
    if (!(fields >> kid)) continue;  // blank line
    auto seed = fields >> seed_text ? Base64UrlDecode(seed_text) : std::nullopt;
    if (!seed || seed->size() != 32 || (fields >> extra)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": expected \"<kid> <base64url 32-byte seed>\""));
    }
    if (!ValidKid(kid)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": a kid is 1-64 characters of A-Z a-z 0-9 . _ -"));
    }
    for (const KeyPair& k : keys) {
      if (k.kid == kid) {
        return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": kid ", kid, " repeats"));
      }
    }
    std::array<uint8_t, 32> raw;
    std::copy(seed->begin(), seed->end(), raw.begin());
    keys.push_back(KeyFromSeed(kid, raw));
  }
  if (keys.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no keys"));
  return keys;
}

absl::StatusOr<std::string> Signer::Sign(Claims claims) const {
  claims.kid = key_.kid;
  auto payload = EncodeClaims(claims);
  if (!payload.ok()) return payload.status();
  std::array<uint8_t, crypto_sign_BYTES> sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const uint8_t*>(payload->data()),
                       payload->size(), key_.secret_key.data());
  return absl::StrCat(Base64UrlEncode(*payload), ".",
                      Base64UrlEncode({reinterpret_cast<const char*>(sig.data()), sig.size()}));
}

void Verifier::SetKeys(std::map<std::string, std::array<uint8_t, 32>> keys) {
  EnsureSodium();
  absl::MutexLock lock(&mu_);
  keys_ = std::move(keys);
}

size_t Verifier::key_count() const {
  absl::MutexLock lock(&mu_);
  return keys_.size();
}

absl::StatusOr<Claims> Verifier::Verify(std::string_view token, uint32_t now) const {
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos) return absl::UnauthenticatedError("malformed token");
  auto payload = Base64UrlDecode(token.substr(0, dot));
  auto sig = Base64UrlDecode(token.substr(dot + 1));
  if (!payload || !sig || sig->size() != crypto_sign_BYTES) {
    return absl::UnauthenticatedError("malformed token");
  }
  auto claims = DecodeClaims(*payload);
  if (!claims.ok()) return absl::UnauthenticatedError("malformed token");
  std::array<uint8_t, 32> key;
  {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(claims->kid);
    if (it == keys_.end()) return absl::UnauthenticatedError("unknown signing key");
    key = it->second;
  }
  if (crypto_sign_verify_detached(reinterpret_cast<const uint8_t*>(sig->data()),
                                  reinterpret_cast<const uint8_t*>(payload->data()),
                                  payload->size(), key.data()) != 0) {
    return absl::UnauthenticatedError("bad token signature");
  }
  if (claims->expires_at <= now) return absl::UnauthenticatedError("token expired");
  return claims;
}

}  // namespace p2pims::token
