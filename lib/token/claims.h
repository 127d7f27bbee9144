// The claims of a p2pims access token (DESIGN.md §3): who may join which swarm, as what, until
// when. Rights signs them; trackers verify them offline with rights' public keys.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace p2pims::token {

enum class Role : uint8_t { kLeech = 0, kSeed = 1, kOrigin = 2 };

// Capability bits.
inline constexpr uint8_t kCapUpload = 1 << 0;     // may act as an upload source
inline constexpr uint8_t kCapMetered = 1 << 1;    // constrained (mobile, metered) peer

struct Claims {
  std::string kid;                     // signing key id
  std::string subject;                 // IMS public identity
  std::array<uint8_t, 20> info_hash{}; // BitTorrent v1 info-hash
  std::string session_id;              // session id / ICID
  std::string locality;                // "mcc-mnc/area/cell"
  Role role = Role::kLeech;
  uint8_t caps = kCapUpload;
  uint8_t rate_class = 0;              // operator-defined upload rate class
  uint32_t issued_at = 0;              // Unix seconds
  uint32_t expires_at = 0;             // Unix seconds
  std::array<uint8_t, 16> token_id{};  // unique id ("jti"), random
};

// "leech", "seed", "origin"; false for anything else.
bool ParseRole(const std::string& name, Role* role);
const char* RoleName(Role role);

}  // namespace p2pims::token
