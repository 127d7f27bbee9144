// The access decision, as plain logic with no I/O: given the catalogue entry and the subscriber's
// entitlements, may this request join the swarm now?
//
//   Decision d = Decide(content, entitlements, request, absl::ToUnixSeconds(absl::Now()));
//   if (!d.allowed) ... d.reason, d.message ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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
  std::vector<std::string> territories;  // locality path prefixes; empty = everywhere
  int64_t window_start = 0;              // Unix seconds, 0 = none
  int64_t window_end = 0;
  int32_t device_limit = 0;
  bool withdrawn = false;
  int64_t created_at = 0;
};

// An entitlement row that was active (not revoked, not expired) at decision time.
struct EntitlementRecord {
  std::string kind;
  std::vector<std::string> content_ids;
  std::string owner;  // whole-catalogue subscription when set
};

struct Decision {
  bool allowed = false;
  v1::DenyReason reason = v1::DENY_REASON_UNSPECIFIED;
  std::string message;
};

// Order of checks: existence, withdrawal, window, territory, entitlement. Territory needs a
// verified locality that starts with one of the licence's territory prefixes.
Decision Decide(const std::optional<ContentRecord>& content,
                const std::vector<EntitlementRecord>& entitlements, const std::string& locality,
                bool locality_verified, int64_t now);

// What a session costs on top of the entitlement, in minor units: the per-MiB price for per-byte
// content, nothing otherwise (purchases, rentals and subscriptions are paid when granted).
int64_t SessionPrice(const ContentRecord& content);

// "free", "purchase", ... <-> enum; UNSPECIFIED for unknown names.
v1::PriceModel PriceModelFromName(const std::string& name);
std::string PriceModelName(v1::PriceModel model);

// Fills the wire form of a catalogue row.
void ToProto(const ContentRecord& record, v1::Content* out);

}  // namespace p2pims::rights
