// The access decision, as plain logic with no I/O: given the catalogue entry and the subscriber's
// entitlements, may this request join the swarm now?
//
//   Decision d = Decide(content, entitlements, {.locality = "262-01/a7/c3", .now = now});
//   if (!d.allowed) ... d.reason, d.message ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2pims/rights/v1/rights.pb.h"

namespace p2pims::rights {

// A catalogue row as the policy needs it.
struct ContentRecord {
  std::string content_id;
  std::string title;
  std::string owner;
  std::string info_hash_v1;  // 20 raw bytes
  std::string info_hash_v2;  // 32 raw bytes or empty
  int64_t size_bytes = 0;
  v1::PriceModel price_model = v1::PRICE_MODEL_UNSPECIFIED;
  int64_t price_minor = 0;
  std::string currency;
  int64_t rental_seconds = 0;
  int32_t owner_share_bp = 0;
  std::vector<std::string> territories;  // ISO 3166-1 alpha-2 codes or locality path prefixes;
                                         // empty = everywhere
  int64_t window_start = 0;              // Unix seconds, 0 = none
  int64_t window_end = 0;
  int32_t device_limit = 0;
  bool withdrawn = false;
  int64_t created_at = 0;
};

// One of a subscriber's entitlements: active, expired or revoked.
struct EntitlementRecord {
  int64_t entitlement_id = 0;
  std::string subject;
  std::string kind;  // "purchase", "rental", "subscription"
  std::vector<std::string> content_ids;
  std::string owner;       // whole-catalogue subscription when set
  int64_t expires_at = 0;  // Unix seconds, 0 = never
  bool revoked = false;
  int64_t granted_at = 0;
};

// The circumstances of one request.
struct Circumstances {
  std::string_view locality;       // "mcc-mnc/area/cell"
  bool locality_verified = false;  // inserted by a trusted CSCF
  int64_t barred_until = 0;        // a revocation refuses tokens issued before this Unix second
  int64_t now = 0;                 // Unix seconds
};

struct Decision {
  bool allowed = false;
  v1::DenyReason reason = v1::DENY_REASON_UNSPECIFIED;
  std::string message;
  // When allowed by an expiring entitlement: no token may outlive it (Unix seconds, 0 = none).
  int64_t entitled_until = 0;
};

// Order of checks: existence, withdrawal, window, territory, revocation, entitlement. Territory
// needs a verified locality inside one of the licence's territories: a locality path prefix, or
// a country whose mobile country code starts the locality. A subscriber whose only covering
// entitlements were revoked is told so (REVOKED) rather than NOT_ENTITLED.
Decision Decide(const std::optional<ContentRecord>& content,
                const std::vector<EntitlementRecord>& entitlements, const Circumstances& at);

// For the operator's own seeds (roles seed and origin): any catalogue entry not withdrawn, with
// no entitlement, window, territory or device limit, so content can be seeded before its
// release and wherever the seed stands.
Decision DecideOperatorSeed(const std::optional<ContentRecord>& content);

// True when `locality` lies inside `territory` (an alpha-2 country or a locality path prefix).
bool InTerritory(std::string_view territory, std::string_view locality);

// What a session costs on top of the entitlement, in minor units: the per-MiB price for per-byte
// content, nothing otherwise (purchases, rentals and subscriptions are paid when granted).
int64_t SessionPrice(const ContentRecord& content);

// "free", "purchase", ... <-> enum; UNSPECIFIED for unknown names.
v1::PriceModel PriceModelFromName(const std::string& name);
std::string PriceModelName(v1::PriceModel model);

// Fills the wire form of a catalogue row.
void ToProto(const ContentRecord& record, v1::Content* out);

}  // namespace p2pims::rights
