// Ed25519 signing and verification of access tokens:
//   token = base64url(EncodeClaims(claims)) "." base64url(signature over the encoded claims)
//
//   auto keys = LoadKeyFile("/etc/p2pims/signing.keys");   // first key signs
//   Signer signer((*keys)[0]);
//   std::string t = *signer.Sign(claims);
//   Verifier v;  v.SetKeys({{kid, public_key}});
//   absl::StatusOr<Claims> c = v.Verify(t, now);
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/token/claims.h"

namespace p2pims::token {

struct KeyPair {
  std::string kid;
  std::array<uint8_t, 32> seed{};        // secret: never logged, never stored in the database
  std::array<uint8_t, 32> public_key{};
  std::array<uint8_t, 64> secret_key{};
  int64_t created_at = 0;  // Unix seconds, 0 = unknown
  int64_t retire_at = 0;   // Unix seconds from which its tokens are refused, 0 = never
};

// What a verifier knows of a key.
struct VerifyKey {
  std::array<uint8_t, 32> public_key{};
  int64_t not_after = 0;  // the key's retirement (KeyPair::retire_at), 0 = never
};

// A kid is 1-64 characters of A-Z a-z 0-9 . _ - (it travels in every token).
bool ValidKid(const std::string& kid);
// Derives a key pair from a 32-byte seed.
KeyPair KeyFromSeed(std::string kid, const std::array<uint8_t, 32>& seed);
// A fresh random key pair, created now.
KeyPair GenerateKey(std::string kid);
// One key-file line: "<kid> <base64url seed> [created=<unix>] [retire=<unix>]".
std::string FormatKeyLine(const KeyPair& key);
// Reads a key file: one key per line as FormatKeyLine writes, '#' starts a comment. The first key
// signs; all verify until they retire. NotFound / InvalidArgument with the line number on errors
// (bad seed, invalid or repeated kid, unknown attribute).
absl::StatusOr<std::vector<KeyPair>> LoadKeyFile(const std::string& path);

// Signs claims with one key. Thread-safe (immutable after construction).
class Signer {
 public:
  explicit Signer(KeyPair key) : key_(std::move(key)) {}
  const std::string& kid() const { return key_.kid; }
  // Sets claims.kid to this key's kid and returns the token.
  absl::StatusOr<std::string> Sign(Claims claims) const;

 private:
  KeyPair key_;
};

// Verifies tokens against a set of public keys by kid. Thread-safe; SetKeys may run while other
// threads verify.
class Verifier {
 public:
  void SetKeys(std::map<std::string, VerifyKey> keys);
  // Keys that never retire.
  void SetKeys(const std::map<std::string, std::array<uint8_t, 32>>& keys);
  size_t key_count() const;
  // Unauthenticated with a short reason for a malformed token, an unknown kid, a retired key, a
  // bad signature or an expired token (`now` is Unix seconds). Takes no lock: the key set is an
  // immutable snapshot swapped atomically by SetKeys.
  absl::StatusOr<Claims> Verify(std::string_view token, uint32_t now) const;

 private:
  using KeyMap = std::map<std::string, VerifyKey, std::less<>>;
  std::atomic<std::shared_ptr<const KeyMap>> keys_{std::make_shared<const KeyMap>()};
};

}  // namespace p2pims::token
