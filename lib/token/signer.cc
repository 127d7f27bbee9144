#include "lib/token/signer.h"

#include <sodium.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
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
  KeyPair k = KeyFromSeed(std::move(kid), seed);
  k.created_at = absl::ToUnixSeconds(absl::Now());
  return k;
}

std::string FormatKeyLine(const KeyPair& key) {
  std::string line = absl::StrCat(
      key.kid, " ", Base64UrlEncode({reinterpret_cast<const char*>(key.seed.data()), 32}));
  if (key.created_at != 0) absl::StrAppend(&line, " created=", key.created_at);
  if (key.retire_at != 0) absl::StrAppend(&line, " retire=", key.retire_at);
  return line;
}

absl::StatusOr<std::vector<KeyPair>> LoadKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read signing key file ", path));
  std::vector<KeyPair> keys;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string kid, seed_text, attribute;
    if (!(fields >> kid)) continue;  // blank line
    auto seed = fields >> seed_text ? Base64UrlDecode(seed_text) : std::nullopt;
    if (!seed || seed->size() != 32) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", n,
          ": expected \"<kid> <base64url 32-byte seed> [created=<unix>] [retire=<unix>]\""));
    }
    int64_t created_at = 0, retire_at = 0;
    while (fields >> attribute) {
      const size_t eq = attribute.find('=');
      const std::string name = attribute.substr(0, eq);
      int64_t value = 0;
      const bool parsed = eq != std::string::npos &&
                          absl::SimpleAtoi(attribute.substr(eq + 1), &value) && value > 0;
      if (parsed && name == "created") {
        created_at = value;
      } else if (parsed && name == "retire") {
        retire_at = value;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ":", n, ": unknown key attribute \"", name,
            "\" (expected created=<unix seconds> or retire=<unix seconds>)"));
      }
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
    keys.back().created_at = created_at;
    keys.back().retire_at = retire_at;
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

void Verifier::SetKeys(std::map<std::string, VerifyKey> keys) {
  EnsureSodium();
  keys_.store(std::make_shared<const KeyMap>(keys.begin(), keys.end()));
}

void Verifier::SetKeys(const std::map<std::string, std::array<uint8_t, 32>>& keys) {
  std::map<std::string, VerifyKey> never_retiring;
  for (const auto& [kid, key] : keys) never_retiring[kid] = VerifyKey{key, 0};
  SetKeys(std::move(never_retiring));
}

size_t Verifier::key_count() const { return keys_.load()->size(); }

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
  const std::shared_ptr<const KeyMap> keys = keys_.load();
  auto it = keys->find(claims->kid);
  if (it == keys->end()) return absl::UnauthenticatedError("unknown signing key");
  const VerifyKey& key = it->second;
  if (key.not_after != 0 && now >= key.not_after) {
    return absl::UnauthenticatedError("signing key retired");
  }
  if (crypto_sign_verify_detached(reinterpret_cast<const uint8_t*>(sig->data()),
                                  reinterpret_cast<const uint8_t*>(payload->data()),
                                  payload->size(), key.public_key.data()) != 0) {
    return absl::UnauthenticatedError("bad token signature");
  }
  if (claims->expires_at <= now) return absl::UnauthenticatedError("token expired");
  return claims;
}

}  // namespace p2pims::token
